"""Writing a lead's sends into the outbox, in the caller's transaction.

A row per target (each CRM address, the webhook) per send (new, each resend). The document
is built now and stored in the row, so every retry sends exactly the same bytes and the
delivery log shows what the CRM got. The worker (``worker.py``) sends them after the commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.leads.adf import build_adf, email_subject
from chat_server.leads.document import delivery_key, lead_facts, webhook_body
from chat_server.store.models import Dealership, Lead, LeadDelivery

# The webhook event of each kind of send; the dealership chooses which its webhook receives
# (Dealership.webhook_events, on the CRM settings page).
WEBHOOK_EVENT = {"new": "lead.new", "resend": "lead.resend"}


def crm_addresses(dealership: Dealership) -> list[str]:
    """``crm_email`` and ``crm_addresses``, each once, in order."""
    seen: list[str] = []
    for address in [dealership.crm_email, *(dealership.crm_addresses or [])]:
        address = str(address or "").strip()
        if address and address.lower() not in (s.lower() for s in seen):
            seen.append(address)
    return seen


async def enqueue_deliveries(session: AsyncSession, lead: Lead, at: datetime) -> int:
    """Queue this send of ``lead`` to every target; returns how many rows were queued.

    Idempotent per (lead, resend number, target): a retried transaction queues nothing twice.
    """
    dealership = await session.get_one(Dealership, lead.dealership_id)
    await session.flush()
    facts = await lead_facts(session, lead)
    adf = build_adf(facts)
    subject = email_subject(facts)
    targets = [("email", address) for address in crm_addresses(dealership)]
    if dealership.webhook_url and WEBHOOK_EVENT[facts.status] in (dealership.webhook_events or []):
        targets.append(("webhook", dealership.webhook_url))
    queued = 0
    for channel, target in targets:
        key = delivery_key(lead.id, lead.resend_count, channel, target)
        if await session.scalar(select(LeadDelivery.id).where(LeadDelivery.idempotency_key == key)):
            continue
        body = adf if channel == "email" else webhook_body(facts, adf, key, at)
        session.add(
            LeadDelivery(
                lead_id=lead.id,
                channel=channel,
                target=target,
                kind=facts.status,
                idempotency_key=key,
                subject=subject,
                body=body,
                state="pending",
                attempts=0,
                next_attempt_at=at,
                last_error="",
                created_at=at,
            )
        )
        queued += 1
    await session.flush()
    return queued


async def resend_lead(session: AsyncSession, lead: Lead, at: datetime) -> int:
    """A manual resend: the next resend number, sent as ``status="resend"`` to every target."""
    lead.resend_count += 1
    lead.updated_at = at
    return await enqueue_deliveries(session, lead, at)
