"""A seeded month of chats with known outcomes and timings, written straight into the store."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.store.models import Conversation, Dealership, Lead, Operator, RingRecord, Visitor


async def ids_by_email(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Operator.email, Operator.id))
    return {email: i for email, i in rows.all()}


async def add_chat(
    session: AsyncSession,
    dealership_id: int,
    at: datetime,
    *,
    outcome: str | None,
    owner: int | None = None,
    tier: str | None = None,
    accepted: float | None = None,
    reply: float | None = None,
    pool: float | None = None,
    rings: tuple[tuple[int, str, float, str | None], ...] = (),
    lead_status: str | None = None,
    name: str = "",
) -> str:
    def later(seconds: float | None) -> datetime | None:
        return None if seconds is None else at + timedelta(seconds=seconds)

    visitor = Visitor(
        dealership_id=dealership_id,
        token_hash=uuid.uuid4().hex,
        created_at=at,
        last_seen_at=at,
        name=name,
    )
    session.add(visitor)
    await session.flush()
    conversation = Conversation(
        id=uuid.uuid4().hex,
        dealership_id=dealership_id,
        visitor_id=visitor.id,
        state="closed" if outcome else "ringing_store",
        outcome=outcome,
        owner_id=owner,
        owner_tier=tier,
        created_at=at,
        first_message_at=at,
        store_rung_at=at,
        pool_rung_at=later(pool),
        accepted_at=later(accepted),
        first_human_reply_at=later(reply),
        closed_at=later(120) if outcome else None,
        contact={"name": name} if name else None,
    )
    session.add(conversation)
    await session.flush()
    for operator_id, ring_tier, after, reason in rings:
        session.add(
            RingRecord(
                conversation_id=conversation.id,
                operator_id=operator_id,
                tier=ring_tier,
                offered_at=at,
                expires_at=at + timedelta(seconds=30),
                ended_at=later(after) if reason else None,
                end_reason=reason,
            )
        )
    if lead_status is not None:
        session.add(
            Lead(
                conversation_id=conversation.id,
                dealership_id=dealership_id,
                visitor_id=visitor.id,
                service="pool" if outcome == "pool" else "unanswered",
                status=lead_status,
                name=name,
                created_at=later(120),
            )
        )
    return conversation.id


async def seed_month(session: AsyncSession, slug: str, now: datetime) -> None:
    """Six chats in the last hour plus one 40 days ago (outside every period)."""
    dealership = await session.scalar(select(Dealership).where(Dealership.slug == slug))
    assert dealership is not None
    ids = await ids_by_email(session)
    alex, sam = ids["alex@demo-motors.test"], ids["sam@demo-motors.test"]
    riley = ids["riley@nightowl-bdc.test"]
    d = dealership.id
    base = now - timedelta(minutes=50)
    await add_chat(
        session, d, base, outcome="up", owner=alex, tier="store", accepted=6, reply=10,
        rings=((alex, "store", 6, "accepted"), (sam, "store", 6, "taken")),
    )  # fmt: skip
    await add_chat(
        session, d, base + timedelta(minutes=5), outcome="up", owner=sam, tier="store",
        accepted=15, reply=20,
        rings=((alex, "store", 15, "taken"), (sam, "store", 15, "accepted")),
    )  # fmt: skip
    await add_chat(
        session, d, base + timedelta(minutes=10), outcome="pool", owner=riley, tier="pool",
        pool=20, accepted=30, reply=40, lead_status="contacted", name="Pat Pool",
        rings=((alex, "store", 20, "timeout"), (sam, "store", 20, "timeout"),
               (riley, "pool", 10, "accepted")),
    )  # fmt: skip
    await add_chat(
        session, d, base + timedelta(minutes=15), outcome="missed", pool=20, lead_status="new",
        name="Mo Missed",
        rings=((alex, "store", 20, "timeout"), (sam, "store", 20, "timeout")),
    )  # fmt: skip
    await add_chat(session, d, base + timedelta(minutes=20), outcome="abandoned")
    await add_chat(
        session, d, base + timedelta(minutes=25), outcome="up", owner=alex, tier="store",
        accepted=5, reply=90, rings=((alex, "store", 5, "accepted"),),
    )  # fmt: skip
    await add_chat(session, d, base + timedelta(minutes=49), outcome=None, name="Wendy Waiting")
    await add_chat(
        session, d, now - timedelta(days=40), outcome="up", owner=alex, tier="store",
        accepted=1, reply=1, rings=((alex, "store", 1, "accepted"),),
    )  # fmt: skip
