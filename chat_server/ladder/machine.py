"""The ladder as a pure state machine: store ring → pool ring → lead capture.

``start`` and ``step`` take the current state and one event and return the next state
plus the commands the shell must carry out (ring, cancel rings, announce, assign, create
a lead, finish). Nothing here reads a clock or does I/O: time comes only from each
event's ``at``, and ``next_wakeup`` tells the shell when to send the next ``Tick``.

Every time is normalised to UTC on the way in: adding a ``timedelta`` to a ``ZoneInfo``
datetime is wall-clock arithmetic (wrong across a DST change), and a fold-ambiguous
local time never compares equal to the same instant in another zone.

Only ``Tick``, ``Decline`` and ``RosterChanged`` advance timers, because only they carry
a ``Roster`` (escalating needs to know who can be rung). A ``Tick`` that arrives late
processes every due timer in time order, each transition computed at its own due time,
so a late tick never stretches the ladder. The commands of one call are netted (see
``_net``): an operator rung and then cancelled in the same call is never rung at all.

Lead capture ends, once contact details are known, in ``captured``: the lead goes out at
once, and the conversation stays open for the capture window (or the grace period once the
shopper leaves), so their next message continues the same thread. Such a message
(``ShopperWrote``) rings the ladder again; whatever happens next, the conversation still
makes one lead (``CreateLead`` once, then ``ResendLead`` with the newer transcript).

Whether the store may be rung at all is one rule (``_may_ring_store``): when it is open,
or, outside its hours, when the dealership chose to ring its on-shift staff first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from .types import (
    Accept,
    Announce,
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
)

__all__ = ["from_json", "next_wakeup", "start", "step", "to_json"]

_RINGING = (Phase.RINGING_STORE, Phase.RINGING_POOL)
# The transfer window when the dealership's store window is 0 (LadderConfig's default).
TRANSFER_WINDOW_S = LadderConfig.store_window_s

# Tie-break between timers due at the same instant: closing on grace first (it is final,
# so ringing anyone first would only ring and cancel), then the end of a window, then
# the end of a step. The last rule also keeps ``_advance`` finite: a round-robin step is
# capped at the window's end, so a step firing before its window would set the same
# step end again, forever.
_GRACE, _WINDOW, _STEP = 0, 1, 2


# --- public API ---------------------------------------------------------------


def start(event: Start, config: LadderConfig) -> StepResult:
    """Open the ladder for a new conversation (the shopper's first message).

    Rings the store when it may be rung (open, or closed with ``after_hours_store_first``)
    and someone is on shift, else the pool, else goes straight to lead capture.
    """
    _check_config(config)
    at, roster = _utc(event.at), event.roster
    out: list[Command] = []
    state = LadderState(phase=Phase.RINGING_STORE, started_at=at)
    if _may_ring_store(roster, config) and _store_candidates(state, roster):
        state = _enter_store(state, at, roster, config, out)
    else:
        state = _enter_pool(state, at, roster, config, out)
    # Zero-length windows are legal: let them expire now rather than on the next Tick.
    state = _advance(state, at, roster, config, out)
    return StepResult(state, _net(frozenset(), out))


def step(state: LadderState, event: Event, config: LadderConfig) -> StepResult:
    """Apply one event to ``state``.

    Raises ``IllegalTransition`` (naming the phase) for an event the phase does not
    allow; harmless repeats (a second ``ShopperLeft``, a ``Decline`` by someone no
    longer ringing, a ``Tick`` with nothing due, a ``RosterChanged`` with nobody new or
    in a phase that rings nobody) return the same state and no commands.
    """
    _check_config(config)
    handler = _HANDLERS.get(type(event))
    if handler is None:  # Start, or something that is not an event at all
        raise IllegalTransition(state.phase, event, "the conversation has already started")
    event = replace(event, at=_utc(event.at))
    out: list[Command] = []
    new = handler(state, event, config, out)
    return StepResult(new, _net(_live(state), out))


def next_wakeup(state: LadderState, config: LadderConfig) -> datetime | None:
    """The earliest time a ``Tick`` could change something, or None when nothing is timed."""
    timers = _timers(state, config)
    return min(timers)[0] if timers else None


def to_json(state: LadderState) -> dict[str, Any]:
    """``state`` as JSON-safe data: ISO datetimes with offset, enum values, lists."""
    data: dict[str, Any] = {}
    for name, kind in _JSON_FIELDS.items():
        value = getattr(state, name)
        if value is None:
            data[name] = None
        elif kind == "datetime":
            data[name] = value.isoformat()
        elif kind == "ints":
            data[name] = list(value)
        elif kind in ("bool", "int"):
            data[name] = value
        else:  # an enum
            data[name] = value.value
    return data


def from_json(data: dict[str, Any]) -> LadderState:
    """The inverse of ``to_json``. Missing keys take their defaults; unknown keys raise."""
    unknown = set(data) - set(_JSON_FIELDS)
    if unknown:
        raise ValueError(f"unknown ladder state keys: {', '.join(sorted(unknown))}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        kind = _JSON_FIELDS[name]
        if value is None:
            kwargs[name] = None
        elif kind == "datetime":
            kwargs[name] = _utc(datetime.fromisoformat(value))
        elif kind == "ints":
            kwargs[name] = tuple(int(v) for v in value)
        elif kind == "bool":
            kwargs[name] = bool(value)
        elif kind == "int":
            kwargs[name] = int(value)
        else:
            kwargs[name] = _ENUMS[kind](value)
    return LadderState(**kwargs)


# --- event handlers -----------------------------------------------------------


def _on_tick(
    state: LadderState, event: Tick, config: LadderConfig, out: list[Command]
) -> LadderState:
    return _advance(state, event.at, event.roster, config, out)


def _on_accept(
    state: LadderState, event: Accept, config: LadderConfig, out: list[Command]
) -> LadderState:
    if state.phase is Phase.CLOSED:
        raise IllegalTransition(state.phase, event, "closed")
    if state.phase is Phase.CONNECTED:
        if state.transfer_until is not None and event.operator in _ringing(state):
            return _hand_over(state, event, out)
        raise IllegalTransition(state.phase, event, "taken")
    if state.phase in (Phase.LEAD_CAPTURE, Phase.CAPTURED):
        raise IllegalTransition(state.phase, event, "nobody is being rung any more")
    if state.phase is Phase.RINGING_STORE and event.tier is not Tier.STORE:
        raise IllegalTransition(
            state.phase, event, "only store staff may accept before the pool rings"
        )
    others = tuple(o for o in _ringing(state) if o != event.operator)
    if others:
        out.append(CancelRings(others, CancelReason.TAKEN))
    out.append(Assign(event.operator, event.tier))
    out.append(Announce(Phase.CONNECTED, agent=event.operator))
    return replace(
        state,
        phase=Phase.CONNECTED,
        owner=event.operator,
        owner_tier=event.tier,
        accepted_at=event.at,
        step_until=None,
        ringing_store=(),
        ringing_pool=(),
    )


def _on_decline(
    state: LadderState, event: Decline, config: LadderConfig, out: list[Command]
) -> LadderState:
    if state.phase is Phase.CLOSED:
        raise IllegalTransition(state.phase, event, "closed")
    at, roster, who = event.at, event.roster, event.operator
    # Whatever was due before the decline happens first (it may already have moved on).
    state = _advance(state, at, roster, config, out)
    if who not in _ringing(state):
        return state
    out.append(CancelRings((who,), CancelReason.DECLINED))
    state = replace(
        state,
        ringing_store=_without(state.ringing_store, who),
        ringing_pool=_without(state.ringing_pool, who),
        declined=(*state.declined, who),
    )
    if state.phase is Phase.RINGING_STORE and not state.ringing_store:
        # The current step (sticky, round-robin or everyone) is over: try the next.
        state = _next_store_step(state, at, roster, config, out)
    elif state.phase is Phase.RINGING_POOL and not _ringing(state):
        state = _enter_capture(state, at, config, out)
    elif state.phase is Phase.CONNECTED and not _ringing(state):
        state = _lapse_transfer(state, out)
    return _advance(state, at, roster, config, out)


def _on_left(
    state: LadderState, event: ShopperLeft, config: LadderConfig, out: list[Command]
) -> LadderState:
    if state.phase is Phase.CLOSED or state.away_since is not None:
        return state
    return replace(state, away_since=event.at)


def _on_back(
    state: LadderState, event: ShopperBack, config: LadderConfig, out: list[Command]
) -> LadderState:
    if state.phase is Phase.CLOSED or state.away_since is None:
        return state
    return replace(state, away_since=None)


def _on_contact(
    state: LadderState, event: ContactGiven, config: LadderConfig, out: list[Command]
) -> LadderState:
    if state.phase is Phase.CLOSED or state.has_contact:
        return state
    state = replace(state, has_contact=True)
    if state.phase is Phase.LEAD_CAPTURE:
        return _enter_captured(state, event.at, config, out)
    return state


def _on_wrote(
    state: LadderState, event: ShopperWrote, config: LadderConfig, out: list[Command]
) -> LadderState:
    """The shopper wrote after leaving their details: ring again, in the same conversation.

    The message is already stored, so the lead is stale whatever happens next. Due timers
    fire first (a message cannot stretch a window that is already over). Then the store
    rings when it may and someone is on shift, else the pool, else the chat stays captured
    with a fresh window. The first ring times stay those of the first climb.
    """
    if state.phase is not Phase.CAPTURED:
        return state
    at, roster = event.at, event.roster
    state = _advance(replace(state, lead_stale=True), at, roster, config, out)
    if state.phase is not Phase.CAPTURED:
        return state
    again = replace(state, wrote_at=at, sticky_done=False, step_until=None)
    if _may_ring_store(roster, config) and _store_candidates(again, roster):
        again = _enter_store(again, at, roster, config, out)
    elif _fresh(roster.pool, again.declined):
        again = _enter_pool(again, at, roster, config, out)
    else:  # nobody to ring: the shopper keeps writing into the captured chat
        return replace(again, capture_until=at + _s(config.capture_window_s))
    again = replace(
        again,
        store_rung_at=state.store_rung_at or again.store_rung_at,
        pool_rung_at=state.pool_rung_at or again.pool_rung_at,
    )
    # Zero-length windows are legal: let them expire now rather than on the next Tick.
    return _advance(again, at, roster, config, out)


def _on_close(
    state: LadderState, event: Close, config: LadderConfig, out: list[Command]
) -> LadderState:
    if state.phase is not Phase.CONNECTED:
        reason = "already closed" if state.phase is Phase.CLOSED else "nobody has accepted yet"
        raise IllegalTransition(state.phase, event, reason)
    return _close_answered(state, event.at, CancelReason.TIMEOUT, out)


def _on_transfer(
    state: LadderState, event: Transfer, config: LadderConfig, out: list[Command]
) -> LadderState:
    if state.phase is not Phase.CONNECTED:
        raise IllegalTransition(state.phase, event, "only a connected chat can be transferred")
    if event.operator != state.owner:
        raise IllegalTransition(state.phase, event, "only the operator in the chat can transfer")
    if state.transfer_until is not None:
        raise IllegalTransition(state.phase, event, "a transfer is already waiting")
    wanted = event.to or (event.roster.store if _may_ring_store(event.roster, config) else ())
    # Someone who declined this chat is not offered it again, transfer or not.
    targets = _fresh(wanted, (event.operator, *state.declined))
    if not targets:
        raise IllegalTransition(state.phase, event, "nobody is available to take it")
    # A store that skips its own ring (store window 0: straight to the pool) still gets a
    # real window for a transfer someone chose to make; a zero one would lapse at once.
    until = event.at + _s(config.store_window_s or TRANSFER_WINDOW_S)
    out.append(Ring(targets, event.tier, until))
    pool = event.tier is Tier.POOL
    return replace(
        state,
        transfer_until=until,
        transfer_tier=event.tier,
        ringing_store=() if pool else targets,
        ringing_pool=targets if pool else (),
    )


def _on_roster_changed(
    state: LadderState, event: RosterChanged, config: LadderConfig, out: list[Command]
) -> LadderState:
    """Ring whoever became reachable while their tier rings, within the current window.

    Due timers fire first (as on a ``Tick``), so a late event never stretches the
    ladder. In the store phase only ring-all adds newcomers, and only once the sticky
    step is over (the sticky step is one person by design; round-robin is one at a
    time by the dealership's choice): otherwise a newcomer waits for the next step,
    which reads the roster then. Operators missing from the roster keep their rings:
    those end by timeout or accept. Other phases ring nobody new.
    """
    state = _advance(state, event.at, event.roster, config, out)
    if state.phase is Phase.RINGING_STORE:
        if state.sticky_done and config.strategy is Strategy.RING_ALL:
            return _ring_store_newcomers(state, event.roster, config, out)
        return state
    if state.phase is Phase.RINGING_POOL:
        return _ring_pool_newcomers(state, event.roster, config, out)
    return state


_HANDLERS: dict[type, Callable[..., LadderState]] = {
    Tick: _on_tick,
    Accept: _on_accept,
    Decline: _on_decline,
    ShopperLeft: _on_left,
    ShopperBack: _on_back,
    ContactGiven: _on_contact,
    ShopperWrote: _on_wrote,
    Transfer: _on_transfer,
    Close: _on_close,
    RosterChanged: _on_roster_changed,
}


# --- timers -------------------------------------------------------------------


def _timers(state: LadderState, config: LadderConfig) -> list[tuple[datetime, int]]:
    """The timers that matter in the current phase, as (due time, tie-break rank)."""
    if state.phase is Phase.CLOSED:
        return []
    timers: list[tuple[datetime, int]] = []
    if state.away_since is not None:
        timers.append((state.away_since + _s(config.grace_s), _GRACE))
    window = {
        Phase.RINGING_STORE: state.store_until,
        Phase.RINGING_POOL: state.pool_until,
        Phase.LEAD_CAPTURE: state.capture_until,
        Phase.CAPTURED: state.capture_until,
        Phase.CONNECTED: state.transfer_until,
    }.get(state.phase)
    if window is not None:
        timers.append((window, _WINDOW))
    if state.phase is Phase.RINGING_STORE and state.step_until is not None:
        timers.append((state.step_until, _STEP))
    return timers


def _advance(
    state: LadderState, at: datetime, roster: Roster, config: LadderConfig, out: list[Command]
) -> LadderState:
    """Fire every timer due at ``at``, earliest first, each at its own due time."""
    while True:
        due = [t for t in _timers(state, config) if t[0] <= at]
        if not due:
            return state
        when, rank = min(due)
        # Each branch moves the phase on or pushes the timer strictly later (given the
        # tie-break above), so this loop ends.
        if rank == _GRACE:
            state = _grace_over(state, when, out)
        elif state.phase is Phase.RINGING_STORE and rank == _WINDOW:
            state = _enter_pool(state, when, roster, config, out)
        elif state.phase is Phase.RINGING_STORE:
            state = _next_store_step(state, when, roster, config, out)
        elif state.phase is Phase.RINGING_POOL:
            state = _enter_capture(state, when, config, out)
        elif state.phase is Phase.CONNECTED:  # a transfer nobody took
            _cancel(out, _ringing(state), CancelReason.TIMEOUT)
            state = _lapse_transfer(state, out)
        elif state.phase is Phase.CAPTURED:  # the shopper wrote nothing more in time
            state = _close_unanswered(state, when, CancelReason.TIMEOUT, out)
        else:  # LEAD_CAPTURE: the form waited long enough
            outcome = Outcome.ABANDONED if state.away_since is not None else Outcome.MISSED
            state = _close(state, when, outcome, None, CancelReason.TIMEOUT, out)


def _grace_over(state: LadderState, when: datetime, out: list[Command]) -> LadderState:
    if state.phase is Phase.CONNECTED:
        return _close_answered(state, when, CancelReason.LEFT, out)
    return _close_unanswered(state, when, CancelReason.LEFT, out)


# --- transitions --------------------------------------------------------------


def _enter_store(
    state: LadderState, at: datetime, roster: Roster, config: LadderConfig, out: list[Command]
) -> LadderState:
    store_until = at + _s(config.store_window_s)
    state = replace(state, phase=Phase.RINGING_STORE, store_until=store_until, store_rung_at=at)
    sticky = roster.sticky
    if sticky is not None and sticky in _store_candidates(state, roster) and config.sticky_s > 0:
        step_until = min(at + _s(config.sticky_s), store_until)
        out.append(Ring((sticky,), Tier.STORE, step_until))
        state = replace(state, step_until=step_until, ringing_store=(sticky,), rung_store=(sticky,))
    else:
        state = _next_store_step(state, at, roster, config, out)
        if state.phase is not Phase.RINGING_STORE:
            return state  # nobody to ring after all; _enter_pool announced
    out.append(Announce(Phase.RINGING_STORE))
    return state


def _next_store_step(
    state: LadderState, at: datetime, roster: Roster, config: LadderConfig, out: list[Command]
) -> LadderState:
    """Ring the store per strategy after the sticky step, a round-robin step or a decline."""
    assert state.store_until is not None
    candidates = _store_candidates(state, roster) if _may_ring_store(roster, config) else ()
    if not candidates:
        return _enter_pool(state, at, roster, config, out)
    if config.strategy is Strategy.ROUND_ROBIN:
        fresh = [o for o in candidates if o not in state.rung_store]
        target = fresh[0] if fresh else candidates[0]
        # A new round starts when everyone available has had their turn.
        rung = (*state.rung_store, target) if fresh else (target,)
        targets: tuple[int, ...] = (target,)
        step_until: datetime | None = min(at + _s(config.round_robin_step_s), state.store_until)
    else:
        targets = candidates
        rung = _union(state.rung_store, targets)
        step_until = None
    until = step_until if step_until is not None else state.store_until
    _cancel(out, (o for o in state.ringing_store if o not in targets), CancelReason.TIMEOUT)
    # The sticky operator may be in ``targets`` again: ringing them again extends their ring.
    out.append(Ring(targets, Tier.STORE, until))
    return replace(
        state,
        step_until=step_until,
        ringing_store=targets,
        rung_store=rung,
        sticky_done=True,
    )


def _enter_pool(
    state: LadderState, at: datetime, roster: Roster, config: LadderConfig, out: list[Command]
) -> LadderState:
    pool = _fresh(roster.pool, state.declined)
    if not pool:
        return _enter_capture(state, at, config, out)
    pool_until = at + _s(config.pool_window_s)
    # Store staff may still claim while the pool rings, but without a sound.
    may_ring = _may_ring_store(roster, config)
    quiet = _fresh(roster.store, (*state.declined, *pool)) if may_ring else ()
    _cancel(out, (o for o in state.ringing_store if o not in quiet), CancelReason.TIMEOUT)
    out.append(Ring(pool, Tier.POOL, pool_until))
    if quiet:
        out.append(Ring(quiet, Tier.STORE, pool_until, quiet=True))
    out.append(Announce(Phase.RINGING_POOL))
    return replace(
        state,
        phase=Phase.RINGING_POOL,
        pool_until=pool_until,
        pool_rung_at=at,
        step_until=None,
        ringing_store=quiet,
        ringing_pool=pool,
    )


def _ring_store_newcomers(
    state: LadderState, roster: Roster, config: LadderConfig, out: list[Command]
) -> LadderState:
    """Ring-all store phase: ring on-shift staff not yet ringing until the window ends."""
    assert state.store_until is not None
    if not _may_ring_store(roster, config):
        return state
    newcomers = _fresh(roster.store, (*state.declined, *state.ringing_store))
    if not newcomers:
        return state
    out.append(Ring(newcomers, Tier.STORE, state.store_until))
    return replace(
        state,
        ringing_store=(*state.ringing_store, *newcomers),
        rung_store=_union(state.rung_store, newcomers),
    )


def _ring_pool_newcomers(
    state: LadderState, roster: Roster, config: LadderConfig, out: list[Command]
) -> LadderState:
    """Pool phase: ring new receptionists, and new store staff quietly, until its end."""
    assert state.pool_until is not None
    pool = _fresh(roster.pool, (*state.declined, *_ringing(state)))
    # Same rule as ``_enter_pool``: someone on both lists is rung once, as pool.
    busy = (*state.declined, *_ringing(state), *pool)
    quiet = _fresh(roster.store, busy) if _may_ring_store(roster, config) else ()
    if pool:
        out.append(Ring(pool, Tier.POOL, state.pool_until))
    if quiet:
        out.append(Ring(quiet, Tier.STORE, state.pool_until, quiet=True))
    return replace(
        state,
        ringing_store=(*state.ringing_store, *quiet),
        ringing_pool=(*state.ringing_pool, *pool),
    )


def _enter_capture(
    state: LadderState, at: datetime, config: LadderConfig, out: list[Command]
) -> LadderState:
    if state.has_contact:
        # Contact is already known: there is nothing left to ask, the lead goes out now.
        return _enter_captured(state, at, config, out)
    _cancel(out, _ringing(state), CancelReason.TIMEOUT)
    out.append(Announce(Phase.LEAD_CAPTURE))
    return replace(
        state,
        phase=Phase.LEAD_CAPTURE,
        capture_at=at,
        capture_until=at + _s(config.capture_window_s),
        step_until=None,
        ringing_store=(),
        ringing_pool=(),
    )


def _enter_captured(
    state: LadderState, at: datetime, config: LadderConfig, out: list[Command]
) -> LadderState:
    """Contact is known and nobody answers: the lead goes out now (once), and the chat stays
    open for the capture window, so the shopper can go on writing in the same thread."""
    _cancel(out, _ringing(state), CancelReason.TIMEOUT)
    if not state.lead_sent:
        out.append(CreateLead(LeadService.UNANSWERED))
    out.append(Announce(Phase.CAPTURED))
    return replace(
        state,
        phase=Phase.CAPTURED,
        capture_until=at + _s(config.capture_window_s),
        step_until=None,
        ringing_store=(),
        ringing_pool=(),
        lead_sent=True,
    )


def _hand_over(state: LadderState, event: Accept, out: list[Command]) -> LadderState:
    """A transfer target accepted: the chat is theirs, the previous owner steps out."""
    assert state.owner is not None
    others = tuple(o for o in _ringing(state) if o != event.operator)
    if others:
        out.append(CancelRings(others, CancelReason.TAKEN))
    out.append(Assign(event.operator, event.tier))
    out.append(Handover(state.owner, event.operator))
    out.append(Announce(Phase.CONNECTED, agent=event.operator))
    return replace(
        state,
        owner=event.operator,
        owner_tier=event.tier,
        transfer_until=None,
        transfer_tier=None,
        ringing_store=(),
        ringing_pool=(),
    )


def _lapse_transfer(state: LadderState, out: list[Command]) -> LadderState:
    assert state.owner is not None
    out.append(TransferLapsed(state.owner))
    return replace(
        state, transfer_until=None, transfer_tier=None, ringing_store=(), ringing_pool=()
    )


def _close_unanswered(
    state: LadderState, at: datetime, reason: CancelReason, out: list[Command]
) -> LadderState:
    """Nobody answered: a lead if we have contact details, else the shopper is gone."""
    if state.has_contact:
        return _close(state, at, Outcome.MISSED, LeadService.UNANSWERED, reason, out)
    return _close(state, at, Outcome.ABANDONED, None, reason, out)


def _close_answered(
    state: LadderState, at: datetime, reason: CancelReason, out: list[Command]
) -> LadderState:
    """Somebody answered: an Up for store staff; a pool chat always becomes a lead."""
    if state.owner_tier is Tier.POOL:
        return _close(state, at, Outcome.POOL, LeadService.POOL, reason, out)
    return _close(state, at, Outcome.UP, None, reason, out)


def _close(
    state: LadderState,
    at: datetime,
    outcome: Outcome,
    lead: LeadService | None,
    reason: CancelReason,
    out: list[Command],
) -> LadderState:
    assert state.outcome is None, "a conversation closes exactly once"
    _cancel(out, _ringing(state), reason)
    if lead is not None and not state.lead_sent:
        out.append(CreateLead(lead))
    elif lead is not None and state.lead_stale:
        # The lead went out when the details came in; the shopper wrote more since.
        out.append(ResendLead(lead))
    out.append(Announce(Phase.CLOSED))
    out.append(Finish(outcome))
    return replace(
        state,
        phase=Phase.CLOSED,
        outcome=outcome,
        closed_at=at,
        step_until=None,
        transfer_until=None,
        transfer_tier=None,
        ringing_store=(),
        ringing_pool=(),
        lead_sent=state.lead_sent or lead is not None,
        lead_stale=False,
    )


# --- helpers ------------------------------------------------------------------


def _net(live_before: frozenset[int], commands: list[Command]) -> tuple[Command, ...]:
    """Collapse each operator's ring commands of one call to the last one.

    A late Tick may ring the pool and cancel it again within one call; the shell should
    see neither. A final cancel is kept only for an operator who was ringing before the
    call, so every cancel the shell receives matches a ring it has.
    """
    last: dict[int, int] = {}
    for index, command in enumerate(commands):
        if isinstance(command, Ring | CancelRings):
            for operator in command.operators:
                last[operator] = index
    netted: list[Command] = []
    for index, command in enumerate(commands):
        if isinstance(command, Ring):
            ops = tuple(o for o in command.operators if last[o] == index)
        elif isinstance(command, CancelRings):
            ops = tuple(o for o in command.operators if last[o] == index and o in live_before)
        else:
            netted.append(command)
            continue
        if ops:
            netted.append(replace(command, operators=ops))
    return tuple(netted)


def _cancel(out: list[Command], operators: Iterable[int], reason: CancelReason) -> None:
    ops = tuple(operators)
    if ops:
        out.append(CancelRings(ops, reason))


def _ringing(state: LadderState) -> tuple[int, ...]:
    return _union(state.ringing_store, state.ringing_pool)


def _live(state: LadderState) -> frozenset[int]:
    return frozenset(_ringing(state))


def _may_ring_store(roster: Roster, config: LadderConfig) -> bool:
    """The store is rung when open, or closed if the dealership rings on-shift staff first.

    The one place this rule lives: every store ring (store phase, quiet rings while the
    pool rings, a transfer to "the store") asks it.
    """
    return roster.store_open or config.after_hours_store_first


def _store_candidates(state: LadderState, roster: Roster) -> tuple[int, ...]:
    return _fresh(roster.store, state.declined)


def _fresh(operators: Iterable[int], excluded: Iterable[int]) -> tuple[int, ...]:
    """``operators`` in order, without duplicates and without ``excluded``."""
    skip = set(excluded)
    return tuple(o for o in dict.fromkeys(operators) if o not in skip)


def _union(first: tuple[int, ...], second: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def _without(operators: tuple[int, ...], operator: int) -> tuple[int, ...]:
    return tuple(o for o in operators if o != operator)


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"ladder times must be timezone-aware, got {at!r}")
    return at.astimezone(UTC)


def _check_config(config: LadderConfig) -> None:
    for name in ("sticky_s", "store_window_s", "pool_window_s", "grace_s", "capture_window_s"):
        if getattr(config, name) < 0:
            raise ValueError(f"LadderConfig.{name} must not be negative")
    # A zero step would ring the same operators over and over at one instant.
    if config.strategy is Strategy.ROUND_ROBIN and config.round_robin_step_s <= 0:
        raise ValueError("LadderConfig.round_robin_step_s must be positive for round_robin")


_ENUMS: dict[str, type[Phase] | type[Tier] | type[Outcome]] = {
    "phase": Phase,
    "tier": Tier,
    "outcome": Outcome,
}

# How each LadderState field travels as JSON; tests check it names every field.
_JSON_FIELDS: dict[str, str] = {
    "phase": "phase",
    "started_at": "datetime",
    "store_until": "datetime",
    "pool_until": "datetime",
    "step_until": "datetime",
    "capture_until": "datetime",
    "ringing_store": "ints",
    "ringing_pool": "ints",
    "rung_store": "ints",
    "declined": "ints",
    "sticky_done": "bool",
    "owner": "int",
    "owner_tier": "tier",
    "has_contact": "bool",
    "away_since": "datetime",
    "outcome": "outcome",
    "store_rung_at": "datetime",
    "pool_rung_at": "datetime",
    "accepted_at": "datetime",
    "capture_at": "datetime",
    "closed_at": "datetime",
    "transfer_until": "datetime",
    "transfer_tier": "tier",
    "lead_sent": "bool",
    "lead_stale": "bool",
    "wrote_at": "datetime",
}
