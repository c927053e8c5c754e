"""Property tests: random configs, rosters and event sequences must keep the invariants."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from chat_server.ladder import (
    Accept,
    Assign,
    CancelReason,
    CancelRings,
    Close,
    Command,
    ContactGiven,
    CreateLead,
    Decline,
    Event,
    Finish,
    Handover,
    IllegalTransition,
    LadderConfig,
    LadderState,
    LeadService,
    Outcome,
    Phase,
    ResendLead,
    Ring,
    Roster,
    RosterChanged,
    ShopperBack,
    ShopperLeft,
    ShopperWrote,
    Start,
    StepResult,
    Strategy,
    Tick,
    Tier,
    Transfer,
    TransferLapsed,
    from_json,
    next_wakeup,
    start,
    step,
    to_json,
)

T0 = datetime(2025, 3, 9, 7, 59, 50, tzinfo=UTC)  # ten seconds before Chicago springs forward
STORE_IDS = (1, 2, 3, 4, 5)
POOL_IDS = (11, 12, 13)
ALL_IDS = STORE_IDS + POOL_IDS
TIERS = tuple(Tier)

_T = TypeVar("_T")

# Every strategy is built once, here: building one inside each draw (``st.just(x) | ...``)
# made Hypothesis validate a fresh strategy per event, most of these tests' run time.
# Choices that depend on the run (who is ringing, the usual roster) are made by drawing
# an index from a fixed strategy instead.
INDEX = st.integers(0, 23)
COIN = st.booleans()
seconds = st.integers(min_value=0, max_value=40).map(float) | st.sampled_from([0.25, 7.5])
WHEN = st.sampled_from(("later", "wakeup", "just before"))
LENGTH = st.integers(0, 25)

configs = st.builds(
    LadderConfig,
    sticky_s=st.integers(0, 12).map(float),
    store_window_s=st.integers(0, 40).map(float),
    pool_window_s=st.integers(0, 40).map(float),
    round_robin_step_s=st.integers(1, 15).map(float) | st.just(2.5),
    strategy=st.sampled_from(Strategy),
    grace_s=st.integers(0, 90).map(float),
    capture_window_s=st.integers(0, 120).map(float),
    after_hours_store_first=st.booleans(),
)
# A dealership that rings its store only in sales hours.
hours_only_configs = configs.map(lambda c: replace(c, after_hours_store_first=False))

STORE_LISTS = st.lists(st.sampled_from(STORE_IDS), unique=True, max_size=len(STORE_IDS))
POOL_LISTS = st.lists(st.sampled_from(POOL_IDS), unique=True, max_size=len(POOL_IDS))
# Mostly a sticky operator who is available, sometimes a stale one.
STICKY = st.sampled_from(("none", "available", "anyone"))


def _roster(store: list[int], pool: list[int], store_open: bool, sticky: str, index: int) -> Roster:
    choices = {"none": (None,), "available": tuple(store) or STORE_IDS, "anyone": STORE_IDS}
    return Roster(
        store_open=store_open,
        store=tuple(store),
        pool=tuple(pool),
        sticky=pick(choices[sticky], index),
    )


def rosters(store_open: st.SearchStrategy[bool] = COIN) -> st.SearchStrategy[Roster]:
    return st.builds(_roster, STORE_LISTS, POOL_LISTS, store_open, STICKY, INDEX)


ANY_ROSTER = rosters()
CLOSED_ROSTER = rosters(st.just(False))  # a store outside its sales hours, all run long

# Weighted towards ticks and declines: an early accept ends the interesting part of a run.
KINDS = ["tick"] * 3 + ["decline"] * 2 + ["accept"] * 2 + ["left", "back", "contact", "close"]
KINDS += ["transfer"] + ["roster"] * 2 + ["wrote"] * 2
KIND = st.sampled_from(KINDS)
# Rosters are mostly the usual one (staff rarely change within seconds), then the usual
# one with newcomers (someone comes on shift), sometimes anything.
ROSTER_SOURCE = st.sampled_from(("usual", "usual", "grown", "any"))
TRANSFER_TO = st.just(()) | st.lists(st.sampled_from(ALL_IDS), max_size=2).map(tuple)
# Events after the close need only be refused or ignored: a couple show it, and the
# draws are better spent while the conversation still rings.
AFTER_CLOSE = 2
# While the conversation rings: mostly roster changes, a few seconds apart.
RINGING_KINDS = st.sampled_from(["roster"] * 3 + ["tick", "decline", "accept"])
SHORT_WAIT = st.integers(0, 6).map(float) | st.just(0.5)
RINGING = (Phase.RINGING_STORE, Phase.RINGING_POOL)


def pick(options: Sequence[_T], index: int) -> _T:
    return options[index % len(options)]


def draw_pick(data: st.DataObject, options: Sequence[_T]) -> _T:
    """One of ``options`` (built at run time) through the fixed ``INDEX`` strategy."""
    return pick(options, data.draw(INDEX))


def next_time(data: st.DataObject, state: LadderState, now: datetime, config: LadderConfig):
    """A time at or after ``now``: often exactly a deadline, so ties and edges get exercised."""
    later = now + timedelta(seconds=data.draw(seconds, label="wait"))
    wakeup = next_wakeup(state, config)
    if wakeup is None or wakeup < now:
        return later
    when = data.draw(WHEN)
    if when == "wakeup":
        return wakeup
    if when == "just before":
        return max(now, wakeup - timedelta(seconds=0.5))
    return later


def draw_roster(data: st.DataObject, usual: Roster, anything: st.SearchStrategy[Roster]):
    source = data.draw(ROSTER_SOURCE)
    if source == "usual":
        return usual
    if source == "any":
        return data.draw(anything)
    store, pool = data.draw(STORE_LISTS), data.draw(POOL_LISTS)
    return replace(
        usual,
        store=tuple(dict.fromkeys((*usual.store, *store))),
        pool=tuple(dict.fromkeys((*usual.pool, *pool))),
    )


def draw_event(
    data: st.DataObject,
    state: LadderState,
    now: datetime,
    usual: Roster,
    anything: st.SearchStrategy[Roster] = ANY_ROSTER,
    kinds: st.SearchStrategy[str] = KIND,
) -> Event:
    """One event at ``now``, preferring operators who are actually being rung.

    Rosters are drawn by ``draw_roster`` (``anything`` when not the usual one).
    """
    ringing = (*state.ringing_store, *state.ringing_pool)

    def who() -> int:
        return draw_pick(data, ringing if ringing and data.draw(COIN) else ALL_IDS)

    kind = data.draw(kinds, label="kind")
    if kind == "tick":
        return Tick(now, draw_roster(data, usual, anything))
    if kind == "roster":
        return RosterChanged(now, draw_roster(data, usual, anything))
    if kind == "wrote":
        return ShopperWrote(now, draw_roster(data, usual, anything))
    if kind == "accept":
        operator = who()
        natural = Tier.POOL if operator in POOL_IDS else Tier.STORE
        return Accept(operator, natural if data.draw(COIN) else draw_pick(data, TIERS), now)
    if kind == "decline":
        return Decline(who(), now, draw_roster(data, usual, anything))
    if kind == "transfer":
        owner = state.owner if state.owner and data.draw(COIN) else draw_pick(data, ALL_IDS)
        to = data.draw(TRANSFER_TO)
        tier = draw_pick(data, TIERS)
        return Transfer(owner, now, draw_roster(data, usual, anything), to, tier)
    simple = {"left": ShopperLeft, "back": ShopperBack, "contact": ContactGiven, "close": Close}
    return simple[kind](now)


@dataclass
class Run:
    """Drives the machine like the shell would, checking invariants after every call."""

    config: LadderConfig
    state: LadderState | None = None
    commands: list[Command] = field(default_factory=list)
    live: set[int] = field(default_factory=set)  # rings the shell believes are out
    declined: set[int] = field(default_factory=set)  # never to be rung again
    fed_closed: int = 0  # events fed to the closed conversation

    def finished(self) -> bool:
        """Closed and shown a few events since: further draws would add little."""
        return self.fed_closed >= AFTER_CLOSE

    def feed(self, event: Event) -> None:
        before = self.state
        if before is not None and before.phase is Phase.CLOSED:
            self.fed_closed += 1
        try:
            result = (
                start(event, self.config) if before is None else step(before, event, self.config)
            )
        except IllegalTransition as exc:
            assert before is not None
            assert exc.phase is before.phase
            assert not may_apply(before, event, self.config), f"refused {event} in {before.phase}"
            return
        self.check_call(before, event, result)
        self.state = result.state
        self.commands.extend(result.commands)

    def check_call(self, before: LadderState | None, event: Event, result: StepResult) -> None:
        state = result.state
        for command in result.commands:
            if isinstance(command, Ring):
                assert command.until > event.at, (command, event)
                assert not set(command.operators) & (self.declined | set(state.declined))
                self.live |= set(command.operators)
            elif isinstance(command, CancelRings):
                assert set(command.operators) <= self.live, "cancelled a ring never sent"
                self.live -= set(command.operators)
                if command.reason is CancelReason.DECLINED:
                    self.declined |= set(command.operators)
            elif isinstance(command, Assign):
                self.live.discard(command.operator)
        assert self.live == set(state.ringing_store) | set(state.ringing_pool)
        check_rings_within_window(state, result)
        if state.phase is Phase.CAPTURED and state != before:
            window = timedelta(seconds=self.config.capture_window_s)
            assert state.capture_until is not None
            assert state.capture_until <= event.at + window
        if isinstance(event, RosterChanged):
            check_newcomers_ringing(state, event, self.config)
        finishes = [c for c in result.commands if isinstance(c, Finish)]
        newly_closed = state.phase is Phase.CLOSED and (
            before is None or before.phase is not Phase.CLOSED
        )
        assert len(finishes) == (1 if newly_closed else 0)
        if before is not None and before.outcome is not None:
            assert state.outcome == before.outcome
            assert state.closed_at == before.closed_at
        handovers = [c for c in result.commands if isinstance(c, Handover)]
        if before is not None and before.owner is not None:
            # At most one owner at a time; it changes only when a transfer is accepted.
            if handovers:
                assert handovers == [Handover(before.owner, state.owner)]
                assert before.transfer_until is not None and state.transfer_until is None
            else:
                assert (state.owner, state.owner_tier) == (before.owner, before.owner_tier)
        lapses = [c for c in result.commands if isinstance(c, TransferLapsed)]
        if lapses:
            assert before is not None and before.transfer_until is not None
            assert lapses == [TransferLapsed(before.owner)] and state.owner == before.owner
        check_state(state, self.config)

    def leads(self) -> list[CreateLead]:
        return [c for c in self.commands if isinstance(c, CreateLead)]

    def lead_commands(self) -> list[CreateLead | ResendLead]:
        return [c for c in self.commands if isinstance(c, CreateLead | ResendLead)]


def may_apply(state: LadderState, event: Event, config: LadderConfig) -> bool:
    """Whether the spec says ``event`` is accepted (or a harmless no-op) in ``state``."""
    phase = state.phase
    if isinstance(event, Accept):
        if phase is Phase.CONNECTED:
            ringing = (*state.ringing_store, *state.ringing_pool)
            return state.transfer_until is not None and event.operator in ringing
        return phase is Phase.RINGING_POOL or (
            phase is Phase.RINGING_STORE and event.tier is Tier.STORE
        )
    if isinstance(event, Transfer):
        may_ring_store = event.roster.store_open or config.after_hours_store_first
        wanted = event.to or (event.roster.store if may_ring_store else ())
        return (
            phase is Phase.CONNECTED
            and event.operator == state.owner
            and state.transfer_until is None
            and any(o != state.owner and o not in state.declined for o in wanted)
        )
    if isinstance(event, Close):
        return phase is Phase.CONNECTED
    if isinstance(event, Decline):
        return phase is not Phase.CLOSED
    # Tick, RosterChanged and the shopper's events are accepted (or harmless) anywhere.
    return not isinstance(event, Start)


def check_newcomers_ringing(state: LadderState, event: RosterChanged, config: LadderConfig):
    """After a roster change, everyone on the roster for a tier that rings now is ringing.

    Except who declined: in the pool phase, the receptionists (and the store staff,
    quietly, when the store may be rung); in a ring-all store phase past the sticky step,
    the store staff.
    """
    ringing = {*state.ringing_store, *state.ringing_pool}
    roster = event.roster
    may_ring_store = roster.store_open or config.after_hours_store_first
    ring_all = config.strategy is Strategy.RING_ALL and state.sticky_done
    due: tuple[int, ...] = ()
    if state.phase is Phase.RINGING_POOL:
        due = (*roster.pool, *roster.store) if may_ring_store else roster.pool
    elif state.phase is Phase.RINGING_STORE and ring_all and may_ring_store:
        due = roster.store
    assert {o for o in due if o not in state.declined} <= ringing


def check_rings_within_window(state: LadderState, result: StepResult) -> None:
    """No ring outlives the window of the phase it was sent in (rings are netted per call)."""
    rings = [c for c in result.commands if isinstance(c, Ring)]
    if state.phase is Phase.RINGING_STORE:
        assert all(r.until <= state.store_until and r.tier is Tier.STORE for r in rings)
        assert not any(r.quiet for r in rings)
    elif state.phase is Phase.RINGING_POOL:
        assert all(r.until == state.pool_until for r in rings)
        assert all(r.quiet == (r.tier is Tier.STORE) for r in rings)
    elif state.phase is Phase.CONNECTED and state.transfer_until is not None:
        assert all(r.until == state.transfer_until and not r.quiet for r in rings)
    else:
        assert rings == []


def check_state(state: LadderState, config: LadderConfig) -> None:
    assert (state.outcome is not None) == (state.phase is Phase.CLOSED)
    assert (state.closed_at is not None) == (state.phase is Phase.CLOSED)
    assert (state.owner is None) == (state.owner_tier is None)
    if state.phase is Phase.CONNECTED:
        assert state.owner is not None
    transferring = state.phase is Phase.CONNECTED and state.transfer_until is not None
    if state.phase not in (Phase.RINGING_STORE, Phase.RINGING_POOL) and not transferring:
        assert state.ringing_store == state.ringing_pool == ()
    if transferring:
        assert state.ringing_store or state.ringing_pool
    one_at_a_time = not state.sticky_done or config.strategy is Strategy.ROUND_ROBIN
    if state.phase is Phase.RINGING_STORE and one_at_a_time:
        # The sticky step and round-robin ring one person, roster changes or not.
        assert len(state.ringing_store) == 1
    wakeup = next_wakeup(state, config)
    if state.phase is Phase.CLOSED:
        assert wakeup is None
    elif state.phase is Phase.CAPTURED:
        # Open for the capture window from when the details came in (or the shopper last
        # wrote): ``check_call`` holds that bound, whenever the event came.
        assert wakeup is not None and wakeup <= state.capture_until
        assert state.has_contact and state.lead_sent and state.owner is None
    elif state.phase is not Phase.CONNECTED:
        # Nobody waits forever: the ladder is bounded by its windows from the shopper's last
        # word (their first message, or one written after they left their details).
        windows = config.store_window_s + config.pool_window_s + config.capture_window_s
        assert wakeup is not None
        assert wakeup <= (state.wrote_at or state.started_at) + timedelta(seconds=windows)
    data = to_json(state)
    assert from_json(json.loads(json.dumps(data))) == state


@settings(max_examples=300, deadline=None)
@given(config=configs, first=ANY_ROSTER, final=ANY_ROSTER, data=st.data())
def test_ladder_invariants(config, first, final, data):
    run = Run(config)
    run.feed(Start(T0, first))
    now = T0
    for _ in range(data.draw(LENGTH, label="length")):
        if run.finished():
            break
        now = next_time(data, run.state, now, config)
        run.feed(draw_event(data, run.state, now, first))

    c = config
    span = timedelta(
        seconds=c.sticky_s + c.store_window_s + c.pool_window_s + c.grace_s + 2 * c.capture_window_s
    )
    run.feed(Tick(now + span + timedelta(seconds=1), final))
    state = run.state
    assert state.phase in (Phase.CLOSED, Phase.CONNECTED)

    finishes = [c for c in run.commands if isinstance(c, Finish)]
    if state.phase is Phase.CLOSED:
        assert finishes == [Finish(state.outcome)]
    else:
        assert finishes == []

    # One lead per conversation: created once, and only ever resent after that.
    leads = run.leads()
    sends = run.lead_commands()
    assert len(leads) <= 1
    assert sends[:1] == leads
    if leads:
        # A lead goes out before the close only when the details came in and nobody
        # answered (``captured``); a store salesperson may still answer after that (an Up).
        assert state.outcome in (Outcome.POOL, Outcome.MISSED) or (
            state.outcome in (Outcome.UP, None) and leads == [CreateLead(LeadService.UNANSWERED)]
        )
        expected = LeadService.POOL if state.outcome is Outcome.POOL else LeadService.UNANSWERED
        # The last send names who handled the chat: a pool chat after capture is resent so.
        if state.outcome in (Outcome.POOL, Outcome.MISSED):
            assert sends[-1].service is expected
    if state.outcome is Outcome.MISSED and leads:
        assert state.has_contact
    # A closed chat that is not an Up yields exactly one lead when there is something to send.
    if state.outcome is Outcome.POOL or (state.outcome is Outcome.MISSED and state.has_contact):
        assert len(leads) == 1
    if state.outcome is Outcome.ABANDONED:
        assert not state.has_contact

    assigned = [c.operator for c in run.commands if isinstance(c, Assign)]
    handovers = [c for c in run.commands if isinstance(c, Handover)]
    # One Assign when the chat is first accepted, then one per accepted transfer.
    assert len(assigned) == (1 + len(handovers) if state.owner is not None else 0)
    if assigned:
        assert assigned[-1] == state.owner


@settings(max_examples=300, deadline=None)
@given(config=configs, first=ANY_ROSTER, data=st.data())
def test_ticks_are_idempotent(config, first, data):
    """A second Tick or RosterChanged at the same time never changes anything.

    Deadlines may fire twice, and the shell may report one roster change twice.
    """
    state = start(Start(T0, first), config).state
    now = T0
    fed_closed = 0  # events fed to the closed conversation, as in ``Run.finished``
    for _ in range(data.draw(LENGTH, label="length")):
        if state.phase is Phase.CLOSED:
            fed_closed += 1
        if fed_closed > AFTER_CLOSE:
            break
        now = next_time(data, state, now, config)
        event = draw_event(data, state, now, first)
        try:
            state = step(state, event, config).state
        except IllegalTransition:
            continue
        if isinstance(event, Tick | RosterChanged):
            assert step(state, event, config) == StepResult(state, ())


@settings(max_examples=300, deadline=None)
@given(config=hours_only_configs, first=CLOSED_ROSTER, final=CLOSED_ROSTER, data=st.data())
def test_a_closed_store_is_never_rung_unless_the_dealer_chose_so(config, first, final, data):
    """Store closed all along and the after-hours choice off: no store ring, quiet or not.

    Only a transfer may ring store staff then (the owner names them), so the run is
    checked up to the first one.
    """
    run = Run(config)
    run.feed(Start(T0, first))
    now = T0
    for _ in range(data.draw(LENGTH, label="length")):
        if run.finished():
            break
        now = next_time(data, run.state, now, config)
        event = draw_event(data, run.state, now, first, CLOSED_ROSTER)
        if isinstance(event, Transfer):
            break
        run.feed(event)
    else:
        run.feed(Tick(now + timedelta(days=1), final))
    assert not [c for c in run.commands if isinstance(c, Ring) and c.tier is Tier.STORE]
    assert run.state.store_rung_at is None


@settings(max_examples=200, deadline=None)
@given(config=configs, first=ANY_ROSTER, data=st.data())
def test_whoever_comes_on_shift_while_their_tier_rings_is_rung_at_once(config, first, data):
    """Roster changes while the conversation rings, a few seconds apart.

    ``Run`` checks after each ``RosterChanged`` (``check_newcomers_ringing``): in the
    pool phase every receptionist on the roster who has not declined is ringing; in a
    ring-all store phase past the sticky step, every store operator likewise; and the
    usual invariants (no ring after a decline, rings within their window).
    """
    run = Run(config)
    run.feed(Start(T0, first))
    now = T0
    for _ in range(data.draw(LENGTH, label="length")):
        if run.state.phase not in RINGING:
            break
        now += timedelta(seconds=data.draw(SHORT_WAIT, label="wait"))
        run.feed(draw_event(data, run.state, now, first, kinds=RINGING_KINDS))
