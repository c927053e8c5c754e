"""Turning a shopper's sockets on this node into ShopperLeft / ShopperBack ladder events.

The ladder keeps a shopper's place for a grace period after their last tab closes. Arrivals
and departures of one conversation are serialised by a per-conversation lock, and each one
decides from the live socket count inside that lock, so a quick reconnect never leaves the
shopper marked as gone while a tab is open.
"""

from __future__ import annotations

import logging

from chat_server.chats.ladder_shell import advance
from chat_server.ladder.types import ShopperBack, ShopperLeft
from chat_server.runtime import Runtime
from chat_server.store.models import Conversation

log = logging.getLogger(__name__)


async def shopper_arrived(rt: Runtime, conversation_id: str) -> None:
    """A tab of the shopper now follows this open conversation."""
    async with rt.sockets.visitor_lock(conversation_id):
        rt.sockets.add_visitor(conversation_id)
        async with rt.db.sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
            away = conversation is not None and (conversation.ladder or {}).get("away_since")
        if away:
            await advance(rt, conversation_id, lambda now, _r: ShopperBack(now))


async def shopper_departed(rt: Runtime, conversation_id: str) -> None:
    """A tab closed; when it was the last one here, the grace period starts."""
    async with rt.sockets.visitor_lock(conversation_id):
        if rt.sockets.remove_visitor(conversation_id) > 0:
            return
        try:
            await advance(rt, conversation_id, lambda now, _r: ShopperLeft(now))
        except Exception:
            log.exception(
                "could not record that the shopper left %s",
                conversation_id,
                extra={"conversation": conversation_id},
            )


def shopper_stopped_following(rt: Runtime, conversation_id: str) -> None:
    """The conversation closed (or the tab moved on): count the socket out, no ladder event."""
    rt.sockets.remove_visitor(conversation_id)
