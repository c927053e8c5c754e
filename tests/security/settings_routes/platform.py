"""Access-matrix entries and forged-request targets of the platform settings page (the
platform admin's: everyone else gets 404, as for a page that is not there).

The matrix's POSTs change nothing: everyone but the admin is refused before any change,
and the admin's forms are invalid (400). The forged-request targets act on a dealership of
their own ("csrf-target"), never on A or B, which other tests read.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Select, select

from chat_server.admin import create_dealership
from chat_server.store.database import open_database
from chat_server.store.models import Dealership, Group, Pool
from tests.security.conftest import ADA, World
from tests.security.matrix_kit import SIGN_IN, Case, Effect, Outcome, Target, console

PLATFORM = "/console/settings/platform"
TARGET_SLUG = "csrf-target"
TARGET_NAME = "CSRF Target Motors"


def admin_only(admin: Outcome) -> dict[str, Outcome]:
    return console(SIGN_IN, 403, 404, 403, pool_manager=404, admin=admin)


MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    ("GET", PLATFORM): (Case(PLATFORM, admin_only(200)),),
    ("POST", f"{PLATFORM}/dealerships"): (
        Case(
            f"{PLATFORM}/dealerships",
            admin_only(400),
            form={"name": "Matrix Motors", "slug": "Not a slug", "time_zone": "America/Chicago"},
            note="refused before any change; the admin's slug is wrong: nothing is created",
        ),
    ),
    ("POST", f"{PLATFORM}/rename"): (
        Case(
            f"{PLATFORM}/rename",
            admin_only(400),
            form={"rename_dealership": "", "new_name": "Renamed by the matrix"},
        ),
        Case(
            f"{PLATFORM}/rename",
            admin_only(404),
            form={"rename_dealership": "999999", "new_name": "Renamed by the matrix"},
            note="no such dealership",
        ),
    ),
    ("POST", f"{PLATFORM}/groups"): (
        Case(f"{PLATFORM}/groups", admin_only(400), form={"group_name": ""}),
    ),
    ("POST", f"{PLATFORM}/groups/assign"): (
        Case(
            f"{PLATFORM}/groups/assign",
            admin_only(400),
            form={"group_dealership": "", "group": ""},
        ),
    ),
    ("POST", f"{PLATFORM}/pools"): (
        Case(f"{PLATFORM}/pools", admin_only(400), form={"pool_name": ""}),
    ),
}


async def target_dealership(world: World) -> int:
    """The id of the forged requests' own dealership, created on first use."""
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        row = await session.scalar(select(Dealership).where(Dealership.slug == TARGET_SLUG))
        if row is None:
            row = await create_dealership(
                session, slug=TARGET_SLUG, name=TARGET_NAME, time_zone="UTC", origins=[]
            )
        return row.id


async def _scalar(world: World, query: Select[Any]) -> Any:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        return await session.scalar(query)


def _slug_taken(slug: str) -> Effect:
    async def check(world: World, http: httpx.AsyncClient) -> bool:
        return (
            await _scalar(world, select(Dealership.id).where(Dealership.slug == slug)) is not None
        )

    return check


def _named(model: type[Group] | type[Pool], name: str) -> Effect:
    async def check(world: World, http: httpx.AsyncClient) -> bool:
        return await _scalar(world, select(model.id).where(model.name == name)) is not None

    return check


RENAME = {"rename_dealership": "", "new_name": "Renamed by a forgery"}
UNGROUP = {"group_dealership": "", "group": ""}


async def _prepare_rename(world: World) -> None:
    dealership_id = await target_dealership(world)
    RENAME["rename_dealership"] = str(dealership_id)
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        (await session.get_one(Dealership, dealership_id)).name = TARGET_NAME


async def _renamed(world: World, http: httpx.AsyncClient) -> bool:
    name = await _scalar(world, select(Dealership.name).where(Dealership.slug == TARGET_SLUG))
    return name == RENAME["new_name"]


async def _prepare_ungroup(world: World) -> None:
    dealership_id = await target_dealership(world)
    UNGROUP["group_dealership"] = str(dealership_id)
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        group = await session.scalar(select(Group).where(Group.name == "CSRF Group"))
        if group is None:
            group = Group(name="CSRF Group")
            session.add(group)
            await session.flush()
        (await session.get_one(Dealership, dealership_id)).group_id = group.id


async def _ungrouped(world: World, http: httpx.AsyncClient) -> bool:
    found = await _scalar(world, select(Dealership.group_id).where(Dealership.slug == TARGET_SLUG))
    return found is None


CSRF: dict[tuple[str, str], Target] = {
    ("POST", f"{PLATFORM}/dealerships"): Target(
        f"{PLATFORM}/dealerships",
        {"name": "Forged Motors", "slug": "forged-motors", "time_zone": "America/Chicago"},
        _slug_taken("forged-motors"),
        refused_with=(400, 403),
        who=ADA,
    ),
    ("POST", f"{PLATFORM}/rename"): Target(
        f"{PLATFORM}/rename",
        RENAME,
        _renamed,
        refused_with=(400, 403),
        prepare=_prepare_rename,
        who=ADA,
    ),
    ("POST", f"{PLATFORM}/groups"): Target(
        f"{PLATFORM}/groups",
        {"group_name": "Forged Group"},
        _named(Group, "Forged Group"),
        refused_with=(400, 403),
        who=ADA,
    ),
    ("POST", f"{PLATFORM}/groups/assign"): Target(
        f"{PLATFORM}/groups/assign",
        UNGROUP,
        _ungrouped,
        refused_with=(400, 403),
        prepare=_prepare_ungroup,
        who=ADA,
    ),
    ("POST", f"{PLATFORM}/pools"): Target(
        f"{PLATFORM}/pools",
        {"pool_name": "Forged Pool"},
        _named(Pool, "Forged Pool"),
        refused_with=(400, 403),
        who=ADA,
    ),
}
