"""Who could be rung right now for a dealership: the ladder's ``Roster``, read from the store.

Only operators on shift are listed (accounts/shifts.py). The store's staff are listed whether
or not the store is open: outside hours the ladder decides, per dealership, whether to ring
them before the pool (``LadderConfig.after_hours_store_first``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.shifts import STORE_RINGABLE_ROLES, on_shift
from chat_server.ladder.types import Roster, Tier
from chat_server.store.models import Conversation, Operator, PoolCoverage
from chat_server.store.records import DealershipView


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
