"""The installation's shape: dealerships, groups, pools and which dealerships each pool covers.

The platform admin runs all of it. Two things reach further down:

- a dealership manager may rename their own store (or any store of their group);
- a pool manager may read their pool's coverage, but never change it: coverage decides which
  receptionists read which store's chats, so only the platform admin adds or removes a store
  (docs/settings.md, "Pool coverage").

Each function checks scope first and validates everything before it writes anything, then
writes one audit entry per change. They return plain data, never ORM rows.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.administration import audit
from chat_server.administration.actors import Actor
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.administration.scope import (
    dealership_for,
    managed_dealerships,
    pool_for,
)
from chat_server.administration.widget_settings import normalise_origin
from chat_server.contact_details import ContactError, valid_email
from chat_server.ladder.hours import ALWAYS_OPEN
from chat_server.store.models import Dealership, Group, Pool, PoolCoverage

DEPARTMENTS = ("sales", "service", "parts")
MAX_NAME_CHARS = 200  # the name columns of dealerships, groups and pools
MAX_SLUG_CHARS = 80
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
COVERAGE_IS_THE_ADMINS = (
    "Only the platform admin changes which dealerships a pool covers: coverage decides "
    "which receptionists read which store's chats."
)


@dataclass(frozen=True)
class DealershipItem:
    id: int
    name: str
    slug: str
    time_zone: str
    group_id: int | None = None
    group_name: str = ""
    site_key: str = ""


@dataclass(frozen=True)
class GroupItem:
    id: int
    name: str
    dealerships: tuple[str, ...] = ()  # names, in name order


@dataclass(frozen=True)
class PoolItem:
    id: int
    name: str
    covers: int = 0  # how many dealerships


@dataclass(frozen=True)
class Platform:
    """What the platform page shows the admin."""

    dealerships: tuple[DealershipItem, ...]
    groups: tuple[GroupItem, ...]
    pools: tuple[PoolItem, ...]


@dataclass(frozen=True)
class Coverage:
    """One pool's coverage; ``addable`` (the stores it does not cover yet) only for the admin,
    who alone may change it (``may_change``)."""

    pool_id: int
    pool_name: str
    covered: tuple[DealershipItem, ...]
    addable: tuple[DealershipItem, ...]
    may_change: bool


# --- checks -----------------------------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    # A page or command of the platform looks, to anyone else, like one that is not there.
    if not actor.is_admin:
        raise NotInScope("the platform's settings")


@cache
@cache
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone this machine knows, sorted (the page offers them as suggestions).

    ``available_timezones`` walks the tz database's files on every call; the list does not
    change while the process runs, so it is read once.
    """
    return tuple(sorted(available_timezones()))


def check_time_zone(raw: str, field: str = "time_zone") -> str:
    name = raw.strip()
    if name not in time_zones():
        shown = name[:60] or "(empty)"
        raise SettingsError(
            f"{shown!r} is an unknown time zone: use an IANA name like America/Chicago.", field
        )
    return name


def check_name(raw: str, field: str, what: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise SettingsError(f"Give the {what} a name.", field)
    if len(name) > MAX_NAME_CHARS:
        raise SettingsError(f"A {what}'s name may have at most {MAX_NAME_CHARS} characters.", field)
    return name


def check_slug(raw: str, field: str = "slug") -> str:
    slug = raw.strip()
    if not slug:
        raise SettingsError("Give the dealership a short name for links, like demo-motors.", field)
    if len(slug) > MAX_SLUG_CHARS or not SLUG.match(slug):
        raise SettingsError(
            f"Use lower-case letters, digits and hyphens only (at most {MAX_SLUG_CHARS}, "
            "no hyphen first or last), like demo-motors.",
            field,
        )
    return slug


def check_crm_email(raw: str, field: str = "crm_email") -> str:
    try:
        return valid_email(raw, field)
    except ContactError:
        raise SettingsError("That is not an e-mail address.", field) from None


# --- reading ------------------------------------------------------------------------------


def _item(row: Dealership, groups: dict[int, str] | None = None) -> DealershipItem:
    return DealershipItem(
        id=row.id,
        name=row.name,
        slug=row.slug,
        time_zone=row.time_zone,
        group_id=row.group_id,
        group_name=(groups or {}).get(row.group_id or 0, ""),
        site_key=row.site_key,
    )


async def platform(session: AsyncSession, actor: Actor) -> Platform:
    """Every dealership, group and pool, by name (the admin only)."""
    _require_admin(actor)
    groups = list(await session.scalars(select(Group).order_by(Group.name)))
    group_names = {g.id: g.name for g in groups}
    dealerships = [
        _item(row, group_names)
        for row in await session.scalars(select(Dealership).order_by(Dealership.name))
    ]
    covers: dict[int, int] = {}
    for pool_id in await session.scalars(select(PoolCoverage.pool_id)):
        covers[pool_id] = covers.get(pool_id, 0) + 1
    return Platform(
        dealerships=tuple(dealerships),
        groups=tuple(
            GroupItem(g.id, g.name, tuple(d.name for d in dealerships if d.group_id == g.id))
            for g in groups
        ),
        pools=tuple(
            PoolItem(p.id, p.name, covers.get(p.id, 0))
            for p in await session.scalars(select(Pool).order_by(Pool.name))
        ),
    )


async def coverage(session: AsyncSession, actor: Actor, pool_id: int) -> Coverage:
    """Which dealerships the pool covers: the admin's to change, its pool manager's to read."""
    pool = await pool_for(session, actor, pool_id)
    covered_ids = set(
        await session.scalars(
            select(PoolCoverage.dealership_id).where(PoolCoverage.pool_id == pool.id)
        )
    )
    everyone = list(await session.scalars(select(Dealership).order_by(Dealership.name)))
    return Coverage(
        pool_id=pool.id,
        pool_name=pool.name,
        covered=tuple(_item(d) for d in everyone if d.id in covered_ids),
        addable=tuple(_item(d) for d in everyone if d.id not in covered_ids)
        if actor.is_admin
        else (),
        may_change=actor.is_admin,
    )


# --- dealerships --------------------------------------------------------------------------


async def create_dealership(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    slug: str,
    time_zone: str,
    origins: Sequence[str] = (),
    crm_email: str = "",
    site_key: str | None = None,
) -> DealershipItem:
    """A new store, open around the clock in every department until its manager sets hours,
    with a random site key for its widget snippet. ``origins``: the websites its widget may
    run on, maybe none yet (empty strings are skipped). Only the platform admin creates one."""
    _require_admin(actor)
    name = check_name(name, "name", "dealership")
    slug = check_slug(slug)
    time_zone = check_time_zone(time_zone)
    allowed = list(dict.fromkeys(normalise_origin(o) for o in origins if o.strip()))
    crm_email = check_crm_email(crm_email) if crm_email.strip() else ""
    if await session.scalar(select(Dealership.id).where(Dealership.slug == slug)):
        raise SettingsError(f"Another dealership already uses {slug!r}; choose another.", "slug")
    row = Dealership(
        name=name,
        slug=slug,
        time_zone=time_zone,
        allowed_origins=allowed,
        crm_email=crm_email,
        hours={department: ALWAYS_OPEN for department in DEPARTMENTS},
        site_key=site_key or secrets.token_urlsafe(18),
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor,
        "dealership.create",
        target=name,
        dealership_id=row.id,
        changes=audit.diff(
            {},
            {
                field: value
                for field, value in (
                    ("name", name),
                    ("slug", slug),
                    ("time_zone", time_zone),
                    ("allowed_origins", allowed),
                    ("crm_email", crm_email),
                )
                if value  # what was left empty did not change
            },
        ),
    )
    return _item(row)


async def rename_dealership(
    session: AsyncSession, actor: Actor, dealership_id: int, name: str, field: str = "name"
) -> DealershipItem:
    """A new name for the store (its slug and site key stay: the snippet keeps working).
    The platform admin, or a manager of the store."""
    row = await dealership_for(session, actor, dealership_id)
    name = check_name(name, field, "dealership")
    if name != row.name:
        await audit.record(
            session,
            actor,
            "dealership.rename",
            target=name,
            dealership_id=row.id,
            changes=audit.diff({"name": row.name}, {"name": name}),
        )
        row.name = name
    return _item(row)


async def dealership_id_by_slug(session: AsyncSession, actor: Actor, slug: str) -> int:
    """The id of the dealership with this slug, if ``actor`` may manage it (the CLI names
    dealerships by slug)."""
    found = await session.scalar(select(Dealership.id).where(Dealership.slug == slug))
    if found is None:
        raise SettingsError(f"There is no dealership {slug!r}.", "dealership")
    return (await dealership_for(session, actor, found)).id


# --- groups ---------------------------------------------------------------------------------


async def create_group(session: AsyncSession, actor: Actor, name: str) -> GroupItem:
    """A group of stores under one owner; its managers manage each of its stores."""
    _require_admin(actor)
    name = check_name(name, "group_name", "group")
    if await session.scalar(select(Group.id).where(Group.name == name)):
        raise SettingsError(f"There is already a group named {name!r}.", "group_name")
    row = Group(name=name)
    session.add(row)
    await session.flush()
    await audit.record(
        session, actor, "group.create", target=name, changes=audit.diff({}, {"name": name})
    )
    return GroupItem(row.id, row.name)


async def group_id_by_name(session: AsyncSession, actor: Actor, name: str) -> int:
    _require_admin(actor)
    found = await session.scalar(select(Group.id).where(Group.name == name))
    if found is None:
        raise SettingsError(f"There is no group named {name!r}.", "group")
    return found


async def set_group(
    session: AsyncSession, actor: Actor, dealership_id: int, group_id: int | None
) -> DealershipItem:
    """Put the store in a group (its managers then manage it too), or take it out (None)."""
    _require_admin(actor)
    row = await dealership_for(session, actor, dealership_id)
    groups = {g.id: g.name for g in await session.scalars(select(Group))}
    if group_id is not None and group_id not in groups:
        raise SettingsError("Choose one of the groups.", "group")
    if group_id != row.group_id:
        before = groups.get(row.group_id or 0, "")
        after = groups.get(group_id or 0, "")
        await audit.record(
            session,
            actor,
            "group.assign" if group_id is not None else "group.remove",
            target=row.name,
            dealership_id=row.id,
            changes=audit.diff({"group": before}, {"group": after}),
        )
        row.group_id = group_id
    return _item(row, groups)


# --- pools and their coverage -------------------------------------------------------------


async def create_pool(session: AsyncSession, actor: Actor, name: str) -> PoolItem:
    """A receptionist pool (a virtual BDC); it covers nothing until the admin says so."""
    _require_admin(actor)
    name = check_name(name, "pool_name", "pool")
    if await session.scalar(select(Pool.id).where(Pool.name == name)):
        raise SettingsError(f"There is already a pool named {name!r}.", "pool_name")
    row = Pool(name=name)
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor,
        "pool.create",
        target=name,
        pool_id=row.id,
        changes=audit.diff({}, {"name": name}),
    )
    return PoolItem(row.id, row.name)


async def pool_id_by_name(session: AsyncSession, actor: Actor, name: str) -> int:
    found = await session.scalar(select(Pool.id).where(Pool.name == name))
    if found is None:
        raise SettingsError(f"There is no pool named {name!r}.", "pool")
    return (await pool_for(session, actor, found)).id


async def _coverage_change(
    session: AsyncSession, actor: Actor, pool_id: int, dealership_id: int
) -> tuple[Pool, Dealership, PoolCoverage | None]:
    pool = await pool_for(session, actor, pool_id)  # out of scope: 404, like a missing pool
    if not actor.is_admin:  # the pool's own manager: told why, not shown a 404
        raise SettingsError(COVERAGE_IS_THE_ADMINS)
    dealership = await dealership_for(session, actor, dealership_id)
    return pool, dealership, await session.get(PoolCoverage, (pool.id, dealership.id))


async def cover(session: AsyncSession, actor: Actor, pool_id: int, dealership_id: int) -> bool:
    """The pool covers the store from now on: its receptionists are rung for the store's
    chats and read them. True if that is new (covering twice changes nothing)."""
    pool, dealership, found = await _coverage_change(session, actor, pool_id, dealership_id)
    if found is not None:
        return False
    session.add(PoolCoverage(pool_id=pool.id, dealership_id=dealership.id))
    await session.flush()
    await _record_coverage(session, actor, "pool.cover", pool, dealership, covered=True)
    return True


async def uncover(session: AsyncSession, actor: Actor, pool_id: int, dealership_id: int) -> bool:
    """The pool stops covering the store. True if it did cover it."""
    pool, dealership, found = await _coverage_change(session, actor, pool_id, dealership_id)
    if found is None:
        return False
    await session.delete(found)
    await session.flush()
    await _record_coverage(session, actor, "pool.uncover", pool, dealership, covered=False)
    return True


async def _record_coverage(
    session: AsyncSession,
    actor: Actor,
    action: str,
    pool: Pool,
    dealership: Dealership,
    *,
    covered: bool,
) -> None:
    # Both ids: the store's managers and the pool's manager each see the entry.
    changes: dict[str, Any] = audit.diff({"covered": not covered}, {"covered": covered})
    await audit.record(
        session,
        actor,
        action,
        target=f"{pool.name} · {dealership.name}",
        dealership_id=dealership.id,
        pool_id=pool.id,
        changes=changes,
    )


# --- the audit log, as its page and the ``audit-log`` command read it ------------------------


@dataclass(frozen=True)
class AuditLog:
    """One page of the audit log: its entries (newest first), the name and time zone of each
    dealership they name, the dealerships the reader may filter by, and where the next,
    older page starts (None when this is the last)."""

    entries: tuple[dict[str, Any], ...]
    dealerships: dict[int, DealershipItem]
    choices: tuple[DealershipItem, ...]
    older_than: int | None


async def audit_log(
    session: AsyncSession,
    actor: Actor,
    *,
    before_id: int | None = None,
    dealership_id: int | None = None,
    limit: int = 50,
) -> AuditLog:
    rows = await audit.entries(
        session, actor, limit=limit + 1, before_id=before_id, dealership_id=dealership_id
    )
    shown = rows[:limit]
    named = {row["dealership_id"] for row in shown if row["dealership_id"] is not None}
    dealerships = (
        {
            d.id: _item(d)
            for d in await session.scalars(select(Dealership).where(Dealership.id.in_(named)))
        }
        if named
        else {}
    )
    return AuditLog(
        entries=tuple(shown),
        dealerships=dealerships,
        choices=tuple(_item(d) for d in await managed_dealerships(session, actor)),
        older_than=shown[-1]["id"] if len(rows) > limit else None,
    )
