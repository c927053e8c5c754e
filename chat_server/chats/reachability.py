"""Whether the ladder will ring an operator now, and if not why: what their console says.

A salesperson who is Available but will not be rung must be told so plainly, not left to
wait for a ring that never comes: outside sales hours when their dealership rings only the
pool, or (once the console tab is closed) when no phone of theirs takes rings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.shifts import STORE_RINGABLE_ROLES
from chat_server.store.models import Dealership, Operator, PushSubscription
from chat_server.store.records import dealership_view


@dataclass(frozen=True)
class Reach:
    """``rung``: whether a chat arriving now would ring them. ``reason`` says why (or why
    not): on_shift, not_available, closed_pool_only (outside sales hours this dealership
    rings only the pool), not_rung (their role answers no rings). ``phones``: how many
    devices take Web Push rings, so the console can warn that closing the tab ends rings.
    ``until``: the end of their shift, if they set one. ``texts``: a verified mobile takes
    ring texts (with a text provider configured), another channel besides the console."""

    rung: bool
    reason: str
    phones: int
    until: datetime | None = None
    texts: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "rung": self.rung,
            "reason": self.reason,
            "phones": self.phones,
            "until": self.until.isoformat() if self.until else None,
            "texts": self.texts,
        }


def reach_of(
    *,
    role: str,
    presence: str,
    phones: int,
    store_open: bool | None,
    after_hours_store_first: bool,
) -> Reach:
    """Pure: ``store_open`` is None for operators who answer for no store (receptionists)."""
    if role not in (*STORE_RINGABLE_ROLES, "receptionist"):
        return Reach(False, "not_rung", phones)
    if presence != "available":
        return Reach(False, "not_available", phones)
    if store_open is False and not after_hours_store_first:
        return Reach(False, "closed_pool_only", phones)
    return Reach(True, "on_shift", phones)


async def reach_now(
    session: AsyncSession, operator_id: int, at: datetime, texts: bool = False
) -> Reach | None:
    """``texts``: a text provider is configured (so a verified mobile is a channel)."""
    operator = await session.get(Operator, operator_id)
    if operator is None:
        return None
    phones = await session.scalar(
        select(func.count()).select_from(PushSubscription).where(
            PushSubscription.operator_id == operator_id
        )
    )
    store_open: bool | None = None
    after_hours_store_first = True
    if operator.role in STORE_RINGABLE_ROLES and operator.dealership_id is not None:
        dealership = dealership_view(await session.get_one(Dealership, operator.dealership_id))
        store_open = dealership.is_open("sales", at)
        after_hours_store_first = dealership.config.after_hours_store_first
    reach = reach_of(
        role=operator.role,
        presence=operator.presence,
        phones=int(phones or 0),
        store_open=store_open,
        after_hours_store_first=after_hours_store_first,
    )
    texted = texts and operator.mobile_verified_at is not None
    return replace(reach, until=operator.shift_ends_at, texts=texted)
