"""Internal notes on a conversation: for staff and receptionists, never sent to the shopper."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.protocol import outgoing
from chat_server.store.models import ConversationNote

MAX_NOTE_CHARS = 2000


def note_frame(note: ConversationNote) -> dict[str, Any]:
    """The ``note`` frame of a stored note (its ``id`` and time must be set: flush first)."""
    return outgoing.note_frame(
        note.conversation_id,
        note.id,
        author_id=note.author_id,
        author_name=note.author_name,
        body=note.body,
        at=note.created_at,
    )


async def notes_of(session: AsyncSession, conversation_id: str) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(ConversationNote)
        .where(ConversationNote.conversation_id == conversation_id)
        .order_by(ConversationNote.id)
    )
    return [note_frame(n) for n in rows]
