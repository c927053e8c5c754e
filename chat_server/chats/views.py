"""Console-facing frames that need a little reading from the store: rings and conversations.

This module does the reading (the shopper's first words, the owner's name); the frames
themselves are built by the pure builders of ``chat_server.protocol.outgoing``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.ladder.types import Tier
from chat_server.protocol import outgoing
from chat_server.store.models import Conversation, Message, Operator
from chat_server.store.records import DealershipView, StoredMessage

FIRST_WORDS_CHARS = 140


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
    transfer_from: str | None = None,
) -> dict[str, Any]:
    """The ``ring`` frame offering ``conversation`` until ``until`` (``transfer_from``: the
    name of the colleague handing it over, when the ring is a transfer offer)."""
    return outgoing.ring_frame(
        conversation.id,
        dealership,
        tier,
        quiet,
        page=conversation.page,
        vehicle=conversation.vehicle,
        contact=conversation.contact,
        first_words=await first_words(session, conversation.id),
        expires_at=until,
        transfer_from=transfer_from,
    )


async def conversation_frame(
    session: AsyncSession,
    conversation: Conversation,
    dealership: DealershipView,
    messages: list[StoredMessage] | None = None,
) -> dict[str, Any]:
    """The ``conversation`` frame of ``conversation`` as stored now, with its owner's name."""
    owner_name = None
    if conversation.owner_id is not None:
        owner_name = await session.scalar(
            select(Operator.name).where(Operator.id == conversation.owner_id)
        )
    return outgoing.conversation_frame(
        conversation.id,
        dealership,
        state=conversation.state,
        outcome=conversation.outcome,
        owner_id=conversation.owner_id,
        owner_name=owner_name,
        page=conversation.page,
        vehicle=conversation.vehicle,
        contact=conversation.contact,
        last_seq=conversation.last_seq,
        messages=messages,
    )
