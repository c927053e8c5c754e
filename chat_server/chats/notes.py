"""Internal notes on a conversation: for staff and receptionists, never sent to the shopper."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.protocol.outgoing import iso
from chat_server.store.models import ConversationNote

MAX_NOTE_CHARS = 2000


def note_frame(note: ConversationNote) -> dict[str, Any]:
    return {
        "type": "note",
        "conversation": note.conversation_id,
        "id": note.id,
        "author": {"id": note.author_id, "name": note.author_name},
        "body": note.body,
        "at": iso(note.created_at),
    }


async def notes_of(session: AsyncSession, conversation_id: str) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(ConversationNote)
        .where(ConversationNote.conversation_id == conversation_id)
        .order_by(ConversationNote.id)
    )
    return [note_frame(n) for n in rows]
