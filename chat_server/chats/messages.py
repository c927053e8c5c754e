"""Appending and reading a conversation's messages: gapless per-conversation sequence numbers,
idempotent on the sender's client id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.chats.append_batch import ConversationClosed
from chat_server.observability.tally import Tally
from chat_server.store.models import Conversation, Message, UtcDateTime
from chat_server.store.records import StoredMessage
from chat_server.store.transcripts import find_by_client_id

__all__ = ["ConversationClosed", "append_message"]

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
