"""The audit log: each reader sees only what they manage (a manager of A never sees B's
entries; a pool manager only their pool's), newest first and page by page, with secrets
masked, and its page names each entry's time zone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from chat_server.administration import audit, platform
from chat_server.administration.actors import Actor
from chat_server.administration.errors import NotInScope
from chat_server.store.database import Database, open_database
from operator_console.settings.audit_pages import action_words, shown
from tests.administration.test_platform import (
    ADA,
    MORGAN,
    PAT,
    World,
    make_world,
    open_site,
)
from tests.support.inprocess import InProcessServer


@pytest.fixture
async def world(database: Database) -> World:
    world = await make_world(database)
    admin = world.admin
    async with database.sessions() as session, session.begin():
        await platform.rename_dealership(session, admin, world.a, "A Cars")  # A
        await platform.rename_dealership(session, admin, world.b, "B Cars")  # B
        await platform.cover(session, admin, world.q, world.b)  # Q and B
        await platform.create_group(session, admin, "North")  # the installation
        await platform.uncover(session, admin, world.p, world.a)  # P and A
        # A change to pool P alone, such as a receptionist joining it.
        await audit.record(session, admin, "team.invite", target="Rita", pool_id=world.p)
    return world


async def seen_by(db: Database, actor: Actor, **kwargs: int) -> list[str]:
    async with db.sessions() as session:
        found = await audit.entries(session, actor, **kwargs)
    return [f"{e['action']} {e['target']}" for e in found]


async def test_each_reader_sees_only_what_they_manage(database: Database, world: World) -> None:
    everything = [
        "team.invite Rita",
        "pool.uncover Pool P · A Cars",
        "group.create North",
        "pool.cover Pool Q · B Cars",
        "dealership.rename B Cars",
        "dealership.rename A Cars",
    ]
    assert await seen_by(database, world.admin) == everything
    assert await seen_by(database, world.manager_a) == [
        "pool.uncover Pool P · A Cars",
        "dealership.rename A Cars",
    ]
    assert await seen_by(database, world.manager_b) == [
        "pool.cover Pool Q · B Cars",
        "dealership.rename B Cars",
    ]
    assert await seen_by(database, world.pool_manager_p) == [
        "team.invite Rita",
        "pool.uncover Pool P · A Cars",
    ]
    assert await seen_by(database, world.salesperson_a) == []
    # One dealership's entries, only within the reader's scope.
    assert await seen_by(database, world.admin, dealership_id=world.b) == everything[3:5]
    assert await seen_by(database, world.manager_a, dealership_id=world.a) == [
        "pool.uncover Pool P · A Cars",
        "dealership.rename A Cars",
    ]
    for actor, dealership in (
        (world.manager_a, world.b),
        (world.pool_manager_p, world.a),
        (world.salesperson_a, world.a),
        (world.admin, 999_999),
    ):
        with pytest.raises(NotInScope):
            await seen_by(database, actor, dealership_id=dealership)


async def test_pages_of_the_log_go_back_in_time(database: Database, world: World) -> None:
    async with database.sessions() as session:
        first = await platform.audit_log(session, world.admin, limit=4)
        assert first.older_than is not None
        second = await platform.audit_log(session, world.admin, limit=4, before_id=first.older_than)
    assert [e["action"] for e in first.entries] == [
        "team.invite",
        "pool.uncover",
        "group.create",
        "pool.cover",
    ]
    assert [e["action"] for e in second.entries] == ["dealership.rename"] * 2
    assert second.older_than is None
    assert {d.name for d in first.dealerships.values()} == {"A Cars", "B Cars"}
    async with database.sessions() as session:
        for_a = await platform.audit_log(session, world.manager_a)
    assert [d.name for d in for_a.choices] == ["A Cars"]


async def test_secrets_are_masked_whoever_reads_them(database: Database, world: World) -> None:
    async with database.sessions() as session, session.begin():
        await audit.record(
            session,
            world.manager_a,
            "crm.set",
            target="A Cars",
            dealership_id=world.a,
            changes={
                **audit.diff(
                    {"webhook_secret": "", "webhook_url": ""},
                    {"webhook_secret": "s3cret-value-1234", "webhook_url": "https://crm.example"},
                ),
                "token": {"from": "old-token-value", "to": ""},
            },
        )
    async with database.sessions() as session:
        [entry] = await audit.entries(session, world.manager_a, limit=1)
    assert entry["changes"] == {
        "webhook_secret": {"from": "", "to": audit.MASK},
        "webhook_url": {"from": "", "to": "https://crm.example"},
        "token": {"from": audit.MASK, "to": ""},
    }


def test_actions_read_as_plain_words() -> None:
    assert action_words("pool.cover") == "made the pool cover a dealership"
    assert action_words("hours.set") == "changed the weekly hours"
    assert action_words("canned.move") == "reordered the canned replies"
    # An action this page has no words for yet still reads as words.
    assert action_words("team.suspend") == "the team: suspend"
    assert action_words("hours.update") == "changed the hours"
    assert action_words("something_new.done") == "something new: done"
    assert shown(None) == shown("") == "(empty)"
    assert shown(True) == "yes"
    assert (
        shown(["https://a.example", "https://b.example"]) == "https://a.example, https://b.example"
    )
    assert shown({"mon": [["09:00", "18:00"]]}) == '{"mon": [["09:00", "18:00"]]}'
    assert shown("x" * 1000).endswith("…") and len(shown("x" * 1000)) == 300


async def test_the_audit_page_shows_each_reader_their_own(
    serve_inprocess: Callable[..., Awaitable[InProcessServer]],
) -> None:
    site = await open_site(serve_inprocess)
    ada = Actor(id=None, name="Ada Admin", role="admin")
    async with (
        open_database(site.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        await platform.rename_dealership(session, ada, site.a, "Demo Motors North")
        await platform.rename_dealership(session, ada, site.b, "Other Motors East")
        await platform.create_group(session, ada, "Lakeside")
        await audit.record(
            session,
            ada,
            "crm.set",
            dealership_id=site.a,
            changes=audit.diff({"webhook_secret": ""}, {"webhook_secret": "s3cret-xyz"}),
            at=datetime(2026, 1, 15, 18, 30, tzinfo=UTC),
        )
    http, _ = await site.ask(MORGAN)
    async with http:
        page = await http.get("/console/settings/audit")
        assert page.status_code == 200
        assert "Demo Motors North" in page.text and "Other Motors East" not in page.text
        assert "Lakeside" not in page.text  # the installation's entry is the admin's
        # 18:30 UTC in Chicago in January, the zone named; the secret only said to change.
        assert "2026-01-15 12:30 CST" in page.text and "(America/Chicago)" in page.text
        assert "s3cret" not in page.text and "(secret)" in page.text
        assert "renamed the dealership" in page.text
        assert "Demo Motors" in page.text and "→" in page.text
        other = await http.get(f"/console/settings/audit?dealership={site.b}")
        assert other.status_code == 404 and "Other Motors" not in other.text
        assert (await http.get("/console/settings/audit?dealership=x")).status_code == 404
        own = await http.get(f"/console/settings/audit?dealership={site.a}")
        assert own.status_code == 200 and "Demo Motors North" in own.text
    http, _ = await site.ask(PAT)
    async with http:
        page = await http.get("/console/settings/audit")
        assert page.status_code == 200 and 'data-testid="audit-empty"' in page.text
        assert "Demo Motors North" not in page.text
    http, _ = await site.ask(ADA)
    async with http:
        page = await http.get("/console/settings/audit")
        assert "Other Motors East" in page.text and "Lakeside" in page.text
        assert "(America/New_York)" in page.text and " UTC</time>" in page.text


async def test_the_audit_page_pages_back_with_older(
    serve_inprocess: Callable[..., Awaitable[InProcessServer]],
) -> None:
    site = await open_site(serve_inprocess)
    ada = Actor(id=None, name="Ada Admin", role="admin")
    async with (
        open_database(site.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        for n in range(52):
            await audit.record(
                session, ada, "hours.set", target=f"change {n:02}", dealership_id=site.a
            )
    http, _ = await site.ask(MORGAN)
    async with http:
        page = await http.get("/console/settings/audit")
        assert page.text.count('data-testid="audit-entry"') == 50
        assert "change 51" in page.text and "change 01" not in page.text
        older = page.text.split('data-testid="audit-older"')[0].rsplit('href="', 1)[1]
        older = older.split('"')[0].replace("&amp;", "&")
        back = await http.get(older)
        assert back.text.count('data-testid="audit-entry"') == 2
        assert "change 01" in back.text and "change 00" in back.text
        assert 'data-testid="audit-older"' not in back.text
