"""Outside sales hours: on-shift store staff are rung before the pool, if the dealer chose so."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from chat_server.ladder import (
    Accept,
    Announce,
    CancelReason,
    CancelRings,
    IllegalTransition,
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
    start,
    step,
)

T0 = datetime(2025, 3, 3, 23, 30, tzinfo=UTC)  # long after the showroom closed
ON = LadderConfig()  # sticky 8, store 20, pool 25, step 8, ring all; after hours store first
OFF = dataclasses.replace(ON, after_hours_store_first=False)
STORE = (1, 2, 3)
POOL = (11, 12)
CLOSED = Roster(store_open=False, store=STORE, pool=POOL)
OPEN = Roster(store_open=True, store=STORE, pool=POOL)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def store_rings(result: StepResult) -> list[Ring]:
    return [c for c in result.commands if isinstance(c, Ring) and c.tier is Tier.STORE]


def ticks(state: LadderState, times: tuple[float, ...], roster: Roster, config: LadderConfig):
    """Every result of ticking ``state`` at ``times`` (seconds after T0), in order."""
    results = []
    for seconds in times:
        result = step(state, Tick(at(seconds), roster), config)
        results.append(result)
        state = result.state
    return results


def test_the_choice_is_on_by_default() -> None:
    assert LadderConfig().after_hours_store_first is True


# --- choice on ----------------------------------------------------------------


def test_closed_store_rings_on_shift_staff_first_when_chosen() -> None:
    result = start(Start(T0, CLOSED), ON)
    assert result.state.phase is Phase.RINGING_STORE
    assert result.commands == (Ring(STORE, Tier.STORE, at(20)), Announce(Phase.RINGING_STORE))
    assert result.state.store_rung_at == T0
    assert result.state.pool_rung_at is None


def test_closed_store_then_rings_the_pool_with_store_staff_quietly() -> None:
    state = start(Start(T0, CLOSED), ON).state
    result = step(state, Tick(at(20), CLOSED), ON)
    assert result.state.phase is Phase.RINGING_POOL
    assert result.commands == (
        Ring(POOL, Tier.POOL, at(45)),
        Ring(STORE, Tier.STORE, at(45), quiet=True),
        Announce(Phase.RINGING_POOL),
    )


def test_closed_store_rings_the_sticky_salesperson_alone_first() -> None:
    roster = dataclasses.replace(CLOSED, sticky=2)
    first = start(Start(T0, roster), ON)
    assert first.commands == (Ring((2,), Tier.STORE, at(8)), Announce(Phase.RINGING_STORE))
    after = step(first.state, Tick(at(8), roster), ON)
    assert after.commands == (Ring(STORE, Tier.STORE, at(20)),)


def test_closed_store_rings_round_robin_one_at_a_time() -> None:
    config = dataclasses.replace(ON, strategy=Strategy.ROUND_ROBIN)
    state = start(Start(T0, CLOSED), config).state
    assert state.ringing_store == (1,)
    rung = [r.state.ringing_store for r in ticks(state, (8, 16), CLOSED, config)]
    assert rung == [(2,), (3,)]


def test_closed_store_with_nobody_on_shift_goes_straight_to_the_pool() -> None:
    roster = Roster(store_open=False, pool=POOL)
    result = start(Start(T0, roster), ON)
    assert result.state.phase is Phase.RINGING_POOL
    assert result.commands == (Ring(POOL, Tier.POOL, at(25)), Announce(Phase.RINGING_POOL))


def test_store_closing_during_the_window_keeps_ringing_its_staff_quietly_when_chosen() -> None:
    state = start(Start(T0, OPEN), ON).state
    result = step(state, Tick(at(20), CLOSED), ON)
    assert result.state.phase is Phase.RINGING_POOL
    assert store_rings(result) == [Ring(STORE, Tier.STORE, at(45), quiet=True)]
    assert not [c for c in result.commands if isinstance(c, CancelRings)]


def test_a_receptionist_may_hand_back_to_on_shift_staff_after_hours_when_chosen() -> None:
    state = start(Start(T0, Roster(store_open=False, pool=POOL)), ON).state
    state = step(state, Accept(11, Tier.POOL, at(3)), ON).state
    offered = step(state, Transfer(11, at(10), CLOSED), ON)
    assert offered.commands == (Ring(STORE, Tier.STORE, at(30)),)


# --- choice off ---------------------------------------------------------------


def test_closed_store_is_never_rung_when_not_chosen() -> None:
    roster = dataclasses.replace(CLOSED, sticky=2)
    first = start(Start(T0, roster), OFF)
    assert first.state.phase is Phase.RINGING_POOL
    assert first.state.store_rung_at is None
    assert first.commands == (Ring(POOL, Tier.POOL, at(25)), Announce(Phase.RINGING_POOL))
    later = ticks(first.state, (5, 25, 30, 400), roster, OFF)
    assert [store_rings(r) for r in later] == [[], [], [], []]
    assert later[-1].state.phase is Phase.CLOSED


def test_closed_store_gets_no_quiet_rings_on_a_roster_change_when_not_chosen() -> None:
    state = start(Start(T0, Roster(store_open=False, pool=(11,))), OFF).state
    result = step(state, RosterChanged(at(5), CLOSED), OFF)
    assert result.commands == (Ring((12,), Tier.POOL, at(25)),)
    assert result.state.ringing_store == ()


def test_store_closing_during_the_window_ends_its_rings_when_not_chosen() -> None:
    state = start(Start(T0, OPEN), OFF).state
    result = step(state, Tick(at(20), CLOSED), OFF)
    assert result.commands[0] == CancelRings(STORE, CancelReason.TIMEOUT)
    assert store_rings(result) == []


def test_a_hand_back_to_the_closed_store_is_refused_when_not_chosen() -> None:
    state = start(Start(T0, Roster(store_open=False, pool=POOL)), OFF).state
    state = step(state, Accept(11, Tier.POOL, at(3)), OFF).state
    with pytest.raises(IllegalTransition, match="nobody is available"):
        step(state, Transfer(11, at(10), CLOSED), OFF)


@pytest.mark.parametrize("config", [ON, OFF], ids=["chosen", "not-chosen"])
def test_the_choice_changes_nothing_while_the_store_is_open(config: LadderConfig) -> None:
    result = start(Start(T0, OPEN), config)
    assert result.commands == (Ring(STORE, Tier.STORE, at(20)), Announce(Phase.RINGING_STORE))
    after = step(result.state, Tick(at(20), OPEN), config)
    assert store_rings(after) == [Ring(STORE, Tier.STORE, at(45), quiet=True)]
