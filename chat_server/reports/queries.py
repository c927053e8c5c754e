"""Read the plain records the dashboard statistics need, for one dealership and one period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.shifts import STORE_RINGABLE_ROLES, on_shift
from chat_server.reports.periods import Period
from chat_server.reports.stats import ChatFact, Dashboard, RingFact, build_dashboard
from chat_server.store.models import (
    Conversation,
    Lead,
    Operator,
    PoolCoverage,
    PushSubscription,
    RingRecord,
)

WAITING_STATES = ("ringing_store", "ringing_pool", "lead_capture")


@dataclass(frozen=True)
class WaitingChat:
    id: str
    state: str
    first_message_at: datetime
    waited_s: float
    visitor_name: str


async def chat_facts(session: AsyncSession, dealership_id: int, period: Period) -> list[ChatFact]:
    rows = await session.scalars(
        select(Conversation)
        .where(
            Conversation.dealership_id == dealership_id,
            Conversation.first_message_at >= period.start,
            Conversation.first_message_at < period.end,
        )
        .order_by(Conversation.first_message_at)
    )
    return [
        ChatFact(
            id=c.id,
            state=c.state,
            outcome=c.outcome,
            owner_id=c.owner_id,
            owner_tier=c.owner_tier,
            first_message_at=c.first_message_at,
            pool_rung_at=c.pool_rung_at,
            accepted_at=c.accepted_at,
            first_human_reply_at=c.first_human_reply_at,
        )
        for c in rows
    ]


async def ring_facts(session: AsyncSession, dealership_id: int, period: Period) -> list[RingFact]:
    rows = await session.execute(
        select(RingRecord)
        .join(Conversation, Conversation.id == RingRecord.conversation_id)
        .where(
            Conversation.dealership_id == dealership_id,
            RingRecord.offered_at >= period.start,
            RingRecord.offered_at < period.end,
        )
    )
    return [
        RingFact(r.operator_id, r.tier, r.offered_at, r.ended_at, r.end_reason)
        for r in rows.scalars()
    ]


async def load_dashboard(session: AsyncSession, dealership_id: int, period: Period) -> Dashboard:
    chats = await chat_facts(session, dealership_id, period)
    rings = await ring_facts(session, dealership_id, period)
    statuses = list(
        await session.scalars(
            select(Lead.status).where(
                Lead.dealership_id == dealership_id,
                Lead.created_at >= period.start,
                Lead.created_at < period.end,
            )
        )
    )
    staff = list(
        await session.execute(
            select(Operator.id, Operator.name).where(
                Operator.dealership_id == dealership_id, Operator.role == "salesperson"
            )
        )
    )
    pool_staff = list(
        await session.execute(
            select(Operator.id, Operator.name)
            .join(PoolCoverage, PoolCoverage.pool_id == Operator.pool_id)
            .where(PoolCoverage.dealership_id == dealership_id, Operator.role == "receptionist")
        )
    )
    names = {i: n for i, n in [*staff, *pool_staff]}
    # Anyone rung who has since moved on still gets a name.
    missing = {r.operator_id for r in rings} - set(names)
    if missing:
        extra = await session.execute(
            select(Operator.id, Operator.name).where(Operator.id.in_(missing))
        )
        names |= {i: n for i, n in extra}
    return build_dashboard(
        chats,
        rings,
        statuses,
        names=names,
        salespeople=[i for i, _ in staff],
        receptionists=[i for i, _ in pool_staff],
    )


async def waiting_chats(
    session: AsyncSession, dealership_id: int, now: datetime
) -> list[WaitingChat]:
    """Chats waiting for a person right now, longest wait first."""
    rows = await session.scalars(
        select(Conversation)
        .where(
            Conversation.dealership_id == dealership_id,
            Conversation.state.in_(WAITING_STATES),
        )
        .order_by(Conversation.first_message_at)
    )
    return [
        WaitingChat(
            id=c.id,
            state=c.state,
            first_message_at=c.first_message_at,
            waited_s=max(0.0, (now - c.first_message_at).total_seconds()),
            visitor_name=(c.contact or {}).get("name", ""),
        )
        for c in rows
    ]


@dataclass(frozen=True)
class TeamMember:
    """Who on a dealership's team can be rung now, and by what."""

    name: str
    role: str
    presence: str
    console_open: bool
    phones: int
    shift_ends_at: datetime | None
    on_shift: bool


async def team_reach(
    session: AsyncSession, dealership_id: int, now: datetime, texts: bool = False
) -> list[TeamMember]:
    """The dealership's salespeople and managers: status, channels, and whether on shift by the
    roster's own rule (accounts/shifts.py; ``texts``: a text provider is configured)."""
    phones = (
        select(PushSubscription.operator_id, func.count().label("n"))
        .group_by(PushSubscription.operator_id)
        .subquery()
    )
    rung = and_(Operator.role.in_(STORE_RINGABLE_ROLES), on_shift(now, texts))
    rows = await session.execute(
        select(Operator, func.coalesce(phones.c.n, 0), rung)
        .outerjoin(phones, phones.c.operator_id == Operator.id)
        .where(Operator.dealership_id == dealership_id, Operator.role != "receptionist")
        .order_by(Operator.name)
    )
    return [
        TeamMember(
            operator.name,
            operator.role,
            operator.presence,
            operator.online_until is not None and operator.online_until > now,
            int(n),
            operator.shift_ends_at,
            bool(on),
        )
        for operator, n, on in rows.all()
    ]
