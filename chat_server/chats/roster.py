"""Who could be rung right now for a dealership: the ladder's ``Roster``, read from the store.

An operator is **on shift** when they chose "available", some channel can ring them (an open
console, whose heartbeat is ``online_until``, a phone with a Web Push subscription, or a
verified mobile number when a text provider is configured), and
their optional end of shift has not passed. The store's staff are listed whether or not the
store is open: outside hours the ladder decides, per dealership, whether to ring them before
the pool (``LadderConfig.after_hours_store_first``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.ladder.types import Roster, Tier
from chat_server.store.models import Conversation, Operator, PoolCoverage, PushSubscription
from chat_server.store.records import DealershipView

STORE_RINGABLE_ROLES = ("salesperson",)


def reachable_without_console(texts: bool) -> ColumnElement[bool]:
    """A channel other than an open console: a phone with Web Push, or (when a text provider
    is configured) a verified mobile number."""
    has_phone = exists().where(PushSubscription.operator_id == Operator.id)
    if not texts:
        return has_phone
    return or_(has_phone, Operator.mobile_verified_at.is_not(None))


def on_shift(at: datetime, texts: bool = False) -> ColumnElement[bool]:
    """The SQL condition "this operator can be rung at ``at``" (see the module docstring);
    ``texts``: a text provider is configured, so a verified mobile number is a channel."""
    return and_(
        Operator.presence == "available",
        or_(Operator.online_until > at, reachable_without_console(texts)),
        or_(Operator.shift_ends_at.is_(None), Operator.shift_ends_at > at),
    )


async def _open_load(session: AsyncSession, operator_ids: list[int]) -> dict[int, int]:
    if not operator_ids:
        return {}
    rows = await session.execute(
        select(Conversation.owner_id, func.count())
        .where(Conversation.owner_id.in_(operator_ids), Conversation.state == "connected")
        .group_by(Conversation.owner_id)
    )
    return {owner: count for owner, count in rows.all()}


async def _available(session: AsyncSession, query: object) -> tuple[int, ...]:
    operators = list(await session.scalars(query))  # type: ignore[call-overload]
    load = await _open_load(session, [o.id for o in operators])
    return tuple(o.id for o in operators if load.get(o.id, 0) < o.capacity)


async def sticky_operator(
    session: AsyncSession, visitor_id: int, conversation_id: str
) -> int | None:
    """The salesperson who last answered this shopper as an Up, if any."""
    return await session.scalar(
        select(Conversation.owner_id)
        .where(
            Conversation.visitor_id == visitor_id,
            Conversation.id != conversation_id,
            Conversation.owner_tier == Tier.STORE.value,
            Conversation.owner_id.is_not(None),
        )
        .order_by(Conversation.accepted_at.desc())
        .limit(1)
    )


async def build_roster(
    session: AsyncSession,
    dealership: DealershipView,
    *,
    department: str,
    visitor_id: int,
    conversation_id: str,
    at: datetime,
    texts: bool = False,
) -> Roster:
    store_open = dealership.is_open(department, at)
    store = await _available(
        session,
        select(Operator)
        .where(
            Operator.dealership_id == dealership.id,
            Operator.role.in_(STORE_RINGABLE_ROLES),
            on_shift(at, texts),
        )
        # Least recently rung first: round-robin fairness across conversations.
        .order_by(Operator.last_rung_at.asc().nulls_first(), Operator.id),
    )
    pool = await _available(
        session,
        select(Operator)
        .join(PoolCoverage, PoolCoverage.pool_id == Operator.pool_id)
        .where(
            PoolCoverage.dealership_id == dealership.id,
            Operator.role == "receptionist",
            on_shift(at, texts),
        )
        .order_by(Operator.last_rung_at.asc().nulls_first(), Operator.id),
    )
    sticky = await sticky_operator(session, visitor_id, conversation_id) if store else None
    return Roster(
        store_open=store_open,
        store=store,
        pool=pool,
        sticky=sticky if sticky in store else None,
    )
