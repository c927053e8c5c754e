"""Reading leads and conversations for the console and the API: plain dicts, tenant-scoped.

Every function takes the dealership ids the caller may see; a lead outside them reads as
missing, never as forbidden, so ids of other tenants cannot be probed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.contact_details import display_phone
from chat_server.leads.cadence import cadence_days, step_label
from chat_server.leads.document import lead_conversation_ids
from chat_server.leads.followup import overdue
from chat_server.leads.labels import (
    CHANNEL_WORDS,
    CONTACT_TIME_WORDS,
    DEPARTMENT_WORDS,
    OUTCOME_WORDS,
    SEGMENT_WORDS,
    SERVICE_WORDS,
    STATUS_WORDS,
    delivery_words,
    local_time,
    vehicle_words,
    word,
)
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


def _lead_words(lead: Lead, time_zone: str, country: str) -> dict[str, Any]:
    """What people read in the console: plain words, the phone as dialled locally, local time."""
    return {
        "time_zone": time_zone,
        "phone_display": display_phone(lead.phone, country) if lead.phone else "",
        "status_words": word(STATUS_WORDS, lead.status),
        "service_words": word(SERVICE_WORDS, lead.service),
        "segment_words": word(SEGMENT_WORDS, lead.segment),
        "department_words": word(DEPARTMENT_WORDS, lead.department),
        "preferred_time_words": word(CONTACT_TIME_WORDS, lead.preferred_time),
        "received": local_time(lead.created_at, time_zone),
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
    words: bool = False,
) -> list[dict[str, Any]]:
    """Leads newest first, with the console's extras: dealership, outcome, next task due (on
    the dealership's clock); ``words`` adds plain words for the codes (``lead_detail``)."""
    if not dealership_ids:
        return []
    query = (
        select(
            Lead,
            Dealership.name,
            Dealership.time_zone,
            Dealership.country,
            Conversation.outcome,
            Operator.name,
        )
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
    for lead, dealership_name, time_zone, country, outcome, owner in rows:
        due = next_due.get(lead.id)
        row = {
            **_lead_fields(lead, owner),
            "dealership": dealership_name,
            "outcome": outcome,
            "received": local_time(lead.created_at, time_zone),
            "next_due": _iso(due),
            "next_due_label": local_time(due, time_zone),
            "overdue": bool(due and now and overdue(due, None, now)),
        }
        if words:
            row.update(_lead_words(lead, time_zone, country))
            row["outcome_words"] = word(OUTCOME_WORDS, outcome)
        leads.append(row)
    return leads


async def scoped_lead(
    session: AsyncSession, lead_id: int, dealership_ids: list[int]
) -> Lead | None:
    lead = await session.get(Lead, lead_id)
    if lead is None or lead.dealership_id not in dealership_ids:
        return None
    return lead


async def lead_detail(
    session: AsyncSession,
    lead_id: int,
    dealership_ids: list[int],
    now: datetime,
    *,
    words: bool = False,
) -> dict[str, Any] | None:
    """One lead with every merged conversation's transcript, its tasks (who made each attempt)
    and its delivery log; times labelled on the dealership's clock.

    ``words`` adds what the console shows people: plain words for every code, the phone as
    dialled locally, each send's honest state (a lead only logged is not "delivered").
    """
    lead = await scoped_lead(session, lead_id, dealership_ids)
    if lead is None:
        return None
    owner = await session.get(Operator, lead.owner_id) if lead.owner_id else None
    dealership = await session.get_one(Dealership, lead.dealership_id)
    zone = dealership.time_zone
    conversations = []
    consent: bool | None = None
    for cid in await lead_conversation_ids(session, lead):
        row = await session.get_one(Conversation, cid)
        if row.contact is not None:  # the latest contact form the shopper sent decides
            consent = bool(row.contact.get("consent"))
        conversation = {**conversation_fields(row), "messages": await _transcript(session, cid)}
        if words:
            conversation["created_label"] = local_time(row.created_at, zone)
            conversation["outcome_words"] = word(OUTCOME_WORDS, row.outcome)
            conversation["vehicle_words"] = vehicle_words(row.vehicle)
            for message in conversation["messages"]:
                message["at_label"] = local_time(_parse(message["at"]), zone)
        conversations.append(conversation)
    days = cadence_days(dealership.cadence_days)
    task_rows = (
        await session.execute(
            select(LeadTask, Operator.name)
            .outerjoin(Operator, Operator.id == LeadTask.operator_id)
            .where(LeadTask.lead_id == lead.id)
            .order_by(LeadTask.step)
        )
    ).all()
    tasks = [
        {
            "id": t.id,
            "step": t.step,
            "step_label": step_label(t.step, days),
            "due_at": _iso(t.due_at),
            "done_at": _iso(t.done_at),
            "due_label": local_time(t.due_at, zone),
            "done_label": local_time(t.done_at, zone),
            "channel": t.channel,
            "note": t.note,
            "operator_id": t.operator_id,
            "operator": operator_name,
            "overdue": overdue(t.due_at, t.done_at, now),
        }
        for t, operator_name in task_rows
    ]
    if words:
        for task in tasks:
            task["channel_words"] = word(CHANNEL_WORDS, task["channel"])
    deliveries = []
    for d in await session.scalars(
        select(LeadDelivery)
        .where(LeadDelivery.lead_id == lead.id)
        .order_by(LeadDelivery.created_at, LeadDelivery.id)
    ):
        delivery = {
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
        if words:
            delivery["words"] = delivery_words(
                channel=d.channel,
                target=d.target,
                state=d.state,
                attempts=d.attempts,
                last_error=d.last_error,
                next_attempt_at=d.next_attempt_at if d.state == "pending" else None,
                delivered_at=d.delivered_at,
                time_zone=zone,
            )
            delivery["created_label"] = local_time(d.created_at, zone)
        deliveries.append(delivery)
    open_tasks = [t for t in tasks if t["done_at"] is None]
    detail = {
        **_lead_fields(lead, owner.name if owner else None),
        "dealership": dealership.name,
        "dealership_id": dealership.id,
        "consent": consent,
        "conversations": conversations,
        "tasks": tasks,
        "next_task": open_tasks[0] if open_tasks else None,
        # What the console lists: the attempts made, then the next few due.
        "attempts": [t for t in tasks if t["channel"]],
        "upcoming": open_tasks[:3],
        "deliveries": deliveries,
    }
    if words:
        detail.update(_lead_words(lead, zone, dealership.country))
    return detail


def _parse(at: str | None) -> datetime | None:
    return datetime.fromisoformat(at) if at else None


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
