"""RosterChanged: whoever comes on shift while their tier rings is rung at once, within windows."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from chat_server.ladder import (
    Accept,
    Announce,
    CancelReason,
    CancelRings,
    Close,
    Decline,
    LadderConfig,
    LadderState,
    Phase,
    Ring,
    Roster,
    RosterChanged,
    Start,
    StepResult,
    Strategy,
    Tick,
    Tier,
    Transfer,
    next_wakeup,
    start,
    step,
)

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
CFG = LadderConfig()  # sticky 8, store 20, pool 25, step 8, ring all, after hours store first
RR = dataclasses.replace(CFG, strategy=Strategy.ROUND_ROBIN, store_window_s=60)
HOURS_ONLY = dataclasses.replace(CFG, after_hours_store_first=False)
OPEN = Roster(store_open=True, store=(1, 2), pool=(11,))
# Operator 3 and receptionist 12 come on shift.
GROWN = Roster(store_open=True, store=(1, 2, 3), pool=(11, 12))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def changed(
    state: LadderState, seconds: float, roster: Roster = GROWN, config: LadderConfig = CFG
) -> StepResult:
    return step(state, RosterChanged(at(seconds), roster), config)


def pool_phase(roster: Roster = OPEN, config: LadderConfig = CFG) -> LadderState:
    """A conversation whose store window ran out at 20 s; the pool rings until 45 s."""
    state = start(Start(T0, roster), config).state
    return step(state, Tick(at(20), roster), config).state


# --- store phase, ring-all ----------------------------------------------------


def test_ring_all_rings_a_newcomer_until_the_store_window_ends() -> None:
    state = start(Start(T0, OPEN), CFG).state
    result = changed(state, 5)
    assert result.commands == (Ring((3,), Tier.STORE, at(20)),)
    assert result.state.ringing_store == (1, 2, 3)
    assert result.state.rung_store == (1, 2, 3)
    assert result.state.store_until == at(20)
    assert next_wakeup(result.state, CFG) == at(20)


def test_ring_all_rings_nobody_new_during_the_sticky_step() -> None:
    sticky = dataclasses.replace(OPEN, sticky=2)
    state = start(Start(T0, sticky), CFG).state
    result = changed(state, 3, dataclasses.replace(GROWN, sticky=2))
    assert result == StepResult(state, ())


def test_ring_all_rings_the_newcomer_when_the_sticky_step_ends() -> None:
    state = start(Start(T0, dataclasses.replace(OPEN, sticky=2)), CFG).state
    state = changed(state, 3, dataclasses.replace(GROWN, sticky=2)).state
    result = step(state, Tick(at(8), GROWN), CFG)
    assert result.commands == (Ring((1, 2, 3), Tier.STORE, at(20)),)


def test_ring_all_never_rings_again_who_declined() -> None:
    roster = Roster(store_open=True, store=(1, 2, 3), pool=(11,))
    state = start(Start(T0, roster), CFG).state
    state = step(state, Decline(3, at(1), roster), CFG).state
    assert changed(state, 2, roster).commands == ()
    assert changed(state, 2, dataclasses.replace(roster, store=(3, 4))).commands == (
        Ring((4,), Tier.STORE, at(20)),
    )


def test_ring_all_with_nobody_new_changes_nothing() -> None:
    state = start(Start(T0, OPEN), CFG).state
    assert changed(state, 5, OPEN) == StepResult(state, ())
    assert changed(state, 5, Roster(store_open=True)) == StepResult(state, ())


def test_operators_who_left_the_roster_keep_their_rings() -> None:
    state = start(Start(T0, OPEN), CFG).state
    result = changed(state, 5, Roster(store_open=True, store=(2, 3), pool=(11,)))
    assert result.commands == (Ring((3,), Tier.STORE, at(20)),)
    assert result.state.ringing_store == (1, 2, 3)


def test_ring_all_rings_no_newcomer_once_the_store_closed_when_it_rings_only_in_hours() -> None:
    state = start(Start(T0, OPEN), HOURS_ONLY).state
    closed = dataclasses.replace(GROWN, store_open=False)
    assert changed(state, 5, closed, HOURS_ONLY) == StepResult(state, ())


def test_ring_all_rings_a_newcomer_after_hours_when_chosen() -> None:
    closed = dataclasses.replace(OPEN, store_open=False)
    state = start(Start(T0, closed), CFG).state
    result = changed(state, 5, dataclasses.replace(GROWN, store_open=False))
    assert result.commands == (Ring((3,), Tier.STORE, at(20)),)


# --- store phase, round-robin -------------------------------------------------


def test_round_robin_rings_nobody_new_at_once() -> None:
    state = start(Start(T0, OPEN), RR).state
    assert changed(state, 3, GROWN, RR) == StepResult(state, ())


def test_round_robin_newcomer_joins_the_rotation_at_the_next_step() -> None:
    state = start(Start(T0, OPEN), RR).state
    state = changed(state, 3, GROWN, RR).state
    rung = []
    for seconds in (8, 16, 24):
        state = step(state, Tick(at(seconds), GROWN), RR).state
        rung.append(state.ringing_store)
    assert rung == [(2,), (3,), (1,)]


# --- pool phase ---------------------------------------------------------------


def test_pool_phase_rings_a_new_receptionist_until_the_pool_window_ends() -> None:
    state = pool_phase()
    result = changed(state, 30)
    assert result.commands == (
        Ring((12,), Tier.POOL, at(45)),
        Ring((3,), Tier.STORE, at(45), quiet=True),
    )
    assert result.state.ringing_pool == (11, 12)
    assert result.state.ringing_store == (1, 2, 3)
    assert result.state.pool_until == at(45)


def test_pool_phase_never_rings_again_who_declined() -> None:
    state = step(pool_phase(), Decline(11, at(25), OPEN), CFG).state
    result = changed(state, 30, dataclasses.replace(GROWN, store=(1, 2)))
    assert result.commands == (Ring((12,), Tier.POOL, at(45)),)
    assert 11 not in result.state.ringing_pool


def test_pool_phase_rings_someone_on_both_lists_once_as_pool() -> None:
    state = pool_phase()
    result = changed(state, 30, Roster(store_open=True, store=(1, 2, 5), pool=(11, 5)))
    assert result.commands == (Ring((5,), Tier.POOL, at(45)),)
    assert result.state.ringing_store == (1, 2)


def test_pool_phase_rings_no_store_staff_when_closed_and_not_chosen() -> None:
    closed = dataclasses.replace(OPEN, store_open=False)
    state = start(Start(T0, closed), HOURS_ONLY).state  # the pool rings until 25 s
    assert state.phase is Phase.RINGING_POOL and state.ringing_store == ()
    result = changed(state, 10, dataclasses.replace(GROWN, store_open=False), HOURS_ONLY)
    assert result.commands == (Ring((12,), Tier.POOL, at(25)),)
    assert result.state.ringing_store == ()


def test_pool_phase_rings_store_staff_quietly_when_closed_and_chosen() -> None:
    closed = dataclasses.replace(OPEN, store_open=False)
    state = pool_phase(closed)
    result = changed(state, 30, dataclasses.replace(GROWN, store_open=False))
    assert Ring((3,), Tier.STORE, at(45), quiet=True) in result.commands


def test_a_newcomer_keeps_the_pool_phase_alive_after_everyone_else_declined() -> None:
    roster = Roster(store_open=False, pool=(11,))
    state = start(Start(T0, roster), CFG).state  # nobody on shift: the pool rings until 25 s
    grown = Roster(store_open=False, pool=(11, 12))
    state = changed(state, 10, grown).state
    result = step(state, Decline(11, at(11), grown), CFG)
    assert result.state.phase is Phase.RINGING_POOL
    assert result.state.ringing_pool == (12,)


# --- timers first -------------------------------------------------------------


def test_a_late_roster_change_fires_the_due_timers_first() -> None:
    state = start(Start(T0, OPEN), CFG).state
    result = changed(state, 30)
    # The store window ended at 20 s: the pool rang from then, so until 45 s, not 55 s.
    assert result.state.phase is Phase.RINGING_POOL
    assert result.state.pool_rung_at == at(20)
    assert result.commands == (
        Ring((11, 12), Tier.POOL, at(45)),
        Ring((1, 2, 3), Tier.STORE, at(45), quiet=True),
        Announce(Phase.RINGING_POOL),
    )


def test_a_roster_change_after_the_pool_window_rings_nobody() -> None:
    result = changed(pool_phase(), 50)
    assert result.state.phase is Phase.LEAD_CAPTURE
    assert result.commands == (
        CancelRings((1, 2, 11), CancelReason.TIMEOUT),
        Announce(Phase.LEAD_CAPTURE),
    )


# --- phases that ring nobody --------------------------------------------------


def _connected() -> LadderState:
    return step(pool_phase(), Accept(11, Tier.POOL, at(25)), CFG).state


def _transferring() -> LadderState:
    return step(_connected(), Transfer(11, at(30), OPEN), CFG).state


def _capture() -> LadderState:
    return step(pool_phase(), Tick(at(45), OPEN), CFG).state


def _closed() -> LadderState:
    return step(_connected(), Close(at(40)), CFG).state


@pytest.mark.parametrize("make", [_connected, _transferring, _capture, _closed])
def test_other_phases_ring_nobody_new(make) -> None:
    state = make()
    assert changed(state, 41) == StepResult(state, ())
