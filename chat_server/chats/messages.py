"""Appending and reading a conversation's messages: gapless per-conversation sequence numbers,
idempotent on the sender's client id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.chats.append_batch import ConversationClosed
from chat_server.chats.records import StoredMessage
from chat_server.observability.tally import Tally
from chat_server.store.models import Conversation, Message, UtcDateTime

__all__ = ["ConversationClosed", "append_message", "find_by_client_id", "messages_after"]

_COLUMNS = (
    Message.conversation_id,
    Message.seq,
    Message.author_kind,
    Message.author_name,
    Message.body,
    Message.created_at,
    Message.client_id,
)


def _record(row: Any) -> StoredMessage:
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
            select(*_COLUMNS).where(
                Message.conversation_id == conversation_id, Message.client_id == client_id
            )
        )
    ).first()
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
    first_human_reply: bool = False,
    tally: Tally | None = None,
) -> tuple[StoredMessage, bool]:
    """Store one message inside the caller's transaction; returns (message, newly_stored).

    A client id seen before returns the stored message unchanged, so a resend after a lost
    ack stores nothing twice. The sequence comes from one UPDATE on the conversation row that
    also refuses a closed conversation and, for ``first_human_reply``, stamps the first human
    reply; on PostgreSQL its row lock serialises concurrent appends to one conversation.
    Chat messages normally go through ``AppendBatcher`` (group commit, the same rules in raw
    driver SQL); this is its one-by-one fallback, and how a conversation's first message is
    stored inside the transaction that creates the conversation.
    A stored message, and the wait before the first human reply, are counted in ``tally``.
    Raises ``ConversationClosed`` or ``LookupError``.
    """
    if client_id is not None:
        existing = await find_by_client_id(session, conversation_id, client_id)
        if existing is not None:
            return existing, False
    values: dict[str, Any] = {"last_seq": Conversation.last_seq + 1}
    returning: list[Any] = [Conversation.last_seq]
    if first_human_reply:
        values["first_human_reply_at"] = func.coalesce(
            Conversation.first_human_reply_at, literal(at, UtcDateTime())
        )
        # The same statement tells whether this reply was the first: no extra query.
        returning += [Conversation.first_human_reply_at, Conversation.first_message_at]
    row = (
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.state != "closed")
            .values(**values)
            .returning(*returning)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if row is None:
        exists = await session.scalar(
            select(Conversation.id).where(Conversation.id == conversation_id)
        )
        if exists is None:
            raise LookupError(f"conversation {conversation_id} does not exist")
        raise ConversationClosed(conversation_id)
    seq = row[0]
    message = StoredMessage(
        conversation_id=conversation_id,
        seq=seq,
        author_kind=author_kind,
        author_name=author_name,
        body=body,
        created_at=at,
        client_id=client_id,
    )
    await session.execute(
        insert(Message).values(
            conversation_id=conversation_id,
            seq=seq,
            author_kind=author_kind,
            author_id=author_id,
            author_name=author_name,
            body=body,
            client_id=client_id,
            created_at=at,
        )
    )
    if tally is not None:
        tally.messages_stored += 1
        if first_human_reply and row[1] == at:
            tally.first_human_waits.append(max(0.0, (at - row[2]).total_seconds()))
    return message, True


async def messages_after(
    session: AsyncSession, conversation_id: str, after_seq: int, up_to: int | None = None
) -> list[StoredMessage]:
    """Messages with ``after_seq < seq <= up_to`` in order (all later ones when up_to is None)."""
    query = select(*_COLUMNS).where(
        Message.conversation_id == conversation_id, Message.seq > after_seq
    )
    if up_to is not None:
        query = query.where(Message.seq <= up_to)
    rows = await session.execute(query.order_by(Message.seq))
    return [_record(r) for r in rows]
