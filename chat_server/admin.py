"""Raw writes for seeding a world: the demo (``dealer-chat demo``), the tests and the bench.

They write no audit entries and allow what the settings pages refuse (ladder windows of a
fraction of a second, for tests), but share the pages' rules for time zones, origins and the
widget's look. Everything an operator changes goes through ``chat_server.administration``
(the console's settings pages and ``dealer-chat admin``); ``create-operator`` and ``list``
are the only admin commands still here.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.passwords import hash_password
from chat_server.administration import platform
from chat_server.administration.errors import SettingsError
from chat_server.administration.widget_settings import normalise_origin
from chat_server.ladder.hours import ALWAYS_OPEN, parse_week
from chat_server.ladder.types import Strategy
from chat_server.store.models import Dealership, Operator, Pool, PoolCoverage
from chat_server.widget_theme import ThemeError, check_theme

ROLES = ("salesperson", "manager", "receptionist", "pool_manager", "admin")
DEPARTMENTS = ("sales", "service", "parts")
DEFAULT_CAPACITY = {
    "salesperson": 3,
    "manager": 3,
    "receptionist": 8,
    "pool_manager": 0,
    "admin": 0,
}
LADDER_FIELDS = (
    "sticky_s",
    "store_window_s",
    "pool_window_s",
    "round_robin_step_s",
    "grace_s",
    "capture_window_s",
    "text_after_s",
)


class AdminError(ValueError):
    """Bad input to an admin action; the message says what to fix."""


def check_time_zone(name: str) -> str:
    """The settings pages' rule (administration.platform), as an AdminError."""
    try:
        return platform.check_time_zone(name)
    except SettingsError as error:
        raise AdminError(str(error)) from None


def check_hours(hours: dict[str, Any]) -> dict[str, Any]:
    unknown = set(hours) - set(DEPARTMENTS)
    if unknown:
        raise AdminError(f"unknown department(s) {sorted(unknown)}; use {', '.join(DEPARTMENTS)}")
    for department, week in hours.items():
        try:
            parse_week(week)
        except ValueError as error:
            raise AdminError(f"{department} hours: {error}") from None
    return hours


async def dealership_by_slug(session: AsyncSession, slug: str) -> Dealership:
    row = await session.scalar(select(Dealership).where(Dealership.slug == slug))
    if row is None:
        raise AdminError(f"no dealership with slug {slug!r}")
    return row


async def pool_by_name(session: AsyncSession, name: str) -> Pool:
    row = await session.scalar(select(Pool).where(Pool.name == name))
    if row is None:
        raise AdminError(f"no pool named {name!r}")
    return row


async def create_dealership(
    session: AsyncSession,
    *,
    slug: str,
    name: str,
    time_zone: str,
    origins: list[str],
    hours: dict[str, Any] | None = None,
    site_key: str | None = None,
    crm_email: str = "",
    greeting: str | None = None,
) -> Dealership:
    if await session.scalar(select(Dealership.id).where(Dealership.slug == slug)):
        raise AdminError(f"a dealership with slug {slug!r} already exists")
    row = Dealership(
        slug=slug,
        name=name,
        time_zone=check_time_zone(time_zone),
        allowed_origins=[o.rstrip("/") for o in origins],
        hours=check_hours(hours if hours is not None else {d: ALWAYS_OPEN for d in DEPARTMENTS}),
        site_key=site_key or secrets.token_urlsafe(18),
        crm_email=crm_email,
    )
    if greeting:
        row.greeting = greeting
    session.add(row)
    await session.flush()
    return row


async def set_hours(
    session: AsyncSession, slug: str, department: str, week: dict[str, Any]
) -> None:
    if department not in DEPARTMENTS:
        raise AdminError(f"unknown department {department!r}; use {', '.join(DEPARTMENTS)}")
    row = await dealership_by_slug(session, slug)
    check_hours({department: week})
    row.hours = {**(row.hours or {}), department: week}


async def set_ladder(
    session: AsyncSession,
    slug: str,
    strategy: str | None = None,
    after_hours_store_first: bool | None = None,
    **timings: float | None,
) -> None:
    row = await dealership_by_slug(session, slug)
    if after_hours_store_first is not None:
        row.after_hours_store_first = after_hours_store_first
    if strategy is not None:
        try:
            row.ring_strategy = Strategy(strategy).value
        except ValueError:
            raise AdminError("strategy must be ring_all or round_robin") from None
    for name, value in timings.items():
        if name not in LADDER_FIELDS:
            raise AdminError(f"unknown ladder timing {name}")
        if value is None:
            continue
        if not 0 <= value <= 86400:
            raise AdminError(f"{name} must be between 0 and 86400 seconds, got {value}")
        setattr(row, name, float(value))


async def allow_origin(session: AsyncSession, slug: str, origin: str) -> None:
    """Let the widget run on one more website: the widget page's origin rule
    (administration.widget_settings), without an audit entry (seeding and tests)."""
    row = await dealership_by_slug(session, slug)
    try:
        origin = normalise_origin(origin)
    except SettingsError as error:
        raise AdminError(str(error)) from None
    if origin not in (row.allowed_origins or []):
        row.allowed_origins = [*(row.allowed_origins or []), origin]


async def set_theme(
    session: AsyncSession,
    slug: str,
    *,
    color: str | None = None,
    logo_url: str | None = None,
    position: str | None = None,
    language: str | None = None,
    greeting: str | None = None,
) -> None:
    """The widget's look: accent colour, logo or avatar, launcher side, language, greeting."""
    row = await dealership_by_slug(session, slug)
    try:
        theme = check_theme(color=color, logo_url=logo_url, position=position, language=language)
    except ThemeError as error:
        raise AdminError(str(error)) from None
    for name, value in theme.items():
        setattr(row, f"widget_{name}", value)
    if greeting is not None:
        if len(greeting) > 500:
            raise AdminError("the greeting may have at most 500 characters")
        row.greeting = greeting


async def create_pool(session: AsyncSession, name: str) -> Pool:
    if await session.scalar(select(Pool.id).where(Pool.name == name)):
        raise AdminError(f"a pool named {name!r} already exists")
    row = Pool(name=name)
    session.add(row)
    await session.flush()
    return row


async def cover(session: AsyncSession, pool_name: str, slug: str) -> None:
    pool = await pool_by_name(session, pool_name)
    dealership = await dealership_by_slug(session, slug)
    if await session.get(PoolCoverage, (pool.id, dealership.id)) is None:
        session.add(PoolCoverage(pool_id=pool.id, dealership_id=dealership.id))
        await session.flush()


async def create_operator(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    dealership: str | None = None,
    pool: str | None = None,
    presence: str = "away",
    password_hash: str | None = None,
) -> Operator:
    """Add an operator. ``password_hash``, when given, is an argon2 hash of ``password``
    already computed (the demo hashes its one shared password once for every login)."""
    if role not in ROLES:
        raise AdminError(f"role must be one of {', '.join(ROLES)}")
    if "@" not in email:
        raise AdminError(f"{email!r} is not an e-mail address")
    if len(password) < 8:
        raise AdminError("the password must have at least 8 characters")
    if role in ("salesperson", "manager") and not dealership:
        raise AdminError(f"a {role} needs --dealership")
    if role in ("receptionist", "pool_manager") and not pool:
        raise AdminError(f"a {role} needs --pool")
    if await session.scalar(select(Operator.id).where(Operator.email == email.lower())):
        raise AdminError(f"an operator with e-mail {email!r} already exists")
    row = Operator(
        email=email.lower(),
        name=name,
        role=role,
        password_hash=password_hash or hash_password(password),
        dealership_id=(await dealership_by_slug(session, dealership)).id if dealership else None,
        pool_id=(await pool_by_name(session, pool)).id if pool else None,
        presence=presence,
        presence_at=datetime.now(UTC),
        capacity=DEFAULT_CAPACITY[role],
    )
    session.add(row)
    await session.flush()
    return row
