"""Who owns a new lead: the shopper's previous salesperson, else the next in round-robin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.store.models import Conversation, Lead, Operator

STORE_ROLES = ("salesperson", "manager")


def pick_round_robin(
    salespeople: Sequence[int], last_assigned: Mapping[int, datetime]
) -> int | None:
    """The salesperson who was given a lead longest ago (never comes first; ties by id)."""
    if not salespeople:
        return None
    return min(
        salespeople,
        key=lambda op: (op in last_assigned, last_assigned.get(op, datetime.min), op),
    )


async def _sticky(
    session: AsyncSession, dealership_id: int, visitor_id: int, conversation_id: str
) -> int | None:
    row = await session.scalar(
        select(Conversation.owner_id)
        .join(Operator, Operator.id == Conversation.owner_id)
        .where(
            Conversation.visitor_id == visitor_id,
            Conversation.dealership_id == dealership_id,
            Conversation.owner_tier == "store",
            Operator.dealership_id == dealership_id,
            Operator.role.in_(STORE_ROLES),
        )
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )
    return row


async def choose_owner(
    session: AsyncSession, dealership_id: int, visitor_id: int, conversation_id: str
) -> int | None:
    """Sticky to the salesperson who answered this shopper (this chat, for a logged Up, or an
    earlier one), else round-robin."""
    sticky = await _sticky(session, dealership_id, visitor_id, conversation_id)
    if sticky is not None:
        return sticky
    salespeople = list(
        await session.scalars(
            select(Operator.id).where(
                Operator.dealership_id == dealership_id, Operator.role == "salesperson"
            )
        )
    )
    if not salespeople:
        return None
    rows = await session.execute(
        select(Lead.owner_id, func.max(Lead.created_at))
        .where(Lead.owner_id.in_(salespeople))
        .group_by(Lead.owner_id)
    )
    return pick_round_robin(salespeople, {op: at for op, at in rows.all() if op is not None})
