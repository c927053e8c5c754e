"""Turning a shopper's sockets on this node into ShopperLeft / ShopperBack ladder events.

The ladder keeps a shopper's place for a grace period after their last tab closes. Arrivals
and departures of one conversation are serialised by a per-conversation lock, and each one
decides from the live socket count inside that lock, so a quick reconnect never leaves the
shopper marked as gone while a tab is open. The operator in the chat hears of both (a
``shopper`` frame): "The shopper left the page — the chat closes at 10:42 unless they come
back".
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from chat_server.chats.ladder_shell import advance
from chat_server.delivery.channels import operator_channel
from chat_server.delivery.fanout import encode
from chat_server.ladder.types import LadderState, Phase, ShopperBack, ShopperLeft
from chat_server.protocol.outgoing import shopper_presence_frame
from chat_server.runtime import Runtime
from chat_server.store.models import Conversation, Dealership
from chat_server.store.records import dealership_view

log = logging.getLogger(__name__)


async def shopper_arrived(rt: Runtime, conversation_id: str) -> None:
    """A tab of the shopper now follows this open conversation."""
    back: LadderState | None = None
    async with rt.sockets.visitor_lock(conversation_id):
        rt.sockets.add_visitor(conversation_id)
        async with rt.db.sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
            away = conversation is not None and (conversation.ladder or {}).get("away_since")
        if away:
            back = (await advance(rt, conversation_id, lambda now, _r: ShopperBack(now))).state
    if back is not None:
        await tell_owner(rt, conversation_id, back)


async def shopper_departed(rt: Runtime, conversation_id: str) -> None:
    """A tab closed; when it was the last one here, the grace period starts."""
    left: LadderState | None = None
    async with rt.sockets.visitor_lock(conversation_id):
        if rt.sockets.remove_visitor(conversation_id) > 0:
            return
        try:
            left = (await advance(rt, conversation_id, lambda now, _r: ShopperLeft(now))).state
        except Exception:
            log.exception(
                "could not record that the shopper left %s",
                conversation_id,
                extra={"conversation": conversation_id},
            )
    if left is not None:
        await tell_owner(rt, conversation_id, left)


async def tell_owner(rt: Runtime, conversation_id: str, state: LadderState) -> None:
    """The operator in the chat learns that the shopper left (and when the chat will close
    unless they come back) or came back: a chat must not close quietly under them."""
    if state.phase is not Phase.CONNECTED or state.owner is None:
        return
    # Outside the shopper's lock and never raising: this is news for the operator, not part of
    # the shopper's arrival. A broker or database that is down must not stall or fail the
    # shopper's welcome (their frames wait for it); a console that reconnects is told again.
    try:
        frame = await away_frame(rt, conversation_id, state.away_since)
        await rt.hub.publish(operator_channel(state.owner), encode(frame))
    except Exception:
        log.warning(
            "could not tell the operator of %s that the shopper left or came back",
            conversation_id,
            exc_info=True,
            extra={"conversation": conversation_id},
        )


async def away_frame(
    rt: Runtime, conversation_id: str, away_since: datetime | None
) -> dict[str, Any]:
    """The ``shopper`` frame for a shopper gone since ``away_since`` (None: here)."""
    if away_since is None:
        return shopper_presence_frame(conversation_id, True)
    async with rt.db.sessions() as session:
        conversation = await session.get_one(Conversation, conversation_id)
        dealership = dealership_view(await session.get_one(Dealership, conversation.dealership_id))
    until = away_since + timedelta(seconds=dealership.config.grace_s)
    return shopper_presence_frame(conversation_id, False, until)


def shopper_stopped_following(rt: Runtime, conversation_id: str) -> None:
    """The conversation closed (or the tab moved on): count the socket out, no ladder event."""
    rt.sockets.remove_visitor(conversation_id)
