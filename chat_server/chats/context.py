"""What an operator sees beside a chat: the shopper's context and the dealership's facts.

The shopper's page and vehicle, their local time, earlier conversations (and who answered
them), internal notes, the dealership's canned replies, and for receptionists the store's
hours, address, phone, departments and the dealer's own notes or script.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.chats.canned import canned_replies
from chat_server.chats.notes import notes_of
from chat_server.contact_details import display_phone
from chat_server.protocol.outgoing import iso, visitor_summary
from chat_server.store.models import Conversation, Dealership, Operator
from chat_server.store.records import dealership_view

HISTORY_LIMIT = 10


async def visitor_history(
    session: AsyncSession, conversation: Conversation
) -> list[dict[str, Any]]:
    """The shopper's earlier conversations with this dealership, newest first."""
    rows = await session.execute(
        select(Conversation, Operator.name)
        .outerjoin(Operator, Operator.id == Conversation.owner_id)
        .where(
            Conversation.visitor_id == conversation.visitor_id,
            Conversation.id != conversation.id,
            Conversation.first_message_at < conversation.first_message_at,
        )
        .order_by(Conversation.first_message_at.desc())
        .limit(HISTORY_LIMIT)
    )
    return [
        {
            "id": c.id,
            "at": iso(c.first_message_at),
            "outcome": c.outcome,
            "answered_by": name,
            "tier": c.owner_tier,
        }
        for c, name in rows.all()
    ]


def dealership_facts(row: Dealership, now: datetime) -> dict[str, Any]:
    view = dealership_view(row)
    departments = {
        name: {"hours": hours, "open_now": view.is_open(name, now)}
        for name, hours in sorted((row.hours or {}).items())
    }
    return {
        "id": row.id,
        "name": row.name,
        "time_zone": row.time_zone,
        "local_time": now.astimezone(ZoneInfo(row.time_zone)).isoformat(timespec="minutes"),
        "phone": row.phone,
        # Stored in E.164 (the card's settings); read aloud from its national form.
        "phone_display": display_phone(row.phone, row.country) if row.phone else "",
        "address": row.address,
        "departments": departments,
        "notes": row.console_notes,
    }


async def conversation_context(
    session: AsyncSession, conversation: Conversation, now: datetime
) -> dict[str, Any]:
    dealership = await session.get_one(Dealership, conversation.dealership_id)
    owner = None
    if conversation.owner_id is not None:
        owner = {
            "id": conversation.owner_id,
            "name": await session.scalar(
                select(Operator.name).where(Operator.id == conversation.owner_id)
            ),
        }
    return {
        "id": conversation.id,
        "state": conversation.state,
        "outcome": conversation.outcome,
        "owner": owner,
        "page": conversation.page or {},
        "vehicle": conversation.vehicle,
        "visitor": visitor_summary(conversation.contact),
        "first_message_at": iso(conversation.first_message_at),
        "history": await visitor_history(session, conversation),
        "notes": await notes_of(session, conversation.id),
        "canned": await canned_replies(session, conversation.dealership_id),
        "dealership": dealership_facts(dealership, now),
    }
