"""The Conversations list: what a person may see, filtered, newest first, a page at a time.

Scope comes from accounts/access.py (the same rule as the leads list and the dashboard): a
salesperson's dealership, a manager's dealership or group, the dealerships a receptionist's
or pool manager's pool covers, every dealership for the platform admin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.access import dealerships_in_scope
from chat_server.accounts.operators import OperatorView
from chat_server.contact_details import display_phone
from chat_server.history.filters import Filters, conditions
from chat_server.history.labels import (
    DEPARTMENTS,
    duration_label,
    local_time,
    outcome_key,
    outcome_label,
    seconds_between,
    shopper_name,
    vehicle_label,
)
from chat_server.store.models import Conversation, Dealership, Operator, PoolCoverage, Visitor

PER_PAGE = 50
MAX_EXPORT_ROWS = 50_000


@dataclass(frozen=True)
class Place:
    """A dealership the person may see."""

    id: int
    name: str
    slug: str
    time_zone: str
    country: str


@dataclass(frozen=True)
class Row:
    """One conversation of the list, ready to show (times local, labels in words)."""

    id: str
    dealership: str
    at: datetime
    when: str  # local time
    shopper: str  # "" when the shopper gave no name
    visitor_id: int
    phone: str  # as people read it
    email: str
    outcome: str  # the filter's key: up, pool, missed, abandoned, open
    outcome_label: str
    answered_by: str
    department: str
    vehicle: str
    first_human_s: float | None

    @property
    def first_human(self) -> str:
        return duration_label(self.first_human_s)


@dataclass(frozen=True)
class ListPage:
    rows: list[Row]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


async def places_for(session: AsyncSession, operator: OperatorView) -> list[Place]:
    """The dealerships ``operator`` may see, by name."""
    ids = await dealerships_in_scope(session, operator)
    if not ids:
        return []
    rows = await session.execute(
        select(
            Dealership.id,
            Dealership.name,
            Dealership.slug,
            Dealership.time_zone,
            Dealership.country,
        )
        .where(Dealership.id.in_(ids))
        .order_by(Dealership.name)
    )
    return [Place(*row) for row in rows.all()]


async def answerers(session: AsyncSession, places: Sequence[Place]) -> list[tuple[int, str]]:
    """Who may have answered in these dealerships: their staff and their pools' receptionists."""
    ids = [p.id for p in places]
    if not ids:
        return []
    pools = select(PoolCoverage.pool_id).where(PoolCoverage.dealership_id.in_(ids))
    rows = await session.execute(
        select(Operator.id, Operator.name)
        .where(
            or_(
                Operator.dealership_id.in_(ids) & Operator.role.in_(("salesperson", "manager")),
                Operator.pool_id.in_(pools) & (Operator.role == "receptionist"),
            )
        )
        .order_by(Operator.name)
    )
    return [(i, n) for i, n in rows.all()]


_COLUMNS = (
    Conversation.id,
    Conversation.visitor_id,
    Conversation.department,
    Conversation.state,
    Conversation.outcome,
    Conversation.first_message_at,
    Conversation.first_human_reply_at,
    Conversation.contact,
    Conversation.vehicle,
    Visitor.name.label("visitor_name"),
    Visitor.email.label("visitor_email"),
    Visitor.phone.label("visitor_phone"),
    Operator.name.label("owner_name"),
    Dealership.name.label("dealership_name"),
    Dealership.time_zone,
    Dealership.country,
)


def _row(r: Any) -> Row:
    contact = r.contact or {}
    phone = str(contact.get("phone") or r.visitor_phone or "")
    return Row(
        id=r.id,
        dealership=r.dealership_name,
        at=r.first_message_at,
        when=local_time(r.first_message_at, ZoneInfo(r.time_zone)),
        shopper=shopper_name(contact, r.visitor_name),
        visitor_id=r.visitor_id,
        phone=display_phone(phone, r.country) if phone else "",
        email=str(contact.get("email") or r.visitor_email or ""),
        outcome=outcome_key(r.state, r.outcome),
        outcome_label=outcome_label(r.state, r.outcome),
        answered_by=r.owner_name or "",
        department=DEPARTMENTS.get(r.department, r.department),
        vehicle=vehicle_label(r.vehicle),
        first_human_s=seconds_between(r.first_human_reply_at, r.first_message_at),
    )


def _where(places: Sequence[Place], filters: Filters, dialect: str) -> list[Any]:
    zones = {p.id: p.time_zone for p in places}
    chosen = next((p for p in places if p.id == filters.dealership), None)
    region = (chosen or (places[0] if places else None) or Place(0, "", "", "UTC", "US")).country
    return list(conditions(filters, zones, dialect, region))


def _listing(places: Sequence[Place], filters: Filters, dialect: str) -> Any:
    return (
        select(*_COLUMNS)
        .join(Visitor, Visitor.id == Conversation.visitor_id)
        .join(Dealership, Dealership.id == Conversation.dealership_id)
        .outerjoin(Operator, Operator.id == Conversation.owner_id)
        .where(*_where(places, filters, dialect))
        .order_by(Conversation.first_message_at.desc(), Conversation.id.desc())
    )


async def list_conversations(
    session: AsyncSession,
    places: Sequence[Place],
    filters: Filters,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ListPage:
    """One page of the conversations in ``places`` that match ``filters``, newest first."""
    dialect = session.get_bind().dialect.name
    total = await session.scalar(
        select(func.count()).select_from(Conversation).where(*_where(places, filters, dialect))
    )
    page = max(1, page)
    rows = await session.execute(
        _listing(places, filters, dialect).offset((page - 1) * per_page).limit(per_page)
    )
    return ListPage([_row(r) for r in rows.all()], int(total or 0), page, per_page)


async def export_rows(
    session: AsyncSession, places: Sequence[Place], filters: Filters
) -> list[Row]:
    """Every conversation matching ``filters`` (up to ``MAX_EXPORT_ROWS``), newest first."""
    dialect = session.get_bind().dialect.name
    rows = await session.execute(_listing(places, filters, dialect).limit(MAX_EXPORT_ROWS))
    return [_row(r) for r in rows.all()]
