"""Reading leads for the console, newest first, within an operator's dealerships only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.chats.messages import messages_after
from chat_server.store.models import Conversation, Dealership, Lead

LIST_LIMIT = 200


async def list_leads(session: AsyncSession, dealership_ids: list[int]) -> list[dict[str, Any]]:
    if not dealership_ids:
        return []
    rows = await session.execute(
        select(Lead, Dealership.name, Conversation.outcome)
        .join(Dealership, Dealership.id == Lead.dealership_id)
        .join(Conversation, Conversation.id == Lead.conversation_id)
        .where(Lead.dealership_id.in_(dealership_ids))
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(LIST_LIMIT)
    )
    leads = []
    for lead, dealership_name, outcome in rows.all():
        transcript = await messages_after(session, lead.conversation_id, 0)
        leads.append(
            {
                "id": lead.id,
                "created_at": lead.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                "dealership": dealership_name,
                "name": lead.name,
                "email": lead.email,
                "phone": lead.phone,
                "preferred_time": lead.preferred_time,
                "service": lead.service,
                "status": lead.status,
                "outcome": outcome,
                "conversation_id": lead.conversation_id,
                "transcript": [
                    {
                        "author": m.author_name or m.author_kind,
                        "body": m.body,
                        "at": m.created_at.strftime("%H:%M:%S"),
                    }
                    for m in transcript
                ],
            }
        )
    return leads
