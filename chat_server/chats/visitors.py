"""Shoppers are known by a random bearer token the widget keeps; only its hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.store.models import Conversation, Visitor

TOKEN_BYTES = 24


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def resolve_visitor(
    session: AsyncSession, dealership_id: int, token: str | None, at: datetime
) -> tuple[int, str]:
    """Return (visitor id, token): the known visitor for ``token``, else a new one."""
    if token:
        visitor_id = await session.scalar(
            select(Visitor.id).where(
                Visitor.token_hash == token_hash(token), Visitor.dealership_id == dealership_id
            )
        )
        if visitor_id is not None:
            await session.execute(
                update(Visitor).where(Visitor.id == visitor_id).values(last_seen_at=at)
            )
            return visitor_id, token
    token = secrets.token_urlsafe(TOKEN_BYTES)
    visitor = Visitor(
        dealership_id=dealership_id, token_hash=token_hash(token), created_at=at, last_seen_at=at
    )
    session.add(visitor)
    await session.flush()
    return visitor.id, token


async def pick_conversation(
    session: AsyncSession, visitor_id: int, wanted: str | None
) -> Conversation | None:
    """The conversation a (re)connecting widget should show.

    The one it names, if it is this visitor's; otherwise the visitor's open one, so a second
    tab joins the conversation the first tab started.
    """
    if wanted:
        row = await session.get(Conversation, wanted)
        if row is not None and row.visitor_id == visitor_id:
            return row
    return await session.scalar(
        select(Conversation)
        .where(Conversation.visitor_id == visitor_id, Conversation.state != "closed")
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )
