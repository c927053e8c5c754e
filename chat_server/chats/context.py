"""What an operator sees beside a chat: the shopper's context and the dealership's facts.

The shopper's page and vehicle, their local time, earlier conversations (and who answered
them), internal notes, the dealership's canned replies, and for receptionists the store's
hours, address, phone, departments and the dealer's own notes or script. Also the contact
details the shopper typed in the chat (``proposed_contact``), which the receptionist's form
offers pre-filled for them to check, and whether the conversation's department is open (a
chat is handed to the store only while it is).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.chats.canned import canned_replies
from chat_server.chats.notes import notes_of
from chat_server.contact_details import display_phone, region_for
from chat_server.contact_extraction import propose_contact
from chat_server.protocol.outgoing import iso, visitor_summary
from chat_server.store.models import Conversation, Dealership, Message, Operator
from chat_server.store.records import DealershipView, dealership_view
from chat_server.widget_theme import opens_next

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
        name: department_facts(view, name, now) for name in sorted((row.hours or {}).keys())
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


def department_facts(view: DealershipView, name: str, now: datetime) -> dict[str, Any]:
    """A department's hours, whether it is open now, and when it opens next if not
    (``opens_next``: ``{"at", "text"}`` such as "Sales opens Monday 9:00 AM", else None)."""
    open_now = view.is_open(name, now)
    return {
        "hours": view.hours.get(name),
        "open_now": open_now,
        # In English: the console is; the widget's language is the shopper's.
        "opens_next": None
        if open_now
        else opens_next(view.hours, name, view.time_zone, now, "en", dated=view.dated_hours),
    }


def proposed_contact(
    contact: dict[str, Any] | None, shopper_bodies: list[str], country: str | None
) -> dict[str, str] | None:
    """What the shopper typed that the contact form could use, for the operator to check:
    only fields not saved already, and only when it holds a way to reach them (a proposed
    name alone is not worth a "found in the chat" banner). None when there is nothing."""
    saved = visitor_summary(contact)
    if saved["phone"] or saved["email"]:
        return None
    proposed = propose_contact(shopper_bodies, region_for(country))
    if not proposed.reachable:
        return None
    return {
        **proposed.as_json(),
        "name": saved["name"] or proposed.name,
        "phone_display": display_phone(proposed.phone, country) if proposed.phone else "",
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
    shopper_bodies = list(
        await session.scalars(
            select(Message.body)
            .where(Message.conversation_id == conversation.id, Message.author_kind == "visitor")
            .order_by(Message.seq)
        )
    )
    department = conversation.department or "sales"
    return {
        "id": conversation.id,
        "visitor_id": conversation.visitor_id,
        "department": department,
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
        # The conversation's own department, listed even when it has no hours at all.
        "department_hours": department_facts(dealership_view(dealership), department, now),
        "proposed_contact": proposed_contact(
            conversation.contact, shopper_bodies, dealership.country
        ),
    }
