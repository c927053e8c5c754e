"""Console-facing frames that need a little reading from the store: rings and conversations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.ladder.types import Tier
from chat_server.protocol.outgoing import iso, message_frame
from chat_server.store.models import Conversation, Message, Operator
from chat_server.store.records import DealershipView, StoredMessage

FIRST_WORDS_CHARS = 140


def visitor_summary(conversation: Conversation) -> dict[str, str]:
    contact = conversation.contact or {}
    return {
        "name": contact.get("name", ""),
        "email": contact.get("email", ""),
        "phone": contact.get("phone", ""),
    }


async def first_words(session: AsyncSession, conversation_id: str) -> str:
    body = await session.scalar(
        select(Message.body)
        .where(Message.conversation_id == conversation_id, Message.author_kind == "visitor")
        .order_by(Message.seq)
        .limit(1)
    )
    return (body or "")[:FIRST_WORDS_CHARS]


async def ring_frame(
    session: AsyncSession,
    conversation: Conversation,
    dealership: DealershipView,
    tier: Tier,
    quiet: bool,
    until: datetime,
) -> dict[str, Any]:
    return {
        "type": "ring",
        "conversation": conversation.id,
        "dealership": {"id": dealership.id, "name": dealership.name},
        "tier": tier.value,
        "quiet": quiet,
        "page": conversation.page or {},
        "vehicle": conversation.vehicle,
        "visitor": visitor_summary(conversation),
        "first_words": await first_words(session, conversation.id),
        "expires_at": iso(until),
    }


async def conversation_frame(
    session: AsyncSession,
    conversation: Conversation,
    dealership: DealershipView,
    messages: list[StoredMessage] | None = None,
) -> dict[str, Any]:
    owner = None
    if conversation.owner_id is not None:
        name = await session.scalar(
            select(Operator.name).where(Operator.id == conversation.owner_id)
        )
        owner = {"id": conversation.owner_id, "name": name or ""}
    frame: dict[str, Any] = {
        "type": "conversation",
        "id": conversation.id,
        "state": conversation.state,
        "outcome": conversation.outcome,
        "owner": owner,
        "dealership": {"id": dealership.id, "name": dealership.name},
        "page": conversation.page or {},
        "vehicle": conversation.vehicle,
        "visitor": visitor_summary(conversation),
        "last_seq": conversation.last_seq,
    }
    if messages is not None:
        frame["messages"] = [message_frame(m) for m in messages]
    return frame
