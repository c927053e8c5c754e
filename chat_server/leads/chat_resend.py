"""Sending a conversation's lead again after the shopper wrote more (ladder ``ResendLead``).

A shopper who left their details keeps their conversation (phase ``captured``), and may go on
writing. Their lead went out when the details came in; what they wrote since reaches the CRM
as a resend of that same lead (status ``resend``, the same ADF id, the transcript as it is
now), never as a second lead. Called from the ladder shell, in the ladder's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.ladder.types import LeadService
from chat_server.leads.create import create_lead, existing_lead_of
from chat_server.leads.outbox import resend_lead
from chat_server.store.models import Conversation, Lead


async def resend_chat_lead(
    session: AsyncSession, conversation: Conversation, service: LeadService, at: datetime
) -> int | None:
    """Queue a resend of the conversation's lead (or the lead it was merged into).

    A pool chat after capture makes the lead a pool lead, as a merge does. A lead kept as
    spam stays unsent. Without a lead yet (none could be made when the details came in),
    this is the lead rules' create, which makes one only when it can go out.
    """
    lead_id = await existing_lead_of(session, conversation.id)
    if lead_id is None:
        return await create_lead(session, conversation, service, at)
    lead = await session.get_one(Lead, lead_id)
    if lead.spam_reason:
        return lead.id
    if service is LeadService.POOL and lead.service == LeadService.UNANSWERED.value:
        lead.service = service.value
    await resend_lead(session, lead, at)
    return lead.id
