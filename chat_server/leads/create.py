"""Turning a finished conversation into a lead: rules, de-duplication, assignment, outbox.

Called from the ladder shell inside the ladder's transaction, so the lead, its merge into an
earlier lead, its follow-up tasks and its outbox rows commit (or roll back) with the
conversation's outcome. Nothing here talks to the network: the worker sends after the commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.contact_details import (
    Contact,
    email_key,
    has_contact,
    name_phone_key,
    normalise_contact,
)
from chat_server.contact_extraction import typed_contact
from chat_server.delivery.channels import operator_channel
from chat_server.delivery.fanout import PendingFrames
from chat_server.ladder.hours import department_open
from chat_server.ladder.types import LeadService, Outcome
from chat_server.leads.assign import choose_owner
from chat_server.leads.dedupe import WINDOW, Candidate, find_duplicate
from chat_server.leads.followup import schedule_tasks
from chat_server.leads.outbox import enqueue_deliveries
from chat_server.leads.rules import department, goes_out, lead_service, segment
from chat_server.leads.spam import spam_reason
from chat_server.protocol.outgoing import lead_assigned_frame
from chat_server.store.models import Conversation, Dealership, Lead, LeadConversation
from chat_server.store.transcripts import messages_after


async def existing_lead_of(session: AsyncSession, conversation_id: str) -> int | None:
    merged = await session.scalar(
        select(LeadConversation.lead_id).where(LeadConversation.conversation_id == conversation_id)
    )
    if merged is not None:
        return merged
    return await session.scalar(select(Lead.id).where(Lead.conversation_id == conversation_id))


async def _duplicate_of(
    session: AsyncSession, dealership_id: int, ekey: str, npkey: str, at: datetime
) -> Lead | None:
    keys = []
    if ekey:
        keys.append(Lead.email_key == ekey)
    if npkey:
        keys.append(Lead.name_phone_key == npkey)
    if not keys:
        return None
    rows = list(
        await session.scalars(
            select(Lead).where(
                Lead.dealership_id == dealership_id,
                Lead.spam_reason == "",
                func.coalesce(Lead.updated_at, Lead.created_at) >= at - WINDOW,
                or_(*keys),
            )
        )
    )
    candidates = [
        Candidate(
            r.id, r.dealership_id, r.email_key, r.name_phone_key, r.updated_at or r.created_at
        )
        for r in rows
    ]
    chosen = find_duplicate(candidates, dealership_id, ekey, npkey, at)
    return next((r for r in rows if r.id == chosen), None)


async def create_lead(
    session: AsyncSession,
    conversation: Conversation,
    service: LeadService,
    at: datetime,
    frames: PendingFrames | None = None,
) -> int | None:
    """Create the conversation's lead once (a second call returns the same id), or merge it
    into the same shopper's lead from the last 30 days and queue a resend.

    ``leads.conversation_id`` and ``lead_conversations.conversation_id`` are unique, so even
    a retried step cannot store two. None, and no lead, when the shopper left no usable
    e-mail or phone, saved or typed in the chat: a lead never goes out empty.
    """
    existing = await existing_lead_of(session, conversation.id)
    if existing is not None:
        return existing
    dealership = await session.get_one(Dealership, conversation.dealership_id)
    messages = await messages_after(session, conversation.id, 0)
    shopper_bodies = [m.body for m in messages if m.author_kind == "visitor"]
    contact = contact_for_lead(conversation.contact, shopper_bodies, dealership.country)
    if not goes_out(has_contact(contact)):
        # Nobody could call or write back: a CRM can do nothing with it (rules.goes_out).
        return None
    ekey, npkey = email_key(contact), name_phone_key(contact)

    duplicate = await _duplicate_of(session, dealership.id, ekey, npkey, at)
    if duplicate is not None:
        return await _merge(session, duplicate, conversation, contact, service, at)

    recent = await session.scalar(
        select(func.count(Lead.id)).where(
            Lead.visitor_id == conversation.visitor_id,
            Lead.dealership_id == dealership.id,
            Lead.created_at >= at - timedelta(hours=1),
        )
    )
    honeypot = str((conversation.contact or {}).get("honeypot") or "")
    spam = spam_reason(shopper_bodies, honeypot, recent or 0)
    bought_before = bool(
        await session.scalar(
            select(func.count(Lead.id)).where(
                Lead.dealership_id == dealership.id,
                Lead.status == "sold",
                or_(
                    Lead.visitor_id == conversation.visitor_id,
                    *([Lead.email_key == ekey] if ekey else []),
                ),
            )
        )
    )
    lead = Lead(
        conversation_id=conversation.id,
        dealership_id=dealership.id,
        visitor_id=conversation.visitor_id,
        service=service.value,
        status="new",
        name=contact.name,
        email=contact.email if contact.email_valid else "",
        phone=contact.phone,
        preferred_time=contact.preferred_time,
        created_at=at,
        updated_at=at,
        segment=segment(len(shopper_bodies), service is not LeadService.UNANSWERED, bought_before),
        department=department(conversation.department),
        spam_reason=spam,
        email_key=ekey,
        name_phone_key=npkey,
        resend_count=0,
    )
    if not spam:
        lead.owner_id = await choose_owner(
            session, dealership.id, conversation.visitor_id, conversation.id
        )
    session.add(lead)
    await session.flush()
    session.add(LeadConversation(conversation_id=conversation.id, lead_id=lead.id, added_at=at))
    if spam:
        return lead.id  # kept for the record, never sent or assigned
    await schedule_tasks(session, lead, dealership)
    await enqueue_deliveries(session, lead, at)
    # A pool lead during sales hours: the salesperson hears of it at once.
    open_now = department_open(
        dealership.hours or {},
        lead.department,
        dealership.time_zone,
        at,
        dated=dealership.dated_hours or (),
    )
    if frames is not None and lead.owner_id is not None and open_now:
        frames.add(operator_channel(lead.owner_id), _lead_frame(lead))
    return lead.id


def contact_for_lead(
    saved: dict[str, object] | None, shopper_bodies: list[str], country: str
) -> Contact:
    """The saved contact details, or, when they hold no way to reach the shopper, what the
    shopper typed in the chat (a phone or an address that validates), as the receptionist's
    form proposed it. A chat that closed without anyone pressing "Save" still reaches the CRM
    with the number the shopper gave."""
    contact = normalise_contact(saved, country)
    if has_contact(contact):
        return contact
    valid = typed_contact(shopper_bodies, country, contact.name)
    if valid is None:
        return contact
    details = {**(saved or {}), "name": valid.name, "phone": valid.phone, "email": valid.email}
    return normalise_contact(details, country)


async def _merge(
    session: AsyncSession,
    lead: Lead,
    conversation: Conversation,
    contact: Contact,
    service: LeadService,
    at: datetime,
) -> int:
    session.add(LeadConversation(conversation_id=conversation.id, lead_id=lead.id, added_at=at))
    # Fill what the earlier chat did not say; never overwrite what it did.
    lead.name = lead.name or contact.name
    lead.email = lead.email or (contact.email if contact.email_valid else "")
    lead.phone = lead.phone or contact.phone
    lead.email_key = lead.email_key or email_key(contact)
    lead.name_phone_key = lead.name_phone_key or name_phone_key(contact)
    if lead.segment == "lead":
        lead.segment = "prospect"  # they came back: engaged
    if service is LeadService.POOL and lead.service == "unanswered":
        lead.service = service.value
    lead.resend_count += 1
    lead.updated_at = at
    await enqueue_deliveries(session, lead, at)
    return lead.id


async def log_up(session: AsyncSession, conversation: Conversation, at: datetime) -> int | None:
    """An Up logged to the CRM as a "chat up" lead, when the dealership turned that on."""
    dealership = await session.get_one(Dealership, conversation.dealership_id)
    messages = await messages_after(session, conversation.id, 0)
    shopper_bodies = [m.body for m in messages if m.author_kind == "visitor"]
    contact = contact_for_lead(conversation.contact, shopper_bodies, dealership.country)
    service = lead_service(Outcome.UP, has_contact(contact), dealership.log_ups)
    if service is None:
        return None
    return await create_lead(session, conversation, service, at)


def _lead_frame(lead: Lead) -> dict[str, object]:
    return lead_assigned_frame(lead.id, lead.name, lead.service)
