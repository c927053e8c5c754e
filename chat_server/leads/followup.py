"""Follow-up on a lead: cadence tasks, attempts logged against them, status and owner changes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.ladder.hours import (
    WeekHours,
    dated_for,
    department_open,
    next_opening,
    parse_dated,
    parse_week,
)
from chat_server.leads.cadence import cadence_days, due_times
from chat_server.leads.rules import STATUSES
from chat_server.store.models import Dealership, Lead, LeadTask, Operator

CHANNELS = ("call", "text", "email")


class FollowUpError(ValueError):
    """A status, channel or owner that cannot be applied; the message says why."""


async def schedule_tasks(session: AsyncSession, lead: Lead, dealership: Dealership) -> None:
    """The lead's cadence as task rows: step 0 due within 5 minutes of opening, then by day."""
    raw = (dealership.hours or {}).get(lead.department)
    dated = parse_dated(dealership.dated_hours or ())  # holidays and special hours count too
    week = parse_week(raw) if raw is not None else None

    def is_open(at: datetime) -> bool:
        return department_open(
            dealership.hours or {}, lead.department, dealership.time_zone, at, dated=dated
        )

    def opening(at: datetime) -> datetime | None:
        if week is None and not dated_for(dated, lead.department):
            return None
        return next_opening(
            week or WeekHours(((),) * 7),
            dealership.time_zone,
            at,
            dated=dated,
            department=lead.department,
        )

    days = cadence_days(dealership.cadence_days)
    for step, due in enumerate(due_times(lead.created_at, days, is_open, opening)):
        session.add(LeadTask(lead_id=lead.id, step=step, due_at=due, channel="", note=""))


async def log_attempt(
    session: AsyncSession,
    lead: Lead,
    operator_id: int | None,
    channel: str,
    note: str,
    at: datetime,
) -> None:
    """Record a call, text or e-mail: it completes the earliest open task, and a new lead
    becomes contacted. An attempt with no open task left is still logged, as an extra step."""
    if channel not in CHANNELS:
        raise FollowUpError(f"channel must be one of {', '.join(CHANNELS)}")
    task = await session.scalar(
        select(LeadTask)
        .where(LeadTask.lead_id == lead.id, LeadTask.done_at.is_(None))
        .order_by(LeadTask.due_at, LeadTask.step)
        .limit(1)
    )
    if task is None:
        last = await session.scalar(
            select(LeadTask.step)
            .where(LeadTask.lead_id == lead.id)
            .order_by(LeadTask.step.desc())
            .limit(1)
        )
        task = LeadTask(lead_id=lead.id, step=(last or 0) + 1, due_at=at, channel="", note="")
        session.add(task)
    task.done_at = at
    task.channel = channel
    task.note = note[:1000]
    task.operator_id = operator_id
    if lead.status == "new":
        lead.status = "contacted"
    lead.updated_at = at


async def set_status(
    session: AsyncSession, lead: Lead, status: str, reason: str, at: datetime
) -> None:
    """Move a lead to a status; "lost" needs a reason. Closing one ends its open tasks."""
    if status not in STATUSES:
        raise FollowUpError(f"status must be one of {', '.join(STATUSES)}")
    reason = " ".join(reason.split())[:300]
    if status == "lost" and not reason:
        raise FollowUpError("say why the lead was lost")
    lead.status = status
    lead.status_reason = reason if status == "lost" else ""
    lead.updated_at = at
    if status == "sold":
        lead.segment = "customer"
    if status in ("sold", "lost"):
        # Nobody should be reminded to call a closed lead.
        await session.execute(
            update(LeadTask)
            .where(LeadTask.lead_id == lead.id, LeadTask.done_at.is_(None))
            .values(done_at=at, note="closed with the lead")
        )


async def set_owner(
    session: AsyncSession, lead: Lead, operator_id: int | None, at: datetime
) -> None:
    if operator_id is not None:
        operator = await session.get(Operator, operator_id)
        if operator is None or operator.dealership_id != lead.dealership_id:
            raise FollowUpError("the owner must work at the lead's dealership")
    lead.owner_id = operator_id
    lead.updated_at = at


def overdue(due_at: datetime, done_at: datetime | None, now: datetime) -> bool:
    return done_at is None and due_at < now


UNTOUCHED_AFTER = timedelta(minutes=30)
