"""Property tests: random configs, rosters and event sequences must keep the invariants."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

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
    Ring,
    Roster,
    ShopperBack,
    ShopperLeft,
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

seconds = st.integers(min_value=0, max_value=40).map(float) | st.sampled_from([0.25, 7.5])

configs = st.builds(
    LadderConfig,
    sticky_s=st.integers(0, 12).map(float),
    store_window_s=st.integers(0, 40).map(float),
    pool_window_s=st.integers(0, 40).map(float),
    round_robin_step_s=st.integers(1, 15).map(float) | st.just(2.5),
    strategy=st.sampled_from(Strategy),
    grace_s=st.integers(0, 90).map(float),
    capture_window_s=st.integers(0, 120).map(float),
)


@st.composite
def rosters(draw: st.DrawFn) -> Roster:
    store = draw(st.lists(st.sampled_from(STORE_IDS), unique=True, max_size=len(STORE_IDS)))
    pool = draw(st.lists(st.sampled_from(POOL_IDS), unique=True, max_size=len(POOL_IDS)))
    # Mostly a sticky operator who is available, sometimes a stale one.
    sticky = draw(st.none() | st.sampled_from(store or STORE_IDS) | st.sampled_from(STORE_IDS))
    return Roster(
        store_open=draw(st.booleans()), store=tuple(store), pool=tuple(pool), sticky=sticky
    )


ALL_IDS = STORE_IDS + POOL_IDS
# Weighted towards ticks and declines: an early accept ends the interesting part of a run.
KINDS = ["tick"] * 3 + ["decline"] * 2 + ["accept"] * 2 + ["left", "back", "contact", "close"]
KINDS += ["transfer"]


def next_time(data: st.DataObject, state: LadderState, now: datetime, config: LadderConfig):
    """A time at or after ``now``: often exactly a deadline, so ties and edges get exercised."""
    later = now + timedelta(seconds=data.draw(seconds, label="wait"))
    wakeup = next_wakeup(state, config)
    if wakeup is None or wakeup < now:
        return later
    return data.draw(st.sampled_from([later, wakeup, max(now, wakeup - timedelta(seconds=0.5))]))


def draw_event(data: st.DataObject, state: LadderState, now: datetime, usual: Roster) -> Event:
    """One event at ``now``, preferring operators who are actually being rung.

    Rosters are mostly ``usual`` (staff rarely change within seconds), sometimes anything.
    """
    roster = st.just(usual) | rosters()
    ringing = (*state.ringing_store, *state.ringing_pool)
    who = (
        st.sampled_from(ringing) | st.sampled_from(ALL_IDS) if ringing else st.sampled_from(ALL_IDS)
    )
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    if kind == "tick":
        return Tick(now, data.draw(roster))
    if kind == "accept":
        operator = data.draw(who)
        natural = Tier.POOL if operator in POOL_IDS else Tier.STORE
        return Accept(operator, data.draw(st.just(natural) | st.sampled_from(Tier)), now)
    if kind == "decline":
        return Decline(data.draw(who), now, data.draw(roster))
    if kind == "transfer":
        owner = st.sampled_from(ALL_IDS)
        operator = data.draw(st.just(state.owner) | owner if state.owner else owner)
        to = data.draw(st.just(()) | st.lists(st.sampled_from(ALL_IDS), max_size=2).map(tuple))
        tier = data.draw(st.sampled_from(Tier))
        return Transfer(operator, now, data.draw(roster), to, tier)
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

    def feed(self, event: Event) -> None:
        before = self.state
        try:
            result = (
                start(event, self.config) if before is None else step(before, event, self.config)
            )
        except IllegalTransition as exc:
            assert before is not None
            assert exc.phase is before.phase
            assert not may_apply(before, event), f"refused {event} in {before.phase}"
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


def may_apply(state: LadderState, event: Event) -> bool:
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
        wanted = event.to or (event.roster.store if event.roster.store_open else ())
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
    return not isinstance(event, Start)


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
    wakeup = next_wakeup(state, config)
    if state.phase is Phase.CLOSED:
        assert wakeup is None
    elif state.phase is not Phase.CONNECTED:
        # Nobody waits forever: the ladder is bounded by its windows, whatever happens.
        windows = config.store_window_s + config.pool_window_s + config.capture_window_s
        assert wakeup is not None
        assert wakeup <= state.started_at + timedelta(seconds=windows)
    data = to_json(state)
    assert from_json(json.loads(json.dumps(data))) == state


@settings(max_examples=300, deadline=None)
@given(config=configs, first=rosters(), final=rosters(), data=st.data())
def test_ladder_invariants(config, first, final, data):
    run = Run(config)
    run.feed(Start(T0, first))
    now = T0
    for _ in range(data.draw(st.integers(0, 25), label="length")):
        now = next_time(data, run.state, now, config)
        run.feed(draw_event(data, run.state, now, first))

    c = config
    horizon = T0 + timedelta(
        seconds=c.sticky_s + c.store_window_s + c.pool_window_s + c.grace_s + c.capture_window_s + 1
    )
    run.feed(Tick(max(now, horizon), final))
    state = run.state
    assert state.phase in (Phase.CLOSED, Phase.CONNECTED)

    finishes = [c for c in run.commands if isinstance(c, Finish)]
    if state.phase is Phase.CLOSED:
        assert finishes == [Finish(state.outcome)]
    else:
        assert finishes == []

    leads = run.leads()
    assert len(leads) <= 1
    if leads:
        assert state.outcome in (Outcome.POOL, Outcome.MISSED)
        expected = LeadService.POOL if state.outcome is Outcome.POOL else LeadService.UNANSWERED
        assert leads == [CreateLead(expected)]
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
@given(config=configs, first=rosters(), data=st.data())
def test_ticks_are_idempotent(config, first, data):
    """A second Tick at the same time never changes anything (deadlines may fire twice)."""
    state = start(Start(T0, first), config).state
    now = T0
    for _ in range(data.draw(st.integers(0, 25), label="length")):
        now = next_time(data, state, now, config)
        event = draw_event(data, state, now, first)
        try:
            state = step(state, event, config).state
        except IllegalTransition:
            continue
        if isinstance(event, Tick):
            assert step(state, event, config) == StepResult(state, ())
