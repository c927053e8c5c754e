"""Warm transfers: the owner stays in the chat until a colleague or the store accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chat_server.ladder import (
    Accept,
    Announce,
    Assign,
    CancelReason,
    CancelRings,
    Close,
    Decline,
    Finish,
    Handover,
    IllegalTransition,
    LadderConfig,
    LadderState,
    Outcome,
    Phase,
    Ring,
    Roster,
    Start,
    Tick,
    Tier,
    Transfer,
    TransferLapsed,
    start,
    step,
)

T0 = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
CONFIG = LadderConfig(store_window_s=20, pool_window_s=25)
AFTER_HOURS = Roster(store_open=False, pool=(11,))
OPEN = Roster(store_open=True, store=(1, 2), pool=(11,))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def pool_chat() -> LadderState:
    """A chat the receptionist (11) answered after hours."""
    state = start(Start(T0, AFTER_HOURS), CONFIG).state
    return step(state, Accept(11, Tier.POOL, at(3)), CONFIG).state


def test_a_receptionist_hands_the_shopper_back_to_the_store() -> None:
    offered = step(pool_chat(), Transfer(11, at(10), OPEN), CONFIG)
    assert offered.commands == (Ring((1, 2), Tier.STORE, at(30)),)
    assert offered.state.owner == 11 and offered.state.phase is Phase.CONNECTED

    taken = step(offered.state, Accept(2, Tier.STORE, at(12)), CONFIG)
    assert taken.commands == (
        CancelRings((1,), CancelReason.TAKEN),
        Assign(2, Tier.STORE),
        Handover(11, 2),
        Announce(Phase.CONNECTED, agent=2),
    )
    assert (taken.state.owner, taken.state.owner_tier) == (2, Tier.STORE)
    # The first acceptance is still when a human first answered.
    assert taken.state.accepted_at == at(3)
    closed = step(taken.state, Close(at(60)), CONFIG)
    assert Finish(Outcome.UP) in closed.commands


def test_an_untaken_transfer_lapses_and_the_owner_keeps_the_chat() -> None:
    offered = step(pool_chat(), Transfer(11, at(10), OPEN), CONFIG).state
    lapsed = step(offered, Tick(at(30), OPEN), CONFIG)
    assert lapsed.commands == (
        CancelRings((1, 2), CancelReason.TIMEOUT),
        TransferLapsed(11),
    )
    assert lapsed.state.owner == 11 and lapsed.state.transfer_until is None
    closed = step(lapsed.state, Close(at(40)), CONFIG)
    assert Finish(Outcome.POOL) in closed.commands


def test_everyone_declining_ends_the_offer_at_once() -> None:
    offered = step(pool_chat(), Transfer(11, at(10), OPEN), CONFIG).state
    one = step(offered, Decline(1, at(11), OPEN), CONFIG).state
    both = step(one, Decline(2, at(12), OPEN), CONFIG)
    assert TransferLapsed(11) in both.commands and both.state.transfer_until is None


def test_a_store_with_no_store_window_still_gets_a_transfer_window() -> None:
    # Found by test_machine_properties: a zero store window (straight to the pool) made a
    # transfer ring that had lapsed before it was sent.
    no_store = LadderConfig(store_window_s=0, pool_window_s=25)
    state = start(Start(T0, AFTER_HOURS), no_store).state
    state = step(state, Accept(11, Tier.POOL, at(3)), no_store).state
    offered = step(state, Transfer(11, at(10), OPEN), no_store)
    assert offered.commands == (Ring((1, 2), Tier.STORE, at(10 + 20)),)
    assert step(offered.state, Tick(at(29), OPEN), no_store).commands == ()
    taken = step(offered.state, Accept(1, Tier.STORE, at(12)), no_store).state
    assert taken.owner == 1


def test_a_transfer_to_a_named_colleague_rings_only_them() -> None:
    offered = step(pool_chat(), Transfer(11, at(10), OPEN, to=(12,), tier=Tier.POOL), CONFIG)
    assert offered.commands == (Ring((12,), Tier.POOL, at(30)),)
    taken = step(offered.state, Accept(12, Tier.POOL, at(11)), CONFIG).state
    assert (taken.owner, taken.owner_tier) == (12, Tier.POOL)


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (Transfer(99, at(10), OPEN), "only the operator in the chat"),
        (Transfer(11, at(10), AFTER_HOURS), "nobody is available"),
        (Transfer(11, at(10), OPEN, to=(11,)), "nobody is available"),
    ],
)
def test_bad_transfers_are_refused(event: Transfer, reason: str) -> None:
    with pytest.raises(IllegalTransition, match=reason):
        step(pool_chat(), event, CONFIG)


def test_only_the_offered_colleagues_may_take_it_and_only_once() -> None:
    offered = step(pool_chat(), Transfer(11, at(10), OPEN, to=(1,)), CONFIG).state
    with pytest.raises(IllegalTransition, match="taken"):
        step(offered, Accept(2, Tier.STORE, at(11)), CONFIG)
    with pytest.raises(IllegalTransition, match="already waiting"):
        step(offered, Transfer(11, at(11), OPEN), CONFIG)
    ringing = start(Start(T0, OPEN), CONFIG).state
    with pytest.raises(IllegalTransition, match="only a connected chat"):
        step(ringing, Transfer(1, at(1), OPEN), CONFIG)


def test_closing_during_a_transfer_cancels_its_rings() -> None:
    offered = step(pool_chat(), Transfer(11, at(10), OPEN), CONFIG).state
    closed = step(offered, Close(at(11)), CONFIG)
    assert CancelRings((1, 2), CancelReason.TIMEOUT) in closed.commands
    assert closed.state.outcome is Outcome.POOL
