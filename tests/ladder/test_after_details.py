"""After the shopper left their details: the ``captured`` phase and ``ShopperWrote``.

A captured chat stays open (same conversation) for the capture window, or the grace period
once the shopper leaves; a message written in it rings the ladder again, and the one lead
is resent (never created twice) with the newer transcript when the chat closes.
"""

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
    ContactGiven,
    CreateLead,
    Finish,
    IllegalTransition,
    LadderConfig,
    LadderState,
    LeadService,
    Outcome,
    Phase,
    ResendLead,
    Ring,
    Roster,
    ShopperLeft,
    ShopperWrote,
    Start,
    StepResult,
    Tick,
    Tier,
    from_json,
    next_wakeup,
    start,
    step,
    to_json,
)

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
CFG = LadderConfig()  # sticky 8, store 20, pool 25, ring all, grace 60, capture 300
OPEN = Roster(store_open=True, store=(1, 2), pool=(11,))
NOBODY = Roster(store_open=False)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def leads_of(result: StepResult) -> list[CreateLead | ResendLead]:
    return [c for c in result.commands if isinstance(c, CreateLead | ResendLead)]


def captured(roster: Roster = NOBODY) -> LadderState:
    """Nobody on shift: straight to lead capture, then the shopper's details at 30 s."""
    state = start(Start(T0, roster), CFG).state
    assert state.phase is Phase.LEAD_CAPTURE
    result = step(state, ContactGiven(at(30)), CFG)
    assert result.commands == (CreateLead(LeadService.UNANSWERED), Announce(Phase.CAPTURED))
    return result.state


def test_details_send_the_lead_at_once_and_the_chat_stays_open_for_the_capture_window():
    state = captured()
    assert state.phase is Phase.CAPTURED and state.outcome is None
    assert next_wakeup(state, CFG) == at(330)
    assert step(state, Tick(at(329), NOBODY), CFG) == StepResult(state, ())
    # Nothing more was said: it closes missed, and the lead is not sent a second time.
    result = step(state, Tick(at(330), NOBODY), CFG)
    assert result.state.outcome is Outcome.MISSED and result.state.closed_at == at(330)
    assert result.commands == (Announce(Phase.CLOSED), Finish(Outcome.MISSED))


def test_a_message_after_the_details_rings_the_store_again_in_the_same_conversation():
    state = start(Start(T0, OPEN), CFG).state
    state = step(state, Tick(at(20), NOBODY), CFG).state  # the store window over, no pool
    assert state.phase is Phase.LEAD_CAPTURE and state.store_rung_at == T0
    state = step(state, ContactGiven(at(40)), CFG).state
    assert state.phase is Phase.CAPTURED

    result = step(state, ShopperWrote(at(100), OPEN), CFG)
    assert result.state.phase is Phase.RINGING_STORE
    assert result.commands == (Ring((1, 2), Tier.STORE, at(120)), Announce(Phase.RINGING_STORE))
    assert result.state.wrote_at == at(100) and result.state.lead_stale
    assert result.state.store_rung_at == T0  # the first climb's time is kept for reports
    assert leads_of(result) == []

    # Nobody answers this time either: the pool, then captured again, with no second lead.
    pool = step(result.state, Tick(at(120), OPEN), CFG)
    assert pool.state.phase is Phase.RINGING_POOL and pool.state.pool_rung_at == at(120)
    again = step(pool.state, Tick(at(145), OPEN), CFG)
    assert again.state.phase is Phase.CAPTURED
    assert again.commands[0] == CancelRings((1, 2, 11), CancelReason.TIMEOUT)
    assert leads_of(again) == [] and again.commands[-1] == Announce(Phase.CAPTURED)
    # At the close the lead is resent with the transcript as it is now (same lead, same id).
    closed = step(again.state, Tick(at(445), OPEN), CFG)
    assert closed.state.outcome is Outcome.MISSED
    assert leads_of(closed) == [ResendLead(LeadService.UNANSWERED)]


def test_with_nobody_to_ring_the_message_keeps_the_chat_captured_a_while_longer():
    state = captured()
    result = step(state, ShopperWrote(at(200), NOBODY), CFG)
    assert result.commands == ()
    assert result.state.phase is Phase.CAPTURED and result.state.capture_until == at(500)
    # The shopper closes the tab: the grace period ends it, and the lead is resent once.
    left = step(result.state, ShopperLeft(at(210)), CFG).state
    closed = step(left, Tick(at(270), NOBODY), CFG)
    assert closed.state.outcome is Outcome.MISSED
    assert leads_of(closed) == [ResendLead(LeadService.UNANSWERED)]


def test_a_salesperson_who_answers_the_second_ring_makes_an_up_and_no_second_lead():
    state = step(captured(), ShopperWrote(at(60), OPEN), CFG).state
    connected = step(state, Accept(2, Tier.STORE, at(65)), CFG).state
    closed = step(connected, Close(at(300)), CFG)
    assert closed.state.outcome is Outcome.UP
    assert leads_of(closed) == []


def test_a_receptionist_who_answers_the_second_ring_makes_the_lead_a_pool_lead_resent():
    state = step(captured(), ShopperWrote(at(60), Roster(store_open=False, pool=(11,))), CFG)
    assert state.state.phase is Phase.RINGING_POOL
    connected = step(state.state, Accept(11, Tier.POOL, at(70)), CFG).state
    closed = step(connected, Close(at(300)), CFG)
    assert closed.state.outcome is Outcome.POOL
    assert leads_of(closed) == [ResendLead(LeadService.POOL)]


def test_details_given_while_ringing_make_the_lead_when_the_ring_ends_and_keep_the_chat():
    state = start(Start(T0, OPEN), CFG).state
    state = step(state, ContactGiven(at(5)), CFG).state
    assert state.phase is Phase.RINGING_STORE and not state.lead_sent
    result = step(state, Tick(at(45), OPEN), CFG)  # store 20 s, pool 25 s: nobody took it
    assert result.state.phase is Phase.CAPTURED
    assert leads_of(result) == [CreateLead(LeadService.UNANSWERED)]


def test_a_message_written_after_the_window_ended_closes_it_first_with_the_message():
    # The deadline had not fired yet when the message was stored: the close comes first, and
    # the lead is resent, since the transcript grew.
    result = step(captured(), ShopperWrote(at(400), OPEN), CFG)
    assert result.state.outcome is Outcome.MISSED and result.state.closed_at == at(330)
    assert leads_of(result) == [ResendLead(LeadService.UNANSWERED)]
    assert not [c for c in result.commands if isinstance(c, Ring)]


@pytest.mark.parametrize("phase", ["ringing", "lead_capture", "connected", "closed"])
def test_a_message_in_any_other_phase_needs_no_ladder_step(phase: str):
    ringing = start(Start(T0, OPEN), CFG).state
    states = {
        "ringing": ringing,
        "lead_capture": start(Start(T0, NOBODY), CFG).state,
        "connected": step(ringing, Accept(1, Tier.STORE, at(3)), CFG).state,
        "closed": step(captured(), Tick(at(999), NOBODY), CFG).state,
    }
    state = states[phase]
    assert step(state, ShopperWrote(at(10), OPEN), CFG) == StepResult(state, ())


def test_nobody_may_accept_or_close_a_captured_chat():
    state = captured()
    for event in (Accept(1, Tier.STORE, at(40)), Close(at(40))):
        with pytest.raises(IllegalTransition, match="captured"):
            step(state, event, CFG)


def test_the_new_fields_travel_as_json_and_older_rows_load_without_them():
    state = step(captured(), ShopperWrote(at(60), OPEN), CFG).state
    assert from_json(to_json(state)) == state
    old = {k: v for k, v in to_json(captured()).items() if k not in ("lead_sent", "lead_stale")}
    del old["wrote_at"]
    assert from_json(old) == dataclasses.replace(captured(), lead_sent=False)
