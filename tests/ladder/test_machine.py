"""Unit tests for the ladder state machine, one rule at a time."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chat_server.ladder import (
    Accept,
    Announce,
    Assign,
    CancelReason,
    CancelRings,
    Close,
    ContactGiven,
    CreateLead,
    Decline,
    Finish,
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
    from_json,
    next_wakeup,
    start,
    step,
    to_json,
)

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
CFG = LadderConfig()  # sticky 8, store 20, pool 25, step 8, ring all, grace 60, capture 300
RR = dataclasses.replace(CFG, strategy=Strategy.ROUND_ROBIN)
# A dealership that rings its store only in sales hours (tests/ladder/test_after_hours.py
# covers the default, which rings on-shift staff first after hours too).
HOURS_ONLY = dataclasses.replace(CFG, after_hours_store_first=False)

STORE = (1, 2, 3)
POOL = (11, 12)
OPEN = Roster(store_open=True, store=STORE, pool=POOL)
CLOSED_STORE = Roster(store_open=False, store=STORE, pool=POOL)
NOBODY = Roster(store_open=True)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def tick(
    state: LadderState, seconds: float, roster: Roster = OPEN, config: LadderConfig = CFG
) -> StepResult:
    return step(state, Tick(at(seconds), roster), config)


def of_type(result: StepResult, kind: type) -> list:
    return [c for c in result.commands if isinstance(c, kind)]


def pool_phase(roster: Roster = OPEN, config: LadderConfig = CFG) -> LadderState:
    """A conversation whose store window just ran out."""
    return tick(start(Start(T0, roster), config).state, 20, roster, config).state


def connected(tier: Tier) -> LadderState:
    operator = 1 if tier is Tier.STORE else 11
    return step(pool_phase(), Accept(operator, tier, at(25)), CFG).state


def capture_phase(roster: Roster = OPEN) -> LadderState:
    return tick(pool_phase(roster), 45, roster).state


# --- store ring ---------------------------------------------------------------


def test_sticky_alone_first_then_everyone():
    roster = Roster(store_open=True, store=STORE, pool=POOL, sticky=2)
    first = start(Start(T0, roster), CFG)
    assert first.state.phase is Phase.RINGING_STORE
    assert first.commands == (Ring((2,), Tier.STORE, at(8)), Announce(Phase.RINGING_STORE))
    assert first.state.store_until == at(20)
    assert first.state.store_rung_at == T0
    assert next_wakeup(first.state, CFG) == at(8)

    after = tick(first.state, 8, roster)
    # The sticky ring is extended with everyone else's, none is cancelled.
    assert after.commands == (Ring((1, 2, 3), Tier.STORE, at(20)),)
    assert after.state.ringing_store == (1, 2, 3)
    assert after.state.sticky_done
    assert next_wakeup(after.state, CFG) == at(20)


def test_sticky_step_never_outlasts_the_store_window():
    config = dataclasses.replace(CFG, sticky_s=30)
    roster = Roster(store_open=True, store=STORE, pool=POOL, sticky=1)
    assert start(Start(T0, roster), config).state.step_until == at(20)


def test_sticky_who_declines_hands_over_to_the_others_at_once():
    roster = Roster(store_open=True, store=STORE, pool=POOL, sticky=2)
    state = start(Start(T0, roster), CFG).state
    result = step(state, Decline(2, at(3), roster), CFG)
    assert result.commands == (
        CancelRings((2,), CancelReason.DECLINED),
        Ring((1, 3), Tier.STORE, at(20)),
    )
    assert result.state.declined == (2,)


def test_sticky_ignored_when_unavailable_or_disabled():
    away = Roster(store_open=True, store=(1, 3), pool=POOL, sticky=2)
    assert start(Start(T0, away), CFG).commands[0] == Ring((1, 3), Tier.STORE, at(20))
    roster = Roster(store_open=True, store=STORE, pool=POOL, sticky=2)
    no_sticky = dataclasses.replace(CFG, sticky_s=0)
    assert start(Start(T0, roster), no_sticky).commands[0] == Ring(STORE, Tier.STORE, at(20))


def test_ring_all_rings_everyone_until_the_store_window_ends():
    result = start(Start(T0, OPEN), CFG)
    assert result.commands == (Ring(STORE, Tier.STORE, at(20)), Announce(Phase.RINGING_STORE))
    assert result.state.ringing_store == STORE
    assert result.state.step_until is None
    assert next_wakeup(result.state, CFG) == at(20)


def test_round_robin_rotates_one_at_a_time():
    state = start(Start(T0, OPEN), RR).state
    assert state.ringing_store == (1,)
    assert state.step_until == at(8)

    second = tick(state, 8, config=RR)
    assert second.commands == (
        CancelRings((1,), CancelReason.TIMEOUT),
        Ring((2,), Tier.STORE, at(16)),
    )
    third = tick(second.state, 16, config=RR)
    # The last step is cut short by the end of the store window.
    assert third.commands == (
        CancelRings((2,), CancelReason.TIMEOUT),
        Ring((3,), Tier.STORE, at(20)),
    )
    assert third.state.rung_store == (1, 2, 3)
    pool = tick(third.state, 20, config=RR)
    assert pool.state.phase is Phase.RINGING_POOL


def test_round_robin_decline_rings_the_next_at_once_and_never_again():
    config = dataclasses.replace(RR, store_window_s=60)
    state = start(Start(T0, OPEN), config).state
    declined = step(state, Decline(1, at(2), OPEN), config)
    assert declined.commands == (
        CancelRings((1,), CancelReason.DECLINED),
        Ring((2,), Tier.STORE, at(10)),
    )
    state = tick(declined.state, 10, config=config).state  # rings 3
    assert state.ringing_store == (3,)
    state = tick(state, 18, config=config).state  # new round, skipping 1
    assert state.ringing_store == (2,)
    assert state.rung_store == (2,)


def test_round_robin_starts_a_new_round_when_everyone_had_a_turn():
    config = dataclasses.replace(RR, store_window_s=60)
    roster = Roster(store_open=True, store=(1, 2), pool=POOL)
    state = start(Start(T0, roster), config).state
    rung = [state.ringing_store]
    for seconds in (8, 16, 24):
        state = tick(state, seconds, roster, config).state
        rung.append(state.ringing_store)
    assert rung == [(1,), (2,), (1,), (2,)]


def test_round_robin_with_one_operator_extends_their_ring():
    config = dataclasses.replace(RR, store_window_s=60)
    roster = Roster(store_open=True, store=(1,), pool=POOL)
    state = start(Start(T0, roster), config).state
    result = tick(state, 8, roster, config)
    assert result.commands == (Ring((1,), Tier.STORE, at(16)),)


def test_round_robin_uses_the_roster_of_the_tick():
    state = start(Start(T0, OPEN), RR).state
    newcomer = Roster(store_open=True, store=(7, 1, 2, 3), pool=POOL)
    assert tick(state, 8, newcomer, RR).state.ringing_store == (7,)


def test_round_robin_sticky_first_then_the_others_in_turn():
    roster = Roster(store_open=True, store=STORE, pool=POOL, sticky=2)
    state = start(Start(T0, roster), RR).state
    assert state.ringing_store == (2,)
    state = tick(state, 8, roster, RR).state
    assert state.ringing_store == (1,)
    state = tick(state, 16, roster, RR).state
    assert state.ringing_store == (3,)


def test_everyone_in_the_store_declines_escalates_to_the_pool_now():
    state = start(Start(T0, OPEN), CFG).state
    for operator in (1, 2):
        state = step(state, Decline(operator, at(1), OPEN), CFG).state
    result = step(state, Decline(3, at(4), OPEN), CFG)
    assert result.state.phase is Phase.RINGING_POOL
    assert result.state.pool_until == at(29)
    assert result.commands == (
        CancelRings((3,), CancelReason.DECLINED),
        Ring(POOL, Tier.POOL, at(29)),
        Announce(Phase.RINGING_POOL),
    )


def test_decline_by_someone_not_ringing_changes_nothing():
    state = start(Start(T0, OPEN), RR).state
    result = step(state, Decline(2, at(1), OPEN), RR)
    assert result == StepResult(state, ())


# --- pool ring ----------------------------------------------------------------


def test_store_closed_goes_to_the_pool_at_once_when_it_rings_only_in_hours():
    result = start(Start(T0, CLOSED_STORE), HOURS_ONLY)
    assert result.state.phase is Phase.RINGING_POOL
    assert result.state.pool_until == at(25)
    assert result.state.pool_rung_at == T0
    assert result.state.store_rung_at is None
    assert result.commands == (Ring(POOL, Tier.POOL, at(25)), Announce(Phase.RINGING_POOL))


def test_store_open_but_nobody_available_goes_to_the_pool():
    roster = Roster(store_open=True, store=(), pool=POOL)
    assert start(Start(T0, roster), CFG).state.phase is Phase.RINGING_POOL


def test_store_window_over_rings_the_pool_and_store_staff_quietly():
    state = start(Start(T0, OPEN), CFG).state
    changed = Roster(store_open=True, store=(1, 4), pool=POOL)
    result = tick(state, 20, changed)
    assert result.state.phase is Phase.RINGING_POOL
    assert result.state.pool_until == at(45)
    assert result.commands == (
        CancelRings((2, 3), CancelReason.TIMEOUT),
        Ring(POOL, Tier.POOL, at(45)),
        Ring((1, 4), Tier.STORE, at(45), quiet=True),
        Announce(Phase.RINGING_POOL),
    )
    assert result.state.ringing_store == (1, 4)
    assert result.state.ringing_pool == POOL


def test_store_closing_during_the_window_cancels_store_rings_when_it_rings_only_in_hours():
    state = start(Start(T0, OPEN), HOURS_ONLY).state
    result = tick(state, 20, CLOSED_STORE, HOURS_ONLY)
    assert result.commands[0] == CancelRings(STORE, CancelReason.TIMEOUT)
    assert not any(isinstance(c, Ring) and c.tier is Tier.STORE for c in result.commands)
    assert result.state.ringing_store == ()


def test_declined_operators_are_not_rung_again_in_the_pool_phase():
    state = start(Start(T0, OPEN), CFG).state
    state = step(state, Decline(2, at(1), OPEN), CFG).state
    assert tick(state, 20).state.ringing_store == (1, 3)


def test_store_staff_may_accept_while_the_pool_rings():
    result = step(pool_phase(), Accept(3, Tier.STORE, at(30)), CFG)
    assert result.state.phase is Phase.CONNECTED
    assert (result.state.owner, result.state.owner_tier) == (3, Tier.STORE)
    assert result.state.accepted_at == at(30)
    assert result.commands == (
        CancelRings((1, 2, 11, 12), CancelReason.TAKEN),
        Assign(3, Tier.STORE),
        Announce(Phase.CONNECTED, agent=3),
    )
    assert result.state.ringing_store == result.state.ringing_pool == ()
    assert next_wakeup(result.state, CFG) is None


def test_pool_operator_accepts_in_the_pool_phase():
    result = step(pool_phase(), Accept(12, Tier.POOL, at(30)), CFG)
    assert result.state.owner_tier is Tier.POOL
    assert Assign(12, Tier.POOL) in result.commands


def test_pool_operator_refused_while_the_store_rings():
    state = start(Start(T0, OPEN), CFG).state
    with pytest.raises(IllegalTransition) as raised:
        step(state, Accept(11, Tier.POOL, at(3)), CFG)
    assert raised.value.phase is Phase.RINGING_STORE
    assert "ringing_store" in str(raised.value)


def test_store_accept_in_the_store_phase():
    state = start(Start(T0, OPEN), CFG).state
    result = step(state, Accept(2, Tier.STORE, at(3)), CFG)
    assert result.commands[0] == CancelRings((1, 3), CancelReason.TAKEN)
    assert result.state.owner == 2


def test_accept_refused_once_taken_in_capture_or_closed():
    with pytest.raises(IllegalTransition) as raised:
        step(connected(Tier.STORE), Accept(2, Tier.STORE, at(26)), CFG)
    assert raised.value.reason == "taken"
    assert raised.value.phase is Phase.CONNECTED
    with pytest.raises(IllegalTransition):
        step(capture_phase(), Accept(11, Tier.POOL, at(50)), CFG)
    closed = step(connected(Tier.STORE), Close(at(40)), CFG).state
    with pytest.raises(IllegalTransition) as raised:
        step(closed, Accept(2, Tier.STORE, at(41)), CFG)
    assert raised.value.phase is Phase.CLOSED


def test_everyone_declining_in_the_pool_phase_goes_to_lead_capture_now():
    roster = Roster(store_open=False, store=STORE, pool=POOL)
    state = pool_phase(roster, HOURS_ONLY)
    state = step(state, Decline(11, at(21), roster), HOURS_ONLY).state
    assert state.phase is Phase.RINGING_POOL
    result = step(state, Decline(12, at(22), roster), HOURS_ONLY)
    assert result.state.phase is Phase.LEAD_CAPTURE
    assert result.state.capture_until == at(322)
    assert result.commands == (
        CancelRings((12,), CancelReason.DECLINED),
        Announce(Phase.LEAD_CAPTURE),
    )


def test_quiet_store_ring_keeps_the_pool_phase_alive_after_pool_declines():
    state = pool_phase()
    for operator in POOL:
        state = step(state, Decline(operator, at(21), OPEN), CFG).state
    assert state.phase is Phase.RINGING_POOL


# --- lead capture -------------------------------------------------------------


def test_nobody_anywhere_goes_to_lead_capture_at_once():
    result = start(Start(T0, NOBODY), CFG)
    assert result.state.phase is Phase.LEAD_CAPTURE
    assert result.state.capture_at == T0
    assert result.state.capture_until == at(300)
    assert result.commands == (Announce(Phase.LEAD_CAPTURE),)
    assert next_wakeup(result.state, CFG) == at(300)


def test_empty_pool_goes_from_store_straight_to_lead_capture():
    roster = Roster(store_open=True, store=STORE)
    state = start(Start(T0, roster), CFG).state
    result = tick(state, 20, roster)
    assert result.state.phase is Phase.LEAD_CAPTURE
    assert result.commands == (
        CancelRings(STORE, CancelReason.TIMEOUT),
        Announce(Phase.LEAD_CAPTURE),
    )


def test_pool_window_over_cancels_rings_and_asks_for_contact():
    result = tick(pool_phase(), 45)
    assert result.state.phase is Phase.LEAD_CAPTURE
    assert result.state.capture_at == at(45)
    assert result.commands == (
        CancelRings((1, 2, 3, 11, 12), CancelReason.TIMEOUT),
        Announce(Phase.LEAD_CAPTURE),
    )


def test_contact_in_lead_capture_sends_the_lead_and_keeps_the_chat_open():
    # tests/ladder/test_after_details.py follows the captured chat to its close.
    result = step(capture_phase(), ContactGiven(at(60)), CFG)
    assert result.state.phase is Phase.CAPTURED
    assert result.state.outcome is None and result.state.lead_sent
    assert result.state.capture_until == at(360)
    assert result.commands == (CreateLead(LeadService.UNANSWERED), Announce(Phase.CAPTURED))


def test_contact_given_earlier_sends_the_lead_when_capture_is_reached():
    state = step(pool_phase(), ContactGiven(at(30)), CFG).state
    assert state.has_contact and state.phase is Phase.RINGING_POOL
    result = tick(state, 45)
    assert result.state.phase is Phase.CAPTURED
    assert Announce(Phase.LEAD_CAPTURE) not in result.commands
    assert of_type(result, CreateLead) == [CreateLead(LeadService.UNANSWERED)]
    assert result.commands[0] == CancelRings((1, 2, 3, 11, 12), CancelReason.TIMEOUT)


def test_capture_window_over_without_contact_is_missed_without_a_lead():
    result = tick(capture_phase(), 345)
    assert result.state.outcome is Outcome.MISSED
    assert of_type(result, CreateLead) == []
    assert result.commands == (Announce(Phase.CLOSED), Finish(Outcome.MISSED))


def test_capture_window_over_while_away_is_abandoned():
    config = dataclasses.replace(CFG, grace_s=600)
    state = step(capture_phase(), ShopperLeft(at(50)), config).state
    result = step(state, Tick(at(345), OPEN), config)
    assert result.state.outcome is Outcome.ABANDONED


# --- the shopper leaving ------------------------------------------------------


def test_grace_expiry_while_ringing_abandons():
    state = start(Start(T0, OPEN), CFG).state
    state = step(state, ShopperLeft(at(5)), CFG).state
    assert state.away_since == at(5)
    # The ladder keeps climbing while the shopper is away.
    state = tick(state, 20).state
    assert state.phase is Phase.RINGING_POOL
    state = tick(state, 45).state
    assert state.phase is Phase.LEAD_CAPTURE
    assert next_wakeup(state, CFG) == at(65)
    result = tick(state, 65)
    assert result.state.outcome is Outcome.ABANDONED
    assert result.state.closed_at == at(65)
    assert of_type(result, CreateLead) == []


def test_grace_expiry_cancels_rings_with_reason_left():
    config = dataclasses.replace(CFG, grace_s=10, store_window_s=60)
    state = start(Start(T0, OPEN), config).state
    state = step(state, ShopperLeft(at(5)), config).state
    result = step(state, Tick(at(15), OPEN), config)
    assert result.commands == (
        CancelRings(STORE, CancelReason.LEFT),
        Announce(Phase.CLOSED),
        Finish(Outcome.ABANDONED),
    )


def test_grace_expiry_with_contact_is_missed_with_a_lead():
    config = dataclasses.replace(CFG, grace_s=10)
    state = start(Start(T0, OPEN), config).state
    state = step(state, ContactGiven(at(2)), config).state
    state = step(state, ShopperLeft(at(3)), config).state
    result = step(state, Tick(at(13), OPEN), config)
    assert result.state.outcome is Outcome.MISSED
    assert of_type(result, CreateLead) == [CreateLead(LeadService.UNANSWERED)]


def test_back_within_grace_keeps_the_place():
    config = dataclasses.replace(CFG, grace_s=10, store_window_s=60)
    state = start(Start(T0, OPEN), config).state
    state = step(state, ShopperLeft(at(5)), config).state
    state = step(state, ShopperBack(at(12)), config).state
    assert state.away_since is None
    result = step(state, Tick(at(20), OPEN), config)
    assert result == StepResult(state, ())
    assert result.state.ringing_store == STORE


def test_leaving_twice_keeps_the_first_time():
    state = start(Start(T0, OPEN), CFG).state
    state = step(state, ShopperLeft(at(5)), CFG).state
    assert step(state, ShopperLeft(at(9)), CFG) == StepResult(state, ())
    assert step(step(state, ShopperBack(at(6)), CFG).state, ShopperBack(at(7)), CFG).commands == ()


@pytest.mark.parametrize(
    ("tier", "outcome", "leads"),
    [(Tier.STORE, Outcome.UP, []), (Tier.POOL, Outcome.POOL, [CreateLead(LeadService.POOL)])],
)
def test_grace_expiry_when_connected_closes_by_owner_tier(tier, outcome, leads):
    state = step(connected(tier), ShopperLeft(at(30)), CFG).state
    assert next_wakeup(state, CFG) == at(90)
    result = tick(state, 90)
    assert result.state.outcome is outcome
    assert of_type(result, CreateLead) == leads


# --- closing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "outcome", "leads"),
    [(Tier.STORE, Outcome.UP, []), (Tier.POOL, Outcome.POOL, [CreateLead(LeadService.POOL)])],
)
def test_close_by_owner_tier(tier, outcome, leads):
    result = step(connected(tier), Close(at(100)), CFG)
    assert result.state.phase is Phase.CLOSED
    assert result.state.outcome is outcome
    assert result.state.closed_at == at(100)
    assert result.commands == (*leads, Announce(Phase.CLOSED), Finish(outcome))
    assert next_wakeup(result.state, CFG) is None


def test_close_only_when_connected():
    with pytest.raises(IllegalTransition) as raised:
        step(start(Start(T0, OPEN), CFG).state, Close(at(1)), CFG)
    assert raised.value.phase is Phase.RINGING_STORE
    closed = step(connected(Tier.STORE), Close(at(40)), CFG).state
    with pytest.raises(IllegalTransition):
        step(closed, Close(at(41)), CFG)


def test_closed_ignores_harmless_events_and_refuses_the_rest():
    closed = step(connected(Tier.POOL), Close(at(40)), CFG).state
    for event in (
        Tick(at(50), OPEN),
        ShopperLeft(at(50)),
        ShopperBack(at(51)),
        ContactGiven(at(52)),
    ):
        assert step(closed, event, CFG) == StepResult(closed, ())
    for event in (Decline(1, at(50), OPEN), Accept(1, Tier.STORE, at(50)), Close(at(50))):
        with pytest.raises(IllegalTransition):
            step(closed, event, CFG)


def test_contact_given_twice_changes_nothing():
    state = step(connected(Tier.STORE), ContactGiven(at(30)), CFG).state
    assert state.has_contact
    assert step(state, ContactGiven(at(31)), CFG) == StepResult(state, ())


def test_start_is_not_a_step():
    state = start(Start(T0, OPEN), CFG).state
    with pytest.raises(IllegalTransition):
        step(state, Start(at(1), OPEN), CFG)


# --- timers -------------------------------------------------------------------


def test_tick_with_nothing_due_changes_nothing():
    state = start(Start(T0, OPEN), CFG).state
    assert tick(state, 19.999) == StepResult(state, ())


def test_late_tick_climbs_the_whole_ladder_on_the_timers_own_times():
    state = start(Start(T0, OPEN), CFG).state
    result = tick(state, 1000)
    assert result.state.phase is Phase.CLOSED
    assert result.state.outcome is Outcome.MISSED
    assert result.state.pool_rung_at == at(20)
    assert result.state.capture_at == at(45)
    assert result.state.closed_at == at(345)
    # Rings that would already be over are never sent; the store rings are cancelled once.
    assert of_type(result, Ring) == []
    assert of_type(result, CancelRings) == [CancelRings(STORE, CancelReason.TIMEOUT)]
    assert of_type(result, Finish) == [Finish(Outcome.MISSED)]


def test_late_tick_does_not_stretch_the_pool_window():
    state = start(Start(T0, OPEN), CFG).state
    result = tick(state, 30)
    assert result.state.pool_until == at(45)
    assert all(r.until == at(45) for r in of_type(result, Ring))


def test_zero_store_window_rings_the_pool_without_ringing_the_store():
    config = dataclasses.replace(CFG, store_window_s=0)
    result = start(Start(T0, OPEN), config)
    assert result.state.phase is Phase.RINGING_POOL
    assert [r.tier for r in of_type(result, Ring)] == [Tier.POOL, Tier.STORE]
    assert of_type(result, CancelRings) == []


def test_next_wakeup_is_the_earliest_timer():
    state = start(Start(T0, OPEN), dataclasses.replace(CFG, grace_s=5)).state
    state = step(state, ShopperLeft(at(2)), CFG).state
    assert next_wakeup(state, dataclasses.replace(CFG, grace_s=5)) == at(7)
    assert next_wakeup(state, CFG) == at(20)
    assert next_wakeup(pool_phase(), CFG) == at(45)


# --- validation ---------------------------------------------------------------


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        start(Start(datetime(2025, 1, 1), OPEN), CFG)


@pytest.mark.parametrize(
    "config",
    [
        LadderConfig(store_window_s=-1),
        LadderConfig(grace_s=-0.5),
        LadderConfig(strategy=Strategy.ROUND_ROBIN, round_robin_step_s=0),
    ],
)
def test_bad_configs_are_refused(config):
    with pytest.raises(ValueError, match="LadderConfig"):
        start(Start(T0, OPEN), config)


# --- JSON ---------------------------------------------------------------------


def _sample_states() -> list[LadderState]:
    chicago = datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=ZoneInfo("America/Chicago"))
    sticky = Roster(store_open=True, store=STORE, pool=POOL, sticky=2)
    return [
        start(Start(T0, sticky), CFG).state,
        start(Start(chicago, OPEN), CFG).state,
        pool_phase(),
        capture_phase(),
        step(connected(Tier.POOL), ShopperLeft(at(30)), CFG).state,
        step(connected(Tier.STORE), Close(at(40)), CFG).state,
    ]


@pytest.mark.parametrize("state", _sample_states())
def test_json_round_trip(state):
    data = to_json(state)
    assert from_json(json.loads(json.dumps(data))) == state


def test_json_shape():
    state = step(connected(Tier.POOL), ShopperLeft(at(30)), CFG).state
    data = to_json(state)
    assert set(data) == {f.name for f in dataclasses.fields(LadderState)}
    assert data["phase"] == "connected"
    assert data["owner_tier"] == "pool"
    assert data["started_at"] == "2025-03-03T15:00:00+00:00"
    assert data["declined"] == []
    assert data["outcome"] is None


def test_times_are_kept_in_utc():
    # Wall-clock arithmetic on a ZoneInfo time would be wrong across a DST change.
    chicago = datetime(2025, 11, 2, 1, 59, 50, tzinfo=ZoneInfo("America/Chicago"))
    state = start(Start(chicago, OPEN), CFG).state
    assert state.store_until == datetime(2025, 11, 2, 7, 0, 10, tzinfo=UTC)
    assert to_json(state)["started_at"] == "2025-11-02T06:59:50+00:00"
    # The second 01:59:50 that night is a different instant, an hour later.
    later = start(Start(chicago.replace(fold=1), OPEN), CFG).state
    assert later.started_at - state.started_at == timedelta(hours=1)


def test_json_unknown_keys_are_refused_and_missing_ones_default():
    data = to_json(start(Start(T0, OPEN), CFG).state)
    with pytest.raises(ValueError, match="bogus"):
        from_json({**data, "bogus": 1})
    minimal = from_json({"phase": "ringing_store", "started_at": T0.isoformat()})
    assert minimal == LadderState(phase=Phase.RINGING_STORE, started_at=T0)
