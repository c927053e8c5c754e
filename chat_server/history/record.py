"""One conversation's record for the Conversations page: the transcript with the internal notes
in place, the shopper's details and consent, vehicle and page, the lead, the ring timeline and
the time to first human, and the same shopper's other conversations.

Tenant-scoped like every read of the console: a conversation outside the person's dealerships
reads as missing (None), so ids of other tenants cannot be probed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.contact_details import display_phone
from chat_server.history.labels import (
    DEPARTMENTS,
    PREFERRED_TIMES,
    RING_ENDINGS,
    TIERS,
    duration_label,
    local_clock,
    local_time,
    outcome_label,
    seconds_between,
    shopper_name,
    vehicle_label,
)
from chat_server.history.listing import Place
from chat_server.store.models import (
    Conversation,
    ConversationNote,
    Lead,
    LeadConversation,
    Message,
    Operator,
    RingRecord,
    Visitor,
)

OTHER_CONVERSATIONS = 20
AUTHOR_KINDS = {"visitor": "Shopper", "staff": "Store", "receptionist": "Receptionist"}


@dataclass(frozen=True)
class Entry:
    """A line of the transcript: a message (``kind`` visitor, staff, receptionist, system) or
    an internal note (``kind`` note). ``text`` is plain text; the page escapes it."""

    kind: str
    who: str
    text: str
    at: datetime
    clock: str


@dataclass(frozen=True)
class Ring:
    operator: str
    tier: str
    offered: str  # local clock
    offered_after: str  # since the first message
    ended: str
    ending: str  # in words; "Still ringing" when open


@dataclass(frozen=True)
class Earlier:
    id: str
    when: str
    outcome: str


@dataclass(frozen=True)
class Record:
    id: str
    dealership: Place
    visitor_id: int
    when: str
    closed: str
    shopper: str
    phone: str
    phone_e164: str
    email: str
    preferred_time: str
    consent: bool | None  # None: the shopper left no contact form
    outcome: str
    department: str
    owner: str
    vehicle: str
    page_url: str
    page_title: str
    lead_id: int | None
    first_human: str
    accept_after: str
    transcript: list[Entry]
    rings: list[Ring]
    others: list[Earlier]


def _safe_url(url: Any) -> str:
    """The page's address only when it is a web address (never ``javascript:`` in a link)."""
    text = str(url or "")
    return text if text.startswith(("https://", "http://")) else ""


async def _transcript(session: AsyncSession, conversation_id: str, zone: ZoneInfo) -> list[Entry]:
    messages = await session.execute(
        select(Message.author_kind, Message.author_name, Message.body, Message.created_at)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.seq)
    )
    notes = await session.execute(
        select(ConversationNote.author_name, ConversationNote.body, ConversationNote.created_at)
        .where(ConversationNote.conversation_id == conversation_id)
        .order_by(ConversationNote.id)
    )
    entries = [
        Entry(kind, name or AUTHOR_KINDS.get(kind, ""), body, at, local_clock(at, zone))
        for kind, name, body, at in messages.all()
    ]
    entries += [
        Entry("note", name, body, at, local_clock(at, zone)) for name, body, at in notes.all()
    ]
    # Notes in place: by time, a note after the message it was written beside (stable sort).
    return sorted(entries, key=lambda e: e.at)


async def _rings(session: AsyncSession, conversation: Conversation, zone: ZoneInfo) -> list[Ring]:
    rows = await session.execute(
        select(RingRecord, Operator.name)
        .join(Operator, Operator.id == RingRecord.operator_id)
        .where(RingRecord.conversation_id == conversation.id)
        .order_by(RingRecord.offered_at, RingRecord.id)
    )
    return [
        Ring(
            operator=name,
            tier=TIERS.get(ring.tier, ring.tier),
            offered=local_clock(ring.offered_at, zone),
            offered_after=duration_label(
                seconds_between(ring.offered_at, conversation.first_message_at)
            ),
            ended=local_clock(ring.ended_at, zone),
            ending=RING_ENDINGS.get(ring.end_reason or "", ring.end_reason or "Still ringing"),
        )
        for ring, name in rows.all()
    ]


async def _lead_id(session: AsyncSession, conversation_id: str) -> int | None:
    own = await session.scalar(select(Lead.id).where(Lead.conversation_id == conversation_id))
    if own is not None:
        return own
    return await session.scalar(
        select(LeadConversation.lead_id).where(LeadConversation.conversation_id == conversation_id)
    )


async def _others(
    session: AsyncSession, conversation: Conversation, places: Sequence[Place], zone: ZoneInfo
) -> list[Earlier]:
    rows = await session.execute(
        select(
            Conversation.id, Conversation.first_message_at, Conversation.state, Conversation.outcome
        )
        .where(
            Conversation.visitor_id == conversation.visitor_id,
            Conversation.id != conversation.id,
            Conversation.dealership_id.in_([p.id for p in places]),
        )
        .order_by(Conversation.first_message_at.desc())
        .limit(OTHER_CONVERSATIONS)
    )
    return [Earlier(i, local_time(at, zone), outcome_label(s, o)) for i, at, s, o in rows.all()]


async def conversation_record(
    session: AsyncSession, places: Sequence[Place], conversation_id: str
) -> Record | None:
    """The record of ``conversation_id`` if it is in one of ``places``, else None."""
    conversation = await session.get(Conversation, conversation_id)
    place = next(
        (p for p in places if conversation is not None and p.id == conversation.dealership_id),
        None,
    )
    if conversation is None or place is None:
        return None
    zone = ZoneInfo(place.time_zone)
    visitor = await session.get(Visitor, conversation.visitor_id)
    owner = await session.get(Operator, conversation.owner_id) if conversation.owner_id else None
    contact = conversation.contact or {}
    phone = str(contact.get("phone") or (visitor.phone if visitor else "") or "")
    page = conversation.page or {}
    return Record(
        id=conversation.id,
        dealership=place,
        visitor_id=conversation.visitor_id,
        when=local_time(conversation.first_message_at, zone),
        closed=local_time(conversation.closed_at, zone),
        shopper=shopper_name(contact, visitor.name if visitor else ""),
        phone=display_phone(phone, place.country) if phone else "",
        phone_e164=phone,
        email=str(contact.get("email") or (visitor.email if visitor else "") or ""),
        preferred_time=PREFERRED_TIMES.get(str(contact.get("preferred_time") or ""), "")
        if contact
        else "",
        consent=bool(contact.get("consent")) if "consent" in contact else None,
        outcome=outcome_label(conversation.state, conversation.outcome),
        department=DEPARTMENTS.get(conversation.department, conversation.department),
        owner=owner.name if owner else "",
        vehicle=vehicle_label(conversation.vehicle),
        page_url=_safe_url(page.get("url")),
        page_title=str(page.get("title") or ""),
        lead_id=await _lead_id(session, conversation.id),
        first_human=duration_label(
            seconds_between(conversation.first_human_reply_at, conversation.first_message_at)
        ),
        accept_after=duration_label(
            seconds_between(conversation.accepted_at, conversation.first_message_at)
        ),
        transcript=await _transcript(session, conversation.id, zone),
        rings=await _rings(session, conversation, zone),
        others=await _others(session, conversation, places, zone),
    )
