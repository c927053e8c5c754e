"""Tenant isolation: which dealerships an operator may see, and on which side they answer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.operators import OperatorView
from chat_server.ladder.types import Tier
from chat_server.store.models import Conversation, Dealership, PoolCoverage

STORE_ROLES = ("salesperson", "manager")


async def dealerships_in_scope(session: AsyncSession, operator: OperatorView) -> list[int]:
    """Every dealership id the operator may read: their store, their group, or their pool's."""
    if operator.role == "admin":
        return list(await session.scalars(select(Dealership.id)))
    if operator.role in ("receptionist", "pool_manager"):
        # A pool manager reads what their pool's receptionists read: the covered stores.
        if operator.pool_id is None:
            return []
        return list(
            await session.scalars(
                select(PoolCoverage.dealership_id).where(PoolCoverage.pool_id == operator.pool_id)
            )
        )
    ids = [operator.dealership_id] if operator.dealership_id is not None else []
    if operator.role == "manager" and operator.group_id is not None:
        ids += list(
            await session.scalars(
                select(Dealership.id).where(Dealership.group_id == operator.group_id)
            )
        )
    return sorted(set(ids))


async def answering_tier(
    session: AsyncSession, operator: OperatorView, dealership_id: int
) -> Tier | None:
    """STORE for the dealership's own staff, POOL for a covering pool's receptionists."""
    if operator.role in STORE_ROLES:
        if dealership_id in await dealerships_in_scope(session, operator):
            return Tier.STORE
        return None
    if operator.role == "receptionist" and dealership_id in await dealerships_in_scope(
        session, operator
    ):
        return Tier.POOL
    return None


async def readable_conversation(
    session: AsyncSession, operator: OperatorView, conversation_id: str
) -> Conversation | None:
    """The conversation if the operator may read it, else None (foreign ones look missing)."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    if conversation.dealership_id not in await dealerships_in_scope(session, operator):
        return None
    return conversation


def may_see_dashboard(operator: OperatorView) -> bool:
    """Managers see their dealership's (or group's) numbers; admins see every dealership's."""
    return operator.role in ("manager", "admin")
