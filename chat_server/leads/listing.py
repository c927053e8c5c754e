"""Reading leads and conversations for the console and the API: plain dicts, tenant-scoped.

Every function takes the dealership ids the caller may see; a lead outside them reads as
missing, never as forbidden, so ids of other tenants cannot be probed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.leads.document import lead_conversation_ids
from chat_server.leads.followup import overdue
from chat_server.store.models import (
    Conversation,
    Dealership,
    Lead,
    LeadDelivery,
    LeadTask,
    Operator,
)
from chat_server.store.transcripts import messages_after

LIST_LIMIT = 200


def _label(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else ""


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at else None


def _lead_fields(lead: Lead, owner: str | None) -> dict[str, Any]:
    return {
        "id": lead.id,
        "status": lead.status,
        "status_reason": lead.status_reason,
        "service": lead.service,
        "segment": lead.segment,
        "department": lead.department,
        "name": lead.name,
        "email": lead.email,
        "phone": lead.phone,
        "preferred_time": lead.preferred_time,
        "owner": owner,
        "owner_id": lead.owner_id,
        "resend_count": lead.resend_count,
        "spam_reason": lead.spam_reason,
        "created_at": _iso(lead.created_at),
        "updated_at": _iso(lead.updated_at),
        "conversation_id": lead.conversation_id,
    }


async def _transcript(session: AsyncSession, conversation_id: str) -> list[dict[str, Any]]:
    return [
        {
            "seq": m.seq,
            "author_kind": m.author_kind,
            "author_name": m.author_name,
            "body": m.body,
            "at": _iso(m.created_at),
        }
        for m in await messages_after(session, conversation_id, 0)
    ]


def conversation_fields(row: Conversation) -> dict[str, Any]:
    return {
        "id": row.id,
        "state": row.state,
        "outcome": row.outcome,
        "department": row.department,
        "created_at": _iso(row.created_at),
        "closed_at": _iso(row.closed_at),
        "page": row.page or {},
        "vehicle": row.vehicle,
    }


async def list_leads(
    session: AsyncSession,
    dealership_ids: list[int],
    *,
    status: str | None = None,
    service: str | None = None,
    since: datetime | None = None,
    limit: int = LIST_LIMIT,
    offset: int = 0,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Leads newest first, with the console's extras: dealership, outcome, next task due."""
    if not dealership_ids:
        return []
    query = (
        select(Lead, Dealership.name, Conversation.outcome, Operator.name)
        .join(Dealership, Dealership.id == Lead.dealership_id)
        .join(Conversation, Conversation.id == Lead.conversation_id)
        .outerjoin(Operator, Operator.id == Lead.owner_id)
        .where(Lead.dealership_id.in_(dealership_ids))
    )
    if status:
        query = query.where(Lead.status == status)
    if service:
        query = query.where(Lead.service == service)
    if since:
        query = query.where(Lead.created_at >= since)
    rows = (
        await session.execute(
            query.order_by(Lead.created_at.desc(), Lead.id.desc()).limit(limit).offset(offset)
        )
    ).all()
    ids = [lead.id for lead, *_ in rows]
    next_due: dict[int, datetime] = {}
    if ids:
        due_rows = await session.execute(
            select(LeadTask.lead_id, func.min(LeadTask.due_at))
            .where(LeadTask.lead_id.in_(ids), LeadTask.done_at.is_(None))
            .group_by(LeadTask.lead_id)
        )
        next_due = {lead_id: due for lead_id, due in due_rows.all()}
    leads = []
    for lead, dealership_name, outcome, owner in rows:
        due = next_due.get(lead.id)
        leads.append(
            {
                **_lead_fields(lead, owner),
                "dealership": dealership_name,
                "outcome": outcome,
                "received": lead.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                "next_due": _iso(due),
                "next_due_label": due.strftime("%Y-%m-%d %H:%M UTC") if due else "",
                "overdue": bool(due and now and overdue(due, None, now)),
            }
        )
    return leads


async def scoped_lead(
    session: AsyncSession, lead_id: int, dealership_ids: list[int]
) -> Lead | None:
    lead = await session.get(Lead, lead_id)
    if lead is None or lead.dealership_id not in dealership_ids:
        return None
    return lead


async def lead_detail(
    session: AsyncSession, lead_id: int, dealership_ids: list[int], now: datetime
) -> dict[str, Any] | None:
    """One lead with every merged conversation's transcript, its tasks and its delivery log."""
    lead = await scoped_lead(session, lead_id, dealership_ids)
    if lead is None:
        return None
    owner = await session.get(Operator, lead.owner_id) if lead.owner_id else None
    dealership = await session.get_one(Dealership, lead.dealership_id)
    conversations = []
    for cid in await lead_conversation_ids(session, lead):
        row = await session.get_one(Conversation, cid)
        conversations.append(
            {**conversation_fields(row), "messages": await _transcript(session, cid)}
        )
    tasks = [
        {
            "id": t.id,
            "step": t.step,
            "due_at": _iso(t.due_at),
            "done_at": _iso(t.done_at),
            "due_label": _label(t.due_at),
            "done_label": _label(t.done_at),
            "channel": t.channel,
            "note": t.note,
            "overdue": overdue(t.due_at, t.done_at, now),
        }
        for t in await session.scalars(
            select(LeadTask).where(LeadTask.lead_id == lead.id).order_by(LeadTask.step)
        )
    ]
    deliveries = [
        {
            "id": d.id,
            "channel": d.channel,
            "target": d.target,
            "kind": d.kind,
            "state": d.state,
            "attempts": d.attempts,
            "last_error": d.last_error,
            "created_at": _iso(d.created_at),
            "delivered_at": _iso(d.delivered_at),
            "next_attempt_at": _iso(d.next_attempt_at) if d.state == "pending" else None,
        }
        for d in await session.scalars(
            select(LeadDelivery)
            .where(LeadDelivery.lead_id == lead.id)
            .order_by(LeadDelivery.created_at, LeadDelivery.id)
        )
    ]
    open_tasks = [t for t in tasks if t["done_at"] is None]
    return {
        **_lead_fields(lead, owner.name if owner else None),
        "dealership": dealership.name,
        "dealership_id": dealership.id,
        "conversations": conversations,
        "tasks": tasks,
        "next_task": open_tasks[0] if open_tasks else None,
        # What the console lists: the attempts made, then the next few due.
        "attempts": [t for t in tasks if t["channel"]],
        "upcoming": open_tasks[:3],
        "deliveries": deliveries,
    }


async def list_conversations(
    session: AsyncSession, dealership_id: int, outcome: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    query = select(Conversation).where(Conversation.dealership_id == dealership_id)
    if outcome:
        query = query.where(Conversation.outcome == outcome)
    rows = await session.scalars(
        query.order_by(Conversation.created_at.desc(), Conversation.id).limit(limit).offset(offset)
    )
    return [conversation_fields(r) for r in rows]


async def conversation_detail(
    session: AsyncSession, conversation_id: str, dealership_id: int
) -> dict[str, Any] | None:
    row = await session.get(Conversation, conversation_id)
    if row is None or row.dealership_id != dealership_id:
        return None
    return {**conversation_fields(row), "messages": await _transcript(session, row.id)}
