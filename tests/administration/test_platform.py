"""The platform's settings (chat_server/administration/platform.py): dealerships, groups,
pools and pool coverage. Bad input is refused on the field that is wrong with nothing saved;
only the platform admin changes the installation's shape; every change is audited."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from chat_server.admin import AdminError, create_operator, create_pool
from chat_server.admin import cover as seed_cover
from chat_server.admin import create_dealership as seed_dealership
from chat_server.administration import platform
from chat_server.administration.actors import COMMAND_LINE, Actor
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.administration.scope import managed_dealership_ids
from chat_server.demo_world import DEMO_PASSWORD, DEMO_POOL, DEMO_SLUG
from chat_server.ladder.hours import ALWAYS_OPEN
from chat_server.store.database import Database, open_database
from chat_server.store.models import AuditEntry, Dealership, Group, Pool, PoolCoverage
from tests.administration.people import CAST, add_people
from tests.security.conftest import signed_in
from tests.support.admin_cli import run_admin
from tests.support.inprocess import InProcessServer

PASSWORD = "a long password"


@dataclass
class World:
    """Dealerships A (Chicago) and B (New York); pool P covers A, pool Q covers nothing."""

    a: int
    b: int
    p: int
    q: int
    admin: Actor
    manager_a: Actor
    manager_b: Actor
    pool_manager_p: Actor
    salesperson_a: Actor


async def make_world(db: Database) -> World:
    async with db.sessions() as session, session.begin():
        a = await seed_dealership(
            session, slug="a-motors", name="A Motors", time_zone="America/Chicago", origins=[]
        )
        b = await seed_dealership(
            session, slug="b-motors", name="B Motors", time_zone="America/New_York", origins=[]
        )
        p = await create_pool(session, "Pool P")
        q = await create_pool(session, "Pool Q")
        await seed_cover(session, "Pool P", "a-motors")
        added = await add_people(session, CAST)
        people = {key: actor for key, (_, actor) in added.items()}
        return World(a=a.id, b=b.id, p=p.id, q=q.id, **people)


@pytest.fixture
async def world(database: Database) -> World:
    return await make_world(database)


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.sessions() as session:
        found = await session.scalar(select(func.count()).select_from(model).where(*where))
    return int(found or 0)


async def audited(db: Database, action: str) -> list[AuditEntry]:
    async with db.sessions() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


# --- creating a dealership ----------------------------------------------------------------


async def test_an_admin_creates_a_dealership_open_around_the_clock(
    database: Database, world: World
) -> None:
    async with database.sessions() as session, session.begin():
        made = await platform.create_dealership(
            session,
            world.admin,
            name="  Lake   Ford ",
            slug="lake-ford",
            time_zone="America/Denver",
            origins=["https://www.lakeford.example/"],
            crm_email="Leads@LakeFord.example.com",
        )
    assert (made.name, made.slug, made.time_zone) == ("Lake Ford", "lake-ford", "America/Denver")
    async with database.sessions() as session:
        row = await session.get_one(Dealership, made.id)
        other = await session.get_one(Dealership, world.a)
    assert row.hours == {d: ALWAYS_OPEN for d in ("sales", "service", "parts")}
    assert row.allowed_origins == ["https://www.lakeford.example"]
    assert row.crm_email == "Leads@lakeford.example.com"
    assert len(row.site_key) >= 20 and row.site_key != other.site_key
    [entry] = await audited(database, "dealership.create")
    assert (entry.dealership_id, entry.actor_name, entry.target) == (made.id, "Admin", "Lake Ford")
    assert entry.changes["slug"] == {"from": None, "to": "lake-ford"}
    assert entry.changes["time_zone"] == {"from": None, "to": "America/Denver"}


async def test_origin_and_crm_address_are_optional(database: Database, world: World) -> None:
    async with database.sessions() as session, session.begin():
        made = await platform.create_dealership(
            session, COMMAND_LINE, name="Bare", slug="bare", time_zone="UTC", origins=["", " "]
        )
    async with database.sessions() as session:
        row = await session.get_one(Dealership, made.id)
    assert (row.allowed_origins, row.crm_email) == ([], "")


GOOD = {
    "name": "New Store",
    "slug": "new-store",
    "time_zone": "America/Chicago",
    "origins": ["https://new.example"],
    "crm_email": "",
}


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"name": "   "}, "name", "name"),
        ({"name": "x" * 201}, "name", "200"),
        ({"slug": ""}, "slug", "short name"),
        ({"slug": "New Store"}, "slug", "lower-case"),
        ({"slug": "new_store"}, "slug", "lower-case"),
        ({"slug": "-new"}, "slug", "hyphen"),
        ({"slug": "new-"}, "slug", "hyphen"),
        ({"slug": "x" * 81}, "slug", "80"),
        ({"slug": "a-motors"}, "slug", "already uses"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "unknown time zone"),
        ({"time_zone": ""}, "time_zone", "unknown time zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone", "unknown time zone"),
        ({"origins": ["ftp://new.example"]}, "origin", "https://"),
        ({"origins": ["https://new.example/path"]}, "origin", "no path"),
        ({"crm_email": "not an address"}, "crm_email", "e-mail"),
    ],
)
async def test_bad_input_names_its_field_and_saves_nothing(
    database: Database, world: World, change: dict[str, Any], field: str, says: str
) -> None:
    before = await count(database, Dealership)
    with pytest.raises(SettingsError) as refused:
        async with database.sessions() as session, session.begin():
            await platform.create_dealership(session, world.admin, **{**GOOD, **change})
    assert refused.value.field == field
    assert says in str(refused.value)
    assert await count(database, Dealership) == before
    assert await audited(database, "dealership.create") == []


async def test_the_last_check_failing_leaves_nothing_half_saved(
    database: Database, world: World
) -> None:
    # Every field but the last is fine: still nothing is written.
    with pytest.raises(SettingsError) as refused:
        async with database.sessions() as session, session.begin():
            await platform.create_dealership(session, world.admin, **{**GOOD, "crm_email": "nope"})
    assert refused.value.field == "crm_email"
    assert await count(database, Dealership, Dealership.slug == "new-store") == 0


# --- who may do what ------------------------------------------------------------------------


def admin_only_calls(world: World) -> list[tuple[str, Any]]:
    return [
        ("create_dealership", lambda s, who: platform.create_dealership(s, who, **GOOD)),
        ("create_group", lambda s, who: platform.create_group(s, who, "G")),
        ("create_pool", lambda s, who: platform.create_pool(s, who, "New Pool")),
        ("set_group", lambda s, who: platform.set_group(s, who, world.a, None)),
        ("platform", lambda s, who: platform.platform(s, who)),
    ]


@pytest.mark.parametrize("who", ["manager_a", "manager_b", "pool_manager_p", "salesperson_a"])
async def test_only_the_admin_shapes_the_installation(
    database: Database, world: World, who: str
) -> None:
    actor: Actor = getattr(world, who)
    for name, call in admin_only_calls(world):
        with pytest.raises(NotInScope):
            async with database.sessions() as session, session.begin():
                await call(session, actor)
        assert await count(database, Group) == 0, name
    assert await count(database, Dealership) == 2
    assert await count(database, Pool) == 2
    assert await count(database, AuditEntry) == 0


async def test_a_pool_manager_reads_their_coverage_but_cannot_change_it(
    database: Database, world: World
) -> None:
    pat = world.pool_manager_p
    async with database.sessions() as session:
        seen = await platform.coverage(session, pat, world.p)
    assert [d.name for d in seen.covered] == ["A Motors"]
    assert (seen.may_change, seen.addable) == (False, ())
    for change in (platform.cover, platform.uncover):
        for dealership in (world.a, world.b):
            with pytest.raises(SettingsError, match="Only the platform admin"):
                async with database.sessions() as session, session.begin():
                    await change(session, pat, world.p, dealership)
    # Another pool is not theirs at all.
    with pytest.raises(NotInScope):
        async with database.sessions() as session:
            await platform.coverage(session, pat, world.q)
    with pytest.raises(NotInScope):
        async with database.sessions() as session, session.begin():
            await platform.cover(session, pat, world.q, world.a)
    assert await count(database, PoolCoverage) == 1
    assert await count(database, AuditEntry) == 0


@pytest.mark.parametrize("who", ["manager_a", "salesperson_a"])
async def test_a_store_cannot_read_or_change_a_pool(
    database: Database, world: World, who: str
) -> None:
    actor: Actor = getattr(world, who)
    with pytest.raises(NotInScope):
        async with database.sessions() as session:
            await platform.coverage(session, actor, world.p)
    with pytest.raises(NotInScope):
        async with database.sessions() as session, session.begin():
            await platform.cover(session, actor, world.p, world.b)
    assert await count(database, PoolCoverage) == 1


# --- renaming --------------------------------------------------------------------------------


async def test_a_manager_renames_their_own_store_and_not_another(
    database: Database, world: World
) -> None:
    async with database.sessions() as session, session.begin():
        renamed = await platform.rename_dealership(session, world.manager_a, world.a, "A Cars")
    assert renamed.name == "A Cars"
    with pytest.raises(NotInScope):
        async with database.sessions() as session, session.begin():
            await platform.rename_dealership(session, world.manager_a, world.b, "Mine now")
    with pytest.raises(NotInScope):
        async with database.sessions() as session, session.begin():
            await platform.rename_dealership(session, world.pool_manager_p, world.a, "Pooled")
    with pytest.raises(SettingsError) as empty:
        async with database.sessions() as session, session.begin():
            await platform.rename_dealership(session, world.admin, world.b, " ", field="new_name")
    assert empty.value.field == "new_name"
    async with database.sessions() as session:
        names = dict((await session.execute(select(Dealership.id, Dealership.name))).all())
    assert names == {world.a: "A Cars", world.b: "B Motors"}
    [entry] = await audited(database, "dealership.rename")
    assert entry.changes == {"name": {"from": "A Motors", "to": "A Cars"}}
    assert entry.actor_name == "Manager A"
    # The same name again changes nothing, so it is not logged.
    async with database.sessions() as session, session.begin():
        await platform.rename_dealership(session, world.manager_a, world.a, "A Cars")
    assert len(await audited(database, "dealership.rename")) == 1


# --- groups ------------------------------------------------------------------------------------


async def test_a_group_manager_manages_every_store_of_the_group(
    database: Database, world: World
) -> None:
    async with database.sessions() as session, session.begin():
        group = await platform.create_group(session, world.admin, " Lakeside   Auto ")
    assert group.name == "Lakeside Auto"
    with pytest.raises(SettingsError) as twice:
        async with database.sessions() as session, session.begin():
            await platform.create_group(session, world.admin, "Lakeside Auto")
    assert twice.value.field == "group_name"
    with pytest.raises(SettingsError) as unknown:
        async with database.sessions() as session, session.begin():
            await platform.set_group(session, world.admin, world.a, 999_999)
    assert unknown.value.field == "group"
    async with database.sessions() as session, session.begin():
        await platform.set_group(session, world.admin, world.a, group.id)
        await platform.set_group(session, world.admin, world.b, group.id)
    group_manager = Actor(id=None, name="G", role="manager", group_id=group.id)
    async with database.sessions() as session:
        assert await managed_dealership_ids(session, group_manager) == [world.a, world.b]
        overview = await platform.platform(session, world.admin)
    assert overview.groups[0].dealerships == ("A Motors", "B Motors")
    async with database.sessions() as session, session.begin():
        await platform.rename_dealership(session, group_manager, world.b, "B of the group")
        taken_out = await platform.set_group(session, world.admin, world.b, None)
    assert taken_out.group_id is None
    async with database.sessions() as session:
        assert await managed_dealership_ids(session, group_manager) == [world.a]
    [_assigned_a, assigned_b] = await audited(database, "group.assign")
    assert assigned_b.changes == {"group": {"from": "", "to": "Lakeside Auto"}}
    [removed] = await audited(database, "group.remove")
    assert (removed.dealership_id, removed.changes["group"]["to"]) == (world.b, "")
    [created] = await audited(database, "group.create")
    assert (created.dealership_id, created.pool_id) == (None, None)


# --- pools and coverage ------------------------------------------------------------------


async def test_the_admin_changes_coverage_and_each_change_is_logged_once(
    database: Database, world: World
) -> None:
    async with database.sessions() as session, session.begin():
        pool = await platform.create_pool(session, world.admin, "Evening Desk")
        assert await platform.cover(session, world.admin, pool.id, world.b)
        assert not await platform.cover(session, world.admin, pool.id, world.b)  # no change
    with pytest.raises(SettingsError) as twice:
        async with database.sessions() as session, session.begin():
            await platform.create_pool(session, world.admin, "Evening Desk")
    assert twice.value.field == "pool_name"
    async with database.sessions() as session:
        seen = await platform.coverage(session, world.admin, pool.id)
    assert [d.name for d in seen.covered] == ["B Motors"]
    assert [d.name for d in seen.addable] == ["A Motors"]
    assert seen.may_change
    async with database.sessions() as session, session.begin():
        assert await platform.uncover(session, world.admin, world.p, world.a)
        assert not await platform.uncover(session, world.admin, world.p, world.a)
    with pytest.raises(NotInScope):
        async with database.sessions() as session, session.begin():
            await platform.cover(session, world.admin, pool.id, 999_999)
    async with database.sessions() as session:
        pairs = set(
            (await session.execute(select(PoolCoverage.pool_id, PoolCoverage.dealership_id))).all()
        )
    assert pairs == {(pool.id, world.b)}
    [covered] = await audited(database, "pool.cover")
    [uncovered] = await audited(database, "pool.uncover")
    assert (covered.pool_id, covered.dealership_id) == (pool.id, world.b)
    assert covered.changes == {"covered": {"from": False, "to": True}}
    assert (uncovered.pool_id, uncovered.dealership_id) == (world.p, world.a)
    assert uncovered.target == "Pool P · A Motors"
    [created] = await audited(database, "pool.create")
    assert created.pool_id == pool.id


# --- the command line --------------------------------------------------------------------


async def test_the_commands_call_the_same_service(
    database: Database, database_url: str, world: World
) -> None:
    def admin(*args: str) -> str:
        return run_admin(database_url, list(args))

    assert "created group North" in admin("create-group", "--name", "North")
    assert "in group North" in admin("set-group", "--dealership", "a-motors", "--group", "North")
    assert "in no group" in admin("set-group", "--dealership", "a-motors", "--none")
    assert "now called" in admin("rename-dealership", "--dealership", "b-motors", "--name", "B2")
    assert "no longer covers" in admin("uncover", "--pool", "Pool P", "--dealership", "a-motors")
    assert "(no change)" in admin("uncover", "--pool", "Pool P", "--dealership", "a-motors")
    with pytest.raises(RuntimeError, match="no group named"):
        admin("set-group", "--dealership", "a-motors", "--group", "Nowhere")
    with pytest.raises(RuntimeError, match="no dealership 'nope'"):
        admin("uncover", "--pool", "Pool P", "--dealership", "nope")
    log = admin("audit-log").splitlines()
    assert [line.split()[5] for line in log] == [
        "pool.uncover",
        "dealership.rename",
        "group.remove",
        "group.assign",
        "group.create",
    ]
    assert all(" command line " in line for line in log)
    assert "America/Chicago" in log[0] and "UTC" in log[-1]
    only_b = admin("audit-log", "--dealership", "b-motors", "--json").splitlines()
    assert len(only_b) == 1 and '"to": "B2"' in only_b[0]


async def test_the_replacement_commands_work_through_the_service(
    database: Database, world: World
) -> None:
    import argparse

    from chat_server.admin_commands import platform as commands

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="admin_command")
    commands.add_replacement_commands(sub)

    async def run(*argv: str) -> None:
        action = commands.action(parser.parse_args(list(argv)))
        assert action is not None
        async with database.sessions() as session, session.begin():
            await action(session)

    await run(
        "create-dealership", "--slug", "c-motors", "--name", "C", "--time-zone", "UTC",
        "--origin", "https://c.example", "--origin", "https://www.c.example",
    )  # fmt: skip
    await run("create-pool", "--name", "Pool R")
    await run("cover", "--pool", "Pool R", "--dealership", "c-motors")
    with pytest.raises(AdminError, match="unknown time zone"):
        await run("create-dealership", "--slug", "x", "--name", "X", "--time-zone", "Mars/Olympus")
    async with database.sessions() as session:
        row = await session.scalar(select(Dealership).where(Dealership.slug == "c-motors"))
        assert row is not None
        assert row.allowed_origins == ["https://c.example", "https://www.c.example"]
    actions = [e.action for e in await all_entries(database)]
    assert actions == ["dealership.create", "pool.create", "pool.cover"]


async def all_entries(db: Database) -> list[AuditEntry]:
    async with db.sessions() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


# --- the pages ---------------------------------------------------------------------------------

ADA = "ada@platform.test"
PAT = "pat@nightowl-bdc.test"
MORGAN = "morgan@demo-motors.test"


@dataclass
class Site:
    """An in-process server on the demo world, plus dealership B, an admin and Night Owl's
    pool manager; ``ask(email)`` is a signed-in client and its CSRF token."""

    server: InProcessServer
    a: int
    b: int
    night_owl: int

    async def ask(self, email: str) -> tuple[httpx.AsyncClient, str]:
        cookies, csrf = await signed_in(self.server.url, email)
        return httpx.AsyncClient(base_url=self.server.url, cookies=cookies, timeout=30), csrf


async def open_site(serve_inprocess: Callable[..., Awaitable[InProcessServer]]) -> Site:
    server = await serve_inprocess()
    async with open_database(server.database_url) as db, db.sessions() as session:
        async with session.begin():
            b = await seed_dealership(
                session,
                slug="other-motors",
                name="Other Motors",
                time_zone="America/New_York",
                origins=[],
            )
            for email, name, role, pool in (
                (ADA, "Ada Admin", "admin", None),
                (PAT, "Pat Pool", "pool_manager", DEMO_POOL),
            ):
                await create_operator(
                    session, email=email, name=name, role=role, password=DEMO_PASSWORD, pool=pool
                )
        a = await session.scalar(select(Dealership.id).where(Dealership.slug == DEMO_SLUG))
        pool = await session.scalar(select(Pool.id).where(Pool.name == DEMO_POOL))
    assert a is not None and pool is not None
    return Site(server, a, b.id, pool)


async def test_the_platform_page_refuses_bad_input_beside_its_field(
    serve_inprocess: Callable[..., Awaitable[InProcessServer]],
) -> None:
    site = await open_site(serve_inprocess)
    http, csrf = await site.ask(ADA)
    async with http:
        page = await http.get("/console/settings/platform")
        assert page.status_code == 200
        assert "Demo Motors" in page.text and "Night Owl BDC" in page.text
        form = {
            "csrf_token": csrf,
            "name": "Lake Ford",
            "slug": "Lake Ford",
            "time_zone": "America/Chicago",
        }
        refused = await http.post("/console/settings/platform/dealerships", data=form)
        assert refused.status_code == 400
        error = re.search(r'data-testid="error-slug">([^<]*)<', refused.text)
        assert error and "lower-case letters" in error.group(1)
        assert 'value="Lake Ford"' in refused.text  # what was typed stays in the form
        assert 'data-testid="error-time_zone"' not in refused.text
        zone = await http.post(
            "/console/settings/platform/dealerships",
            data={**form, "slug": "lake-ford", "time_zone": "Chicago"},
        )
        assert zone.status_code == 400 and 'data-testid="error-time_zone"' in zone.text
        made = await http.post(
            "/console/settings/platform/dealerships", data={**form, "slug": "lake-ford"}
        )
        assert made.status_code == 303
        after = await http.get("/console/settings/platform")
        assert "Created Lake Ford" in after.text and "platform-dealership-lake-ford" in after.text
        group = await http.post(
            "/console/settings/platform/groups", data={"csrf_token": csrf, "group_name": ""}
        )
        assert group.status_code == 400 and 'data-testid="error-group_name"' in group.text
        tampered = await http.post(
            "/console/settings/platform/rename",
            data={"csrf_token": csrf, "rename_dealership": "x1", "new_name": "Hacked"},
        )
        assert tampered.status_code == 404
        expired = await http.post(
            "/console/settings/platform/pools", data={"csrf_token": "old", "pool_name": "P2"}
        )
        assert expired.status_code == 400 and "The form expired" in expired.text
    async with open_database(site.server.database_url) as db, db.sessions() as session:
        slugs = set(await session.scalars(select(Dealership.slug)))
        pools = set(await session.scalars(select(Pool.name)))
    assert slugs == {DEMO_SLUG, "other-motors", "lake-ford"}
    assert pools == {DEMO_POOL}

    http, csrf = await site.ask(MORGAN)
    async with http:
        assert (await http.get("/console/settings/platform")).status_code == 404
        forbidden = await http.post(
            "/console/settings/platform/pools", data={"csrf_token": csrf, "pool_name": "Mine"}
        )
        assert forbidden.status_code == 404


async def test_the_pool_page_is_the_admins_to_change_and_its_managers_to_read(
    serve_inprocess: Callable[..., Awaitable[InProcessServer]],
) -> None:
    site = await open_site(serve_inprocess)
    path = f"/console/settings/pools/{site.night_owl}"
    http, csrf = await site.ask(PAT)
    async with http:
        page = await http.get(path)
        assert page.status_code == 200
        assert 'data-testid="covered-demo-motors"' in page.text
        assert "Only the platform admin changes this list" in page.text
        assert "/cover" not in page.text and "uncover" not in page.text
        assert f"{path}/team" in page.text
        refused = await http.post(
            f"{path}/cover", data={"csrf_token": csrf, "dealership": str(site.b)}
        )
        assert refused.status_code == 400 and "Only the platform admin" in refused.text
    http, csrf = await site.ask(ADA)
    async with http:
        page = await http.get(path)
        assert 'data-testid="uncover-demo-motors"' in page.text
        assert f'<option value="{site.b}"' in page.text
        none_chosen = await http.post(f"{path}/cover", data={"csrf_token": csrf, "dealership": ""})
        assert none_chosen.status_code == 400
        assert 'data-testid="error-dealership"' in none_chosen.text
        added = await http.post(
            f"{path}/cover", data={"csrf_token": csrf, "dealership": str(site.b)}
        )
        assert added.status_code == 303 and added.headers["location"] == path
        removed = await http.post(
            f"{path}/uncover", data={"csrf_token": csrf, "dealership": str(site.a)}
        )
        assert removed.status_code == 303
        page = await http.get(path)
        assert "Removed from the coverage." in page.text
        assert 'data-testid="covered-other-motors"' in page.text
        assert 'data-testid="covered-demo-motors"' not in page.text
    async with open_database(site.server.database_url) as db, db.sessions() as session:
        pairs = set(
            (await session.execute(select(PoolCoverage.pool_id, PoolCoverage.dealership_id))).all()
        )
    assert pairs == {(site.night_owl, site.b)}
