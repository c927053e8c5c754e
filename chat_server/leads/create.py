"""Turning a finished conversation into a lead row (delivery to the CRM comes later)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.ladder.types import LeadService
from chat_server.store.models import Conversation, Lead


async def create_lead(
    session: AsyncSession, conversation: Conversation, service: LeadService, at: datetime
) -> int:
    """Create the conversation's lead once; a second call returns the existing one.

    ``leads.conversation_id`` is unique, so even a retried step cannot store two.
    """
    existing = await session.scalar(
        select(Lead.id).where(Lead.conversation_id == conversation.id)
    )
    if existing is not None:
        return existing
    contact = conversation.contact or {}
    lead = Lead(
        conversation_id=conversation.id,
        dealership_id=conversation.dealership_id,
        visitor_id=conversation.visitor_id,
        service=service.value,
        status="new",
        name=contact.get("name", ""),
        email=contact.get("email", ""),
        phone=contact.get("phone", ""),
        preferred_time=contact.get("preferred_time", "nopreference"),
        created_at=at,
    )
    session.add(lead)
    await session.flush()
    return lead.id
