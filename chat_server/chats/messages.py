"""Appending and reading a conversation's messages: gapless per-conversation sequence numbers,
idempotent on the sender's client id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.chats.records import StoredMessage
from chat_server.store.models import Conversation, Message


def _record(row: Message) -> StoredMessage:
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
    row = await session.scalar(
        select(Message).where(
            Message.conversation_id == conversation_id, Message.client_id == client_id
        )
    )
    return _record(row) if row is not None else None


async def append_message(
    session: AsyncSession,
    conversation_id: str,
    *,
    author_kind: str,
    author_id: int | None,
    author_name: str,
    body: str,
    client_id: str | None,
    at: datetime,
) -> tuple[StoredMessage, bool]:
    """Store one message inside the caller's transaction; returns (message, newly_stored).

    A client id seen before returns the stored message unchanged, so a resend after a lost
    ack stores nothing twice. The sequence comes from an UPDATE on the conversation row, which
    also serialises concurrent appends to one conversation on PostgreSQL.
    """
    if client_id is not None:
        existing = await find_by_client_id(session, conversation_id, client_id)
        if existing is not None:
            return existing, False
    seq = await session.scalar(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(last_seq=Conversation.last_seq + 1)
        .returning(Conversation.last_seq)
    )
    if seq is None:
        raise LookupError(f"conversation {conversation_id} does not exist")
    row = Message(
        conversation_id=conversation_id,
        seq=seq,
        author_kind=author_kind,
        author_id=author_id,
        author_name=author_name,
        body=body,
        client_id=client_id,
        created_at=at,
    )
    session.add(row)
    await session.flush()
    return _record(row), True


async def messages_after(
    session: AsyncSession, conversation_id: str, after_seq: int, up_to: int | None = None
) -> list[StoredMessage]:
    """Messages with ``after_seq < seq <= up_to`` in order (all later ones when up_to is None)."""
    query = select(Message).where(
        Message.conversation_id == conversation_id, Message.seq > after_seq
    )
    if up_to is not None:
        query = query.where(Message.seq <= up_to)
    rows = await session.scalars(query.order_by(Message.seq))
    return [_record(r) for r in rows]
