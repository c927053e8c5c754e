"""Reading a conversation's transcript as plain records (chats, leads and reports all need it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.store.database import Database
from chat_server.store.models import Message
from chat_server.store.records import StoredMessage

MESSAGE_COLUMNS = (
    Message.conversation_id,
    Message.seq,
    Message.author_kind,
    Message.author_name,
    Message.body,
    Message.created_at,
    Message.client_id,
)


def stored_message(row: Any) -> StoredMessage:
    """A message row (selected with ``MESSAGE_COLUMNS``) as plain data."""
    return StoredMessage(
        conversation_id=row.conversation_id,
        seq=row.seq,
        author_kind=row.author_kind,
        author_name=row.author_name,
        body=row.body,
        created_at=row.created_at,
        client_id=row.client_id,
    )


async def find_by_client_id(
    session: AsyncSession, conversation_id: str, client_id: str
) -> StoredMessage | None:
    row = (
        await session.execute(
            select(*MESSAGE_COLUMNS).where(
                Message.conversation_id == conversation_id, Message.client_id == client_id
            )
        )
    ).first()
    return stored_message(row) if row is not None else None


async def messages_after(
    session: AsyncSession, conversation_id: str, after_seq: int, up_to: int | None = None
) -> list[StoredMessage]:
    """Messages with ``after_seq < seq <= up_to`` in order (all later ones when up_to is None)."""
    query = select(*MESSAGE_COLUMNS).where(
        Message.conversation_id == conversation_id, Message.seq > after_seq
    )
    if up_to is not None:
        query = query.where(Message.seq <= up_to)
    rows = await session.execute(query.order_by(Message.seq))
    return [stored_message(r) for r in rows]


async def read_transcript(
    db: Database, conversation_id: str, after_seq: int = 0, up_to: int | None = None
) -> list[StoredMessage]:
    """:func:`messages_after` in a session of its own (for callers outside a transaction)."""
    async with db.sessions() as session:
        return await messages_after(session, conversation_id, after_seq, up_to)
