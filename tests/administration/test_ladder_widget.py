"""The ladder and widget settings (chat_server/administration/ladder_settings.py and
widget_settings.py): bad input is refused on the field that is wrong with nothing saved,
only those who manage a dealership may change it, and every change is audited."""

from __future__ import annotations

import argparse
import html
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from chat_server.admin import cover as seed_cover
from chat_server.admin import create_dealership as seed_dealership
from chat_server.admin import create_pool
from chat_server.admin_commands import ladder_widget
from chat_server.administration import ladder_settings, widget_settings
from chat_server.administration.actors import COMMAND_LINE, Actor
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.demo_world import DEMO_SLUG
from chat_server.store.database import Database, open_database
from chat_server.store.models import AuditEntry, Dealership
from tests.administration.people import CAST, add_people
from tests.security.conftest import MORGAN, jar, signed_in
from tests.support.admin_cli import run_admin
from tests.support.inprocess import InProcessServer

# A Wednesday, 9:00 am in Chicago.
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
WEEKDAYS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
HOURS = {"sales": {**WEEKDAYS, "sat": [["09:00", "17:00"]]}}
A_ORIGIN = "https://www.a-motors.example"


class World:
    def __init__(self, db: Database, a: int, b: int, people: dict[str, Actor]) -> None:
        self.db = db
        self.a = a
        self.b = b
        self.people = people

    def __getitem__(self, key: str) -> Actor:
        return self.people[key]

    async def row(self, dealership_id: int) -> Dealership:
        async with self.db.sessions() as session:
            return await session.get_one(Dealership, dealership_id)

    async def audit(self, action: str) -> list[AuditEntry]:
        async with self.db.sessions() as session:
            query = select(AuditEntry).where(AuditEntry.action == action)
            return list(await session.scalars(query.order_by(AuditEntry.id)))

    async def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        async with self.db.sessions() as session, session.begin():
            return await fn(session, *args, **kwargs)


@pytest.fixture
async def world(database: Database) -> World:
    async with database.sessions() as session, session.begin():
        a = await seed_dealership(
            session,
            slug="a-motors",
            name="A Motors",
            time_zone="America/Chicago",
            origins=[A_ORIGIN],
            hours=HOURS,
        )
        b = await seed_dealership(
            session, slug="b-motors", name="B Motors", time_zone="America/New_York", origins=[]
        )
        await create_pool(session, "Pool P")
        await seed_cover(session, "Pool P", "a-motors")
        added = await add_people(session, CAST)
        people = {key: actor for key, (_, actor) in added.items()}
        return World(database, a.id, b.id, people)


# --- the ladder -----------------------------------------------------------------------------


async def test_the_ladder_is_read_and_changed_with_an_audit_entry_of_from_and_to(
    world: World,
) -> None:
    manager = world["manager_a"]
    saved = await world.run(ladder_settings.ladder_settings, manager, world.a)
    assert (saved.strategy, saved.store_window_s, saved.after_hours) == (
        "ring_all",
        20,
        "store_first",
    )
    changed = await world.run(
        ladder_settings.set_ladder,
        manager,
        world.a,
        {
            "strategy": "round_robin",
            "store_window_s": "30",
            "round_robin_step_s": "10",
            "after_hours": "pool",
            "text_after_s": "5",
        },
        at=NOW,
    )
    assert changed.strategy == "round_robin" and changed.store_window_s == 30
    row = await world.row(world.a)
    assert (row.ring_strategy, row.store_window_s, row.round_robin_step_s) == (
        "round_robin",
        30,
        10,
    )
    assert (row.after_hours_store_first, row.text_after_s, row.pool_window_s) == (False, 5, 25)
    [entry] = await world.audit("ladder.set")
    assert entry.actor_name == "Manager A" and entry.dealership_id == world.a
    assert entry.changes == {
        "after_hours": {"from": "store_first", "to": "pool"},
        "round_robin_step_s": {"from": 8.0, "to": 10.0},
        "store_window_s": {"from": 20.0, "to": 30.0},
        "strategy": {"from": "ring_all", "to": "round_robin"},
        "text_after_s": {"from": 8.0, "to": 5.0},
    }
    # The same values again change nothing, and say nothing in the log.
    await world.run(ladder_settings.set_ladder, manager, world.a, {"store_window_s": 30})
    assert len(await world.audit("ladder.set")) == 1


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"store_window_s": "4"}, "store_window_s", "between 5 and 600 seconds"),
        ({"store_window_s": "601"}, "store_window_s", "between 5 and 600 seconds"),
        ({"store_window_s": "soon"}, "store_window_s", "number of seconds"),
        ({"store_window_s": ""}, "store_window_s", "needs a number"),
        ({"store_window_s": "nan"}, "store_window_s", "between 5 and 600"),
        ({"pool_window_s": "0"}, "pool_window_s", "between 5 and 600 seconds"),
        ({"sticky_s": "-1"}, "sticky_s", "between 0 and 60 seconds"),
        ({"round_robin_step_s": "2"}, "round_robin_step_s", "between 3 and 120"),
        ({"grace_s": "1000"}, "grace_s", "between 5 and 900"),
        ({"capture_window_s": "10"}, "capture_window_s", "between 30 and 3600"),
        ({"text_after_s": "301"}, "text_after_s", "between 0 and 300"),
        ({"strategy": "ring_some"}, "strategy", "ring_all, round_robin"),
        ({"after_hours": "never"}, "after_hours", "store_first, pool"),
        # Rules between fields land on the field a manager would change.
        ({"sticky_s": "20"}, "sticky_s", "shorter than the store window (20 s)"),
        (
            {"strategy": "round_robin", "round_robin_step_s": "25"},
            "round_robin_step_s",
            "longer than the store window",
        ),
    ],
)
async def test_a_bad_ladder_value_is_refused_on_its_field_and_nothing_is_saved(
    world: World, changes: dict[str, str], field: str, words: str
) -> None:
    # A good value beside the bad one is not saved either.
    with pytest.raises(SettingsError) as refused:
        await world.run(
            ladder_settings.set_ladder,
            world["manager_a"],
            world.a,
            {"pool_window_s": "40", **changes},
        )
    assert refused.value.field == field
    assert words in str(refused.value)
    row = await world.row(world.a)
    assert (row.pool_window_s, row.store_window_s, row.ring_strategy) == (25, 20, "ring_all")
    assert await world.audit("ladder.set") == []


async def test_round_robin_may_take_a_step_longer_than_the_window_only_when_it_is_not_used(
    world: World,
) -> None:
    # Ring-all ignores the step: a long one is kept for when round robin is chosen.
    await world.run(
        ladder_settings.set_ladder, world["manager_a"], world.a, {"round_robin_step_s": "60"}
    )
    with pytest.raises(SettingsError) as refused:
        await world.run(
            ladder_settings.set_ladder, world["manager_a"], world.a, {"strategy": "round_robin"}
        )
    assert refused.value.field == "round_robin_step_s"


@pytest.mark.parametrize("who", ["manager_b", "salesperson_a", "pool_manager_p"])
async def test_only_those_who_manage_the_dealership_see_or_change_its_ladder(
    world: World, who: str
) -> None:
    with pytest.raises(NotInScope):
        await world.run(ladder_settings.ladder_settings, world[who], world.a)
    with pytest.raises(NotInScope):
        await world.run(ladder_settings.set_ladder, world[who], world.a, {"store_window_s": 30})
    with pytest.raises(NotInScope):
        await world.run(ladder_settings.ladder_previews, world[who], world.a, NOW)
    assert (await world.row(world.a)).store_window_s == 20
    # The platform admin manages every dealership.
    await world.run(ladder_settings.set_ladder, world["admin"], world.b, {"store_window_s": 30})
    assert (await world.row(world.b)).store_window_s == 30


async def test_the_previews_say_what_a_chat_does_at_each_moment(world: World) -> None:
    async with world.db.sessions() as session, session.begin():
        row = await session.get_one(Dealership, world.a)
        row.dated_hours = [
            {"date": "2026-12-25", "departments": ["sales"], "ranges": [], "label": "Christmas"},
            {"date": "2026-03-01", "departments": ["sales"], "ranges": [], "label": "Past"},
        ]
    found = await world.run(ladder_settings.ladder_previews, world["manager_a"], world.a, NOW)
    moments = {m.label: m for m in found.moments}
    assert list(moments) == [
        "Now",
        "A weekday morning",
        "Saturday evening",
        "A returning shopper",
        "Christmas",
    ]
    now = moments["Now"]
    assert now.when == "Wednesday 9:00 am"
    assert now.situation == "sales open, no salespeople and no receptionists on shift"
    assert (
        now.sentence
        == "A chat at 9:00 am on Wednesday asks for contact details at once: nobody could be rung."
    )
    assert moments["A weekday morning"].sentence == (
        "A chat at 10:00 am on Tuesday rings every salesperson on shift for 20 s, "
        "then the pool for 25 s, then asks for contact details."
    )
    # Saturday sales close at 5 pm; by default the salespeople still on shift are rung first.
    assert moments["Saturday evening"].sentence == (
        "A chat at 8:15 pm on Saturday rings every salesperson still on shift for 20 s, "
        "then the pool for 25 s, then asks for contact details."
    )
    assert moments["A returning shopper"].sentence == (
        "A returning shopper's chat at 10:00 am on Tuesday rings their salesperson alone for "
        "8 s first, then every salesperson on shift for 12 s, then the pool for 25 s, then "
        "asks for contact details."
    )
    assert moments["Christmas"].when == "Friday 25 December 10:00 am"
    assert moments["Christmas"].situation.startswith("sales closed")
    assert found.texts == (
        "A ring not answered within 8 s also goes out as a text to a verified mobile."
    )

    await world.run(
        ladder_settings.set_ladder,
        world["manager_a"],
        world.a,
        {"after_hours": "pool", "sticky_s": "0"},
    )
    found = await world.run(ladder_settings.ladder_previews, world["manager_a"], world.a, NOW)
    moments = {m.label: m for m in found.moments}
    assert "A returning shopper" not in moments  # the sticky ring is off
    assert moments["Saturday evening"].sentence == (
        "A chat at 8:15 pm on Saturday rings the pool for 25 s, then asks for contact details."
    )
    assert moments["Christmas"].sentence == (
        "A chat at 10:00 am on Friday 25 December rings the pool for 25 s, "
        "then asks for contact details."
    )


async def test_a_store_no_pool_covers_is_previewed_without_the_pool(world: World) -> None:
    found = await world.run(ladder_settings.ladder_previews, world["manager_b"], world.b, NOW)
    morning = next(m for m in found.moments if m.label == "A weekday morning")
    assert "no pool" in morning.situation
    assert morning.sentence == (
        "A chat at 10:00 am on Tuesday rings every salesperson on shift for 20 s, "
        "then asks for contact details."
    )


# --- the widget's look ------------------------------------------------------------------------


async def test_the_look_is_changed_with_an_audit_entry(world: World) -> None:
    changes = {
        "color": "#1A5C2E",
        "greeting": "¡Hola! ¿Buscas un auto?",
        "language": "es",
        "side": "left",
        "logo_url": "https://cdn.a-motors.example/logo.png",
    }
    saved = await world.run(widget_settings.set_look, world["manager_a"], world.a, changes, at=NOW)
    assert saved.color == "#1a5c2e" and saved.contrast > 4.5
    row = await world.row(world.a)
    assert (row.widget_color, row.widget_language, row.widget_position) == ("#1a5c2e", "es", "left")
    assert (row.greeting, row.widget_logo_url) == (changes["greeting"], changes["logo_url"])
    [entry] = await world.audit("widget.set")
    assert entry.changes["color"] == {"from": "#0b5cad", "to": "#1a5c2e"}
    assert entry.changes["side"] == {"from": "right", "to": "left"}
    assert set(entry.changes) == {"color", "greeting", "language", "side", "logo_url"}
    # An empty logo URL takes the logo away; the short colour forms are understood.
    await world.run(
        widget_settings.set_look, world["manager_a"], world.a, {"logo_url": "", "color": "05a"}
    )
    row = await world.row(world.a)
    assert (row.widget_logo_url, row.widget_color) == ("", "#0055aa")


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"color": "#ffff00"}, "color", "contrast of only 1.0:1"),
        ({"color": "#ffff00"}, "color", "at least 4.5:1"),
        ({"color": "#3399ff"}, "color", "only 2.9:1"),
        # 4.47:1 is refused, and never shown as the 4.5 it missed.
        ({"color": "#0077e0"}, "color", "only 4.4:1"),
        ({"color": "blue"}, "color", "#rrggbb"),
        ({"color": "#12345g"}, "color", "#rrggbb"),
        ({"color": ""}, "color", "#rrggbb"),
        ({"logo_url": "http://cdn.example.com/logo.png"}, "logo_url", "https://"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url", "https://"),
        ({"logo_url": "https://"}, "logo_url", "https://"),
        ({"logo_url": "https://cdn.example.com/a logo.png"}, "logo_url", "a space"),
        ({"logo_url": "https://x.example/" + "a" * 500}, "logo_url", "at most"),
        ({"greeting": ""}, "greeting", "can't be empty"),
        ({"greeting": "x" * 501}, "greeting", "at most 500 characters"),
        ({"language": "fr"}, "language", "English (en) or Spanish (es)"),
        ({"side": "top"}, "side", "left or right"),
    ],
)
async def test_a_bad_look_is_refused_on_its_field_and_nothing_is_saved(
    world: World, changes: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        await world.run(
            widget_settings.set_look,
            world["manager_a"],
            world.a,
            {"greeting": "Saved? No.", "side": "left", **changes},
        )
    assert refused.value.field == field
    assert words in str(refused.value)
    row = await world.row(world.a)
    assert (row.greeting, row.widget_position, row.widget_color) == (
        "Hi! How can we help?",
        "right",
        "#0b5cad",
    )
    assert await world.audit("widget.set") == []


# --- allowed origins --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://Shop.A-Motors.example/", "https://shop.a-motors.example"),
        ("https://shop.a-motors.example:443", "https://shop.a-motors.example"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:80", "http://localhost"),
        ("  https://bücher.example  ", "https://xn--bcher-kva.example"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
async def test_an_origin_is_stored_as_the_browser_sends_it(
    world: World, typed: str, stored: str
) -> None:
    added = await world.run(widget_settings.add_origin, world["manager_a"], world.a, typed)
    assert added == stored
    assert (await world.row(world.a)).allowed_origins == [A_ORIGIN, stored]
    [entry] = await world.audit("widget.origin_add")
    assert entry.changes == {"allowed_origins": {"from": [A_ORIGIN], "to": [A_ORIGIN, stored]}}


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("www.a-motors.example", "Start the origin with https://"),
        ("https://www.a-motors.example/cars", "no path"),
        ("https://www.a-motors.example/?utm=1", "no path"),
        ("ftp://www.a-motors.example", "https:// or http://"),
        ("https://user:pw@www.a-motors.example", "no user name"),
        ("https://www.a-motors.example:99999", "from 1 to 65535"),
        ("https://*.a-motors.example", "not a host name"),
        ("https://", "no valid host"),
        ("", "Give the website's address"),
        ("https://WWW.A-MOTORS.EXAMPLE:443/", "already allowed"),
    ],
)
async def test_a_bad_or_duplicate_origin_is_refused(world: World, typed: str, words: str) -> None:
    with pytest.raises(SettingsError) as refused:
        await world.run(widget_settings.add_origin, world["manager_a"], world.a, typed)
    assert refused.value.field == "origin"
    assert words in str(refused.value)
    assert (await world.row(world.a)).allowed_origins == [A_ORIGIN]
    assert await world.audit("widget.origin_add") == []


async def test_an_origin_is_removed_with_an_audit_entry(world: World) -> None:
    removed = await world.run(
        widget_settings.remove_origin, world["manager_a"], world.a, "https://WWW.a-motors.example/"
    )
    assert removed == A_ORIGIN
    assert (await world.row(world.a)).allowed_origins == []
    [entry] = await world.audit("widget.origin_remove")
    assert entry.changes == {"allowed_origins": {"from": [A_ORIGIN], "to": []}}
    with pytest.raises(SettingsError, match="not an allowed origin") as refused:
        await world.run(widget_settings.remove_origin, world["manager_a"], world.a, A_ORIGIN)
    assert refused.value.field == "origin"


@pytest.mark.parametrize("who", ["manager_b", "salesperson_a", "pool_manager_p"])
async def test_only_those_who_manage_the_dealership_change_its_widget(
    world: World, who: str
) -> None:
    actor = world[who]
    for call in (
        lambda s: widget_settings.widget_settings(s, actor, world.a),
        lambda s: widget_settings.set_look(s, actor, world.a, {"greeting": "Hijacked"}),
        lambda s: widget_settings.add_origin(s, actor, world.a, "https://evil.example"),
        lambda s: widget_settings.remove_origin(s, actor, world.a, A_ORIGIN),
    ):
        with pytest.raises(NotInScope):
            await world.run(call)
    row = await world.row(world.a)
    assert (row.greeting, row.allowed_origins) == ("Hi! How can we help?", [A_ORIGIN])


def test_the_snippet_is_the_one_tag_of_docs_widget_md() -> None:
    assert widget_settings.embed_snippet("https://chat.example.com/", "SITE_KEY") == (
        '<script src="https://chat.example.com/widget.js" data-site="SITE_KEY" async></script>'
    )
    # Nothing in a key or URL can break out of the tag.
    tag = widget_settings.embed_snippet('https://x.example/"><b>', 'k"<')
    assert '"><b>' not in tag and 'k"<' not in tag


# --- the command line -----------------------------------------------------------------------


async def test_the_commands_go_through_the_same_checks_and_audit(
    world: World, database_url: str
) -> None:
    out = run_admin(
        database_url,
        ["remove-origin", "--dealership", "a-motors", "--origin", "https://www.a-motors.example/"],
    )
    assert out.strip() == f"a-motors no longer allows {A_ORIGIN}"
    [entry] = await world.audit("widget.origin_remove")
    assert entry.actor_name == COMMAND_LINE.name
    # cli.main prints a refusal and exits 2 (RuntimeError here) once it catches the service
    # layer's SettingsError; until then the error itself comes through.
    with pytest.raises((RuntimeError, SettingsError), match="not an allowed origin"):
        run_admin(database_url, ["remove-origin", "--dealership", "a-motors", "--origin", A_ORIGIN])
    with pytest.raises((RuntimeError, SettingsError), match="no dealership with slug"):
        run_admin(database_url, ["remove-origin", "--dealership", "nope", "--origin", A_ORIGIN])
    shown = run_admin(database_url, ["show-ladder", "--dealership", "a-motors"])
    assert "store_window_s = 20.0" in shown
    assert "then the pool for 25 s, then asks for contact details." in shown
    async with world.db.sessions() as session:
        key = (await session.get_one(Dealership, world.a)).site_key
    snippet = run_admin(
        database_url,
        ["widget-snippet", "--dealership", "a-motors", "--server-url", "https://chat.example"],
    )
    assert snippet.strip() == (
        f'<script src="https://chat.example/widget.js" data-site="{key}" async></script>'
    )


async def test_the_replacement_commands_take_the_old_flags(world: World) -> None:
    """set-ladder, allow-origin and set-theme as cli.py will call them once switched over."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="admin_command")
    ladder_widget.add_commands(sub)
    ladder_widget.add_replacement_commands(sub)

    async def run(*argv: str) -> None:
        action = ladder_widget.action(parser.parse_args(list(argv)))
        assert action is not None
        await world.run(action)

    await run(
        "set-ladder", "--dealership", "a-motors", "--store-window", "15", "--after-hours", "pool"
    )
    await run("allow-origin", "--dealership", "a-motors", "--origin", "https://Shop.example/")
    await run("set-theme", "--dealership", "a-motors", "--color", "#1a5c2e", "--position", "left")
    row = await world.row(world.a)
    assert (row.store_window_s, row.after_hours_store_first) == (15, False)
    assert row.allowed_origins == [A_ORIGIN, "https://shop.example"]
    assert (row.widget_color, row.widget_position) == ("#1a5c2e", "left")
    with pytest.raises(SettingsError, match="between 5 and 600"):
        await run("set-ladder", "--dealership", "a-motors", "--store-window", "0.3")
    assert [e.action for e in await world.audit("ladder.set")] == ["ladder.set"]


# --- the pages ----------------------------------------------------------------------------------


@pytest.fixture
async def manager_page(
    serve_inprocess: Callable[..., Awaitable[InProcessServer]],
) -> AsyncIterator[tuple[InProcessServer, httpx.AsyncClient, str, int]]:
    """Morgan, the demo's manager, signed in: (server, client, csrf token, Demo Motors' id)."""
    server = await serve_inprocess()
    cookies, csrf = await signed_in(server.url, MORGAN)
    async with open_database(server.database_url) as db, db.sessions() as session:
        demo = await session.scalar(select(Dealership.id).where(Dealership.slug == DEMO_SLUG))
    assert demo is not None
    async with httpx.AsyncClient(base_url=server.url, cookies=jar(server.url, cookies)) as http:
        yield server, http, csrf, demo


async def _row(server: InProcessServer, dealership_id: int) -> Dealership:
    async with open_database(server.database_url) as db, db.sessions() as session:
        return await session.get_one(Dealership, dealership_id)


async def _audited(server: InProcessServer, action: str) -> int:
    async with open_database(server.database_url) as db, db.sessions() as session:
        query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        return int(await session.scalar(query) or 0)


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'data-testid="error-{field}">([^<]*)<', page)
    assert found, f"no message beside {field}"
    return html.unescape(found.group(1))


LADDER_FORM = {
    "strategy": "ring_all",
    "store_window_s": "20",
    "round_robin_step_s": "8",
    "sticky_s": "8",
    "after_hours": "store_first",
    "pool_window_s": "25",
    "capture_window_s": "300",
    "grace_s": "60",
    "text_after_s": "8",
}


async def test_the_ladder_page_saves_shows_previews_and_refuses_on_the_field(
    manager_page: tuple[InProcessServer, httpx.AsyncClient, str, int],
) -> None:
    server, http, csrf, demo = manager_page
    path = f"/console/settings/dealerships/{demo}/ladder"
    page = await http.get(path)
    assert page.status_code == 200
    assert 'name="store_window_s" value="20"' in page.text
    assert "What happens to a chat" in page.text and "then asks for contact details." in page.text

    saved = await http.post(
        path,
        data={**LADDER_FORM, "store_window_s": "30", "after_hours": "pool", "csrf_token": csrf},
    )
    assert saved.status_code == 303 and saved.headers["location"] == path
    shown = await http.get(path)
    assert "Ladder settings saved." in shown.text
    assert "every salesperson on shift for 30 s" in shown.text
    row = await _row(server, demo)
    assert (row.store_window_s, row.after_hours_store_first) == (30, False)
    assert await _audited(server, "ladder.set") == 1

    for field, value, words in (
        ("store_window_s", "601", "between 5 and 600 seconds"),
        ("pool_window_s", "two", "number of seconds"),
        ("sticky_s", "45", "shorter than the store window"),
    ):
        refused = await http.post(
            path, data={**LADDER_FORM, "grace_s": "90", field: value, "csrf_token": csrf}
        )
        assert refused.status_code == 400
        assert words in _field_error(refused.text, field)
        # What was typed stays in the form.
        assert f'name="{field}" value="{value}"' in refused.text
    row = await _row(server, demo)
    assert (row.store_window_s, row.grace_s) == (30, 60)
    assert await _audited(server, "ladder.set") == 1


async def test_the_widget_page_saves_the_look_and_the_origins_and_refuses_on_the_field(
    manager_page: tuple[InProcessServer, httpx.AsyncClient, str, int],
) -> None:
    server, http, csrf, demo = manager_page
    path = f"/console/settings/dealerships/{demo}/widget"
    page = await http.get(path)
    assert page.status_code == 200
    site_key = (await _row(server, demo)).site_key
    snippet = f"&lt;script src=&#34;{server.url}/widget.js&#34; data-site=&#34;{site_key}&#34;"
    assert snippet in page.text.replace("&quot;", "&#34;")
    assert "settings-widget.js" in page.text
    look = {"color": "#1a5c2e", "greeting": "Hello!", "language": "es", "side": "left"}
    saved = await http.post(path, data={**look, "logo_url": "", "csrf_token": csrf})
    assert saved.status_code == 303
    row = await _row(server, demo)
    assert (row.widget_color, row.greeting, row.widget_language, row.widget_position) == (
        "#1a5c2e",
        "Hello!",
        "es",
        "left",
    )

    for field, value, words in (
        ("color", "#ffff00", "only 1.0:1; the widget needs at least 4.5:1"),
        ("color", "green", "#rrggbb"),
        ("logo_url", "http://cdn.example.com/logo.png", "https://"),
        ("greeting", "x" * 501, "at most 500"),
    ):
        refused = await http.post(
            path,
            data={**look, "greeting": "Changed?", "logo_url": "", field: value, "csrf_token": csrf},
        )
        assert refused.status_code == 400
        assert words in _field_error(refused.text, field)
    assert (await _row(server, demo)).greeting == "Hello!"
    assert await _audited(server, "widget.set") == 1

    origins = f"{path}/origins"
    added = await http.post(origins, data={"origin": "https://Shop.Example/", "csrf_token": csrf})
    assert added.status_code == 303
    assert "https://shop.example" in (await http.get(path)).text
    for value, words in (
        ("https://shop.example:443", "already allowed"),
        ("https://shop.example/cars", "no path"),
        ("shop.example", "Start the origin with https://"),
    ):
        refused = await http.post(origins, data={"origin": value, "csrf_token": csrf})
        assert refused.status_code == 400
        assert words in _field_error(refused.text, "origin")
        assert f'value="{value}"' in refused.text
    removed = await http.post(
        f"{origins}/remove", data={"origin": "https://shop.example", "csrf_token": csrf}
    )
    assert removed.status_code == 303
    assert "https://shop.example" not in (await _row(server, demo)).allowed_origins
    assert await _audited(server, "widget.origin_add") == 1
    assert await _audited(server, "widget.origin_remove") == 1
