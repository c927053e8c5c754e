"""Two dealerships (A in Chicago, B in New York) of one group, a pool covering A, their people,
and conversations written straight into the store for the history tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.operators import OperatorView, operator_view
from chat_server.store.models import (
    Conversation,
    ConversationNote,
    Dealership,
    Group,
    Message,
    Operator,
    Pool,
    PoolCoverage,
    RingRecord,
    Visitor,
)


@dataclass
class People:
    a_id: int
    b_id: int
    sales_a: OperatorView
    sales_b: OperatorView
    manager_a: OperatorView  # manages A only
    group_manager: OperatorView  # manages the group of A and B
    receptionist: OperatorView  # of the pool covering A
    admin: OperatorView


async def _operator(session: AsyncSession, name: str, role: str, **where: Any) -> OperatorView:
    row = Operator(
        email=f"{name.lower().replace(' ', '.')}@test.example",
        name=name,
        password_hash="x",
        role=role,
        **where,
    )
    session.add(row)
    await session.flush()
    return operator_view(row)


async def two_dealerships(session: AsyncSession) -> People:
    group = Group(name="Test Group")
    pool = Pool(name="Test Pool")
    session.add_all([group, pool])
    await session.flush()
    a = Dealership(
        slug="a-motors", name="A Motors", site_key="a-site", time_zone="America/Chicago",
        group_id=group.id,
    )  # fmt: skip
    b = Dealership(
        slug="b-motors", name="B Motors", site_key="b-site", time_zone="America/New_York",
        group_id=group.id,
    )  # fmt: skip
    session.add_all([a, b])
    await session.flush()
    session.add(PoolCoverage(pool_id=pool.id, dealership_id=a.id))
    return People(
        a_id=a.id,
        b_id=b.id,
        sales_a=await _operator(session, "Alex Sales", "salesperson", dealership_id=a.id),
        sales_b=await _operator(session, "Bea Sales", "salesperson", dealership_id=b.id),
        manager_a=await _operator(session, "Morgan Manager", "manager", dealership_id=a.id),
        group_manager=await _operator(
            session, "Gail Group", "manager", dealership_id=a.id, group_id=group.id
        ),
        receptionist=await _operator(session, "Riley Desk", "receptionist", pool_id=pool.id),
        admin=await _operator(session, "Ada Admin", "admin"),
    )


async def add_conversation(
    session: AsyncSession,
    dealership_id: int,
    at: datetime,
    *,
    messages: tuple[str, ...] = ("Hello",),
    contact: dict[str, Any] | None = None,
    vehicle: dict[str, Any] | None = None,
    outcome: str | None = "up",
    owner: int | None = None,
    department: str = "sales",
    visitor_id: int | None = None,
    rings: tuple[tuple[int, str, float, str], ...] = (),
    notes: tuple[tuple[int, str, float], ...] = (),
) -> str:
    """A conversation with ``messages`` (the shopper's first, then alternating with staff)."""
    if visitor_id is None:
        visitor = Visitor(
            dealership_id=dealership_id, token_hash=uuid.uuid4().hex, created_at=at,
            last_seen_at=at,
        )  # fmt: skip
        session.add(visitor)
        await session.flush()
        visitor_id = visitor.id
    conversation = Conversation(
        id=uuid.uuid4().hex,
        dealership_id=dealership_id,
        visitor_id=visitor_id,
        department=department,
        state="closed" if outcome else "connected",
        outcome=outcome,
        owner_id=owner,
        owner_tier="store" if owner else None,
        last_seq=len(messages),
        vehicle=vehicle,
        contact=contact,
        page={"url": "https://www.example.com/inventory/1", "title": "Inventory"},
        created_at=at,
        first_message_at=at,
        accepted_at=at + timedelta(seconds=6) if owner else None,
        first_human_reply_at=at + timedelta(seconds=12) if owner else None,
        closed_at=at + timedelta(minutes=5) if outcome else None,
    )
    session.add(conversation)
    await session.flush()
    for seq, body in enumerate(messages, 1):
        session.add(
            Message(
                conversation_id=conversation.id,
                seq=seq,
                author_kind="visitor" if seq % 2 else "staff",
                author_name="" if seq % 2 else "Alex Sales",
                body=body,
                created_at=at + timedelta(seconds=10 * seq),
            )
        )
    for operator_id, tier, after, reason in rings:
        session.add(
            RingRecord(
                conversation_id=conversation.id,
                operator_id=operator_id,
                tier=tier,
                offered_at=at,
                expires_at=at + timedelta(seconds=20),
                ended_at=at + timedelta(seconds=after),
                end_reason=reason,
            )
        )
    for author, body, after in notes:
        session.add(
            ConversationNote(
                conversation_id=conversation.id,
                author_id=author,
                author_name="Alex Sales",
                body=body,
                created_at=at + timedelta(seconds=after),
            )
        )
    await session.flush()
    return conversation.id
