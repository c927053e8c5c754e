"""Reading a lead, its conversations and transcripts from the store into ``LeadFacts``."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.leads.adf import SERVICE_TEXT
from chat_server.leads.facts import LeadFacts, TranscriptLine, vehicle_from_page
from chat_server.store.models import Conversation, Dealership, Lead, LeadConversation, Operator
from chat_server.store.transcripts import messages_after

AUTHOR_KINDS = {"visitor": "Shopper", "staff": "Staff", "receptionist": "Receptionist"}


async def lead_conversation_ids(session: AsyncSession, lead: Lead) -> list[str]:
    """The lead's conversations, oldest first (the first one is ``lead.conversation_id``)."""
    merged = list(
        await session.scalars(
            select(LeadConversation.conversation_id)
            .where(LeadConversation.lead_id == lead.id)
            .order_by(LeadConversation.added_at, LeadConversation.conversation_id)
        )
    )
    return [lead.conversation_id, *(c for c in merged if c != lead.conversation_id)]


def adf_id(dealership_slug: str, lead_id: int) -> str:
    return f"dealer-chat:{dealership_slug}:lead:{lead_id}"


async def lead_facts(session: AsyncSession, lead: Lead) -> LeadFacts:
    dealership = await session.get_one(Dealership, lead.dealership_id)
    zone = ZoneInfo(dealership.time_zone)
    conversations = [
        await session.get_one(Conversation, cid)
        for cid in await lead_conversation_ids(session, lead)
    ]
    lines: list[TranscriptLine] = []
    for conversation in conversations:
        for message in await messages_after(session, conversation.id, 0):
            author = message.author_name or AUTHOR_KINDS.get(message.author_kind, "System")
            if message.author_kind == "visitor":
                author = "Shopper"
            lines.append(TranscriptLine(message.created_at.astimezone(zone), author, message.body))
    # The newest conversation that came from a vehicle page says what they want now.
    with_vehicle = [c for c in conversations if c.vehicle]
    latest = conversations[-1]
    page: dict[str, Any] = latest.page or {}
    trade_raw = (latest.contact or {}).get("trade_in")
    owner = await session.get(Operator, lead.owner_id) if lead.owner_id else None
    return LeadFacts(
        lead_id=lead.id,
        adf_id=adf_id(dealership.slug, lead.id),
        status="resend" if lead.resend_count else "new",
        requested_at=(lead.updated_at or lead.created_at).astimezone(zone),
        service=lead.service,
        department=lead.department,
        segment=lead.segment,
        name=lead.name,
        email=lead.email,
        phone=lead.phone,
        preferred_time=lead.preferred_time,
        dealership_name=dealership.name,
        dealership_phone=dealership.phone,
        salesperson=owner.name if owner else "",
        page_url=str(page.get("url") or ""),
        page_title=str(page.get("title") or ""),
        vehicle=vehicle_from_page(with_vehicle[-1].vehicle) if with_vehicle else None,
        trade_in=vehicle_from_page(trade_raw, "trade-in") if isinstance(trade_raw, dict) else None,
        transcript=tuple(lines),
    )


def webhook_body(facts: LeadFacts, adf: str, idempotency_key: str, at: datetime) -> str:
    """The webhook's JSON: the lead's fields, the transcript, and the same ADF the e-mail has."""
    vehicle = facts.vehicle
    return json.dumps(
        {
            "event": "lead.resent" if facts.status == "resend" else "lead.created",
            "idempotency_key": idempotency_key,
            "sent_at": at.isoformat(timespec="seconds"),
            "lead": {
                "id": facts.lead_id,
                "adf_id": facts.adf_id,
                "status": facts.status,
                "requested_at": facts.requested_at.isoformat(timespec="seconds"),
                "service": facts.service,
                "service_text": SERVICE_TEXT.get(facts.service, facts.service),
                "department": facts.department,
                "segment": facts.segment,
                "dealership": facts.dealership_name,
                "salesperson": facts.salesperson or None,
                "customer": {
                    "name": facts.name,
                    "email": facts.email,
                    "phone": facts.phone,
                    "preferred_time": facts.preferred_time,
                },
                "vehicle": vehicle.__dict__ if vehicle and vehicle.known else None,
                "page": {"url": facts.page_url, "title": facts.page_title},
                "transcript": [
                    {"at": t.at.isoformat(timespec="seconds"), "author": t.author, "body": t.body}
                    for t in facts.transcript
                ],
            },
            "adf": adf,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def delivery_key(lead_id: int, resend_count: int, channel: str, target: str) -> str:
    digest = hashlib.sha256(target.encode()).hexdigest()[:16]
    return f"lead-{lead_id}-r{resend_count}-{channel}-{digest}"
