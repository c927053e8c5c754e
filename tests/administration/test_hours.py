"""A dealership's hours (chat_server/administration/hours.py): weekly hours, the time zone and
dated exceptions. Bad input is refused on the field that is wrong with nothing saved; only the
dealership's managers (and the admin) change them; every change is audited; the ladder, the
widget and the page all read the dated exceptions."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from chat_server.admin import create_dealership as seed_dealership
from chat_server.admin import create_pool
from chat_server.administration import hours
from chat_server.administration.actors import COMMAND_LINE, Actor
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.ladder.hours import ALWAYS_OPEN
from chat_server.store.database import Database
from chat_server.store.models import AuditEntry, Dealership
from chat_server.store.records import dealership_view
from tests.administration.people import CAST, add_people
from tests.support.admin_cli import run_admin

WEEKDAYS = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
# Monday 1 December 2025, 10:00 in Chicago.
NOW = datetime(2025, 12, 1, 16, 0, tzinfo=UTC)
DAY = hours.DayInput


@dataclass
class World:
    a: int
    b: int
    admin: Actor
    manager_a: Actor
    manager_b: Actor
    pool_manager_p: Actor
    salesperson_a: Actor


@pytest.fixture
async def world(database: Database) -> World:
    async with database.sessions() as session, session.begin():
        a = await seed_dealership(
            session,
            slug="a-motors",
            name="A Motors",
            time_zone="America/Chicago",
            origins=[],
            hours={"sales": WEEKDAYS},
        )
        b = await seed_dealership(
            session, slug="b-motors", name="B Motors", time_zone="America/New_York", origins=[]
        )
        await create_pool(session, "Pool P")
        added = await add_people(session, CAST)
        people = {key: actor for key, (_, actor) in added.items()}
        return World(a=a.id, b=b.id, **people)


async def call(db: Database, fn: Any, *args: Any, **kwargs: Any) -> Any:
    async with db.sessions() as session, session.begin():
        return await fn(session, *args, **kwargs)


async def stored(db: Database, dealership_id: int) -> Dealership:
    async with db.sessions() as session:
        return await session.get_one(Dealership, dealership_id)


async def audited(db: Database, action: str | None = None) -> list[AuditEntry]:
    async with db.sessions() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list(await session.scalars(query))


# --- weekly hours ---------------------------------------------------------------------------


async def test_a_manager_sets_a_departments_week(database: Database, world: World) -> None:
    week = {
        "mon": DAY(ranges=(("09:00", "12:00"), ("13:00", "18:00"))),
        "tue": DAY(ranges=(("13:00", "18:00"), ("08:00", "12:00"))),  # given out of order
        "fri": DAY(ranges=(("22:00", "02:00"), ("", ""))),  # past midnight; blank pair ignored
        "sat": DAY(all_day=True),
        "sun": DAY(closed=True),
    }
    saved = await call(database, hours.set_week, world.manager_a, world.a, "service", week)
    assert saved == {
        "mon": [["09:00", "12:00"], ["13:00", "18:00"]],
        "tue": [["08:00", "12:00"], ["13:00", "18:00"]],
        "wed": [],  # a day left out is closed
        "thu": [],
        "fri": [["22:00", "02:00"]],
        "sat": [["00:00", "24:00"]],
        "sun": [],
    }
    row = await stored(database, world.a)
    assert row.hours == {"sales": WEEKDAYS, "service": saved}  # sales untouched
    [entry] = await audited(database, "hours.set")
    assert entry.actor_name == "Manager A" and entry.dealership_id == world.a
    assert entry.target == "A Motors: Service hours"
    assert entry.changes == {"service": {"from": None, "to": saved}}


@pytest.mark.parametrize(
    ("day", "field", "message"),
    [
        (DAY(ranges=(("9am", "18:00"),)), "sales_mon_open_1", "is not a time"),
        (DAY(ranges=(("09:00", "25:00"),)), "sales_mon_close_1", "not a time of day"),
        (DAY(ranges=(("24:00", "02:00"),)), "sales_mon_open_1", "24:00 can only close"),
        (DAY(ranges=(("09:00", "09:00"),)), "sales_mon_close_1", "same time"),
        (DAY(ranges=(("00:00", "00:00"),)), "sales_mon_close_1", "open 24 hours"),
        (DAY(ranges=(("09:00", ""),)), "sales_mon_close_1", "closing time too"),
        (DAY(ranges=(("", "18:00"),)), "sales_mon_open_1", "opening time too"),
        (DAY(ranges=(("09:00", "13:00"), ("12:00", "18:00"))), "sales_mon_open_2", "overlaps"),
        # The second range is typed first but opens first: the later one is named.
        (DAY(ranges=(("12:00", "18:00"), ("09:00", "13:00"))), "sales_mon_open_1", "overlaps"),
        (DAY(ranges=(("20:00", "02:00"), ("23:00", "23:30"))), "sales_mon_open_2", "overlaps"),
        (DAY(ranges=(("08:00", "09:00"),) * 3), "sales_mon_open_3", "At most 2"),
        (DAY(), "sales_mon_open_1", "or tick Closed"),
        (DAY(closed=True, all_day=True), "sales_mon_closed", "not both"),
    ],
)
async def test_bad_weekly_hours_name_the_field_and_save_nothing(
    database: Database, world: World, day: hours.DayInput, field: str, message: str
) -> None:
    week = {"sun": DAY(ranges=(("10:00", "16:00"),)), "mon": day}
    with pytest.raises(SettingsError) as refused:
        await call(database, hours.set_week, world.manager_a, world.a, "sales", week)
    assert refused.value.field == field
    assert message in str(refused.value)
    assert (await stored(database, world.a)).hours == {"sales": WEEKDAYS}
    assert await audited(database) == []


async def test_an_unknown_department_or_day_is_refused(database: Database, world: World) -> None:
    with pytest.raises(SettingsError, match="Unknown department 'finance'") as refused:
        await call(database, hours.set_week, world.manager_a, world.a, "finance", {})
    assert refused.value.field == "department"
    with pytest.raises(SettingsError, match="Unknown day 'funday'"):
        await call(database, hours.set_week, world.manager_a, world.a, "sales", {"funday": DAY()})


# --- time zone ------------------------------------------------------------------------------


async def test_the_time_zone_is_checked_and_audited(database: Database, world: World) -> None:
    with pytest.raises(SettingsError, match=r"(?i)unknown time zone") as refused:
        await call(database, hours.set_time_zone, world.manager_a, world.a, "Mars/Olympus")
    assert refused.value.field == "time_zone"
    assert (await stored(database, world.a)).time_zone == "America/Chicago"
    assert await call(database, hours.set_time_zone, world.manager_a, world.a, " Europe/London ")
    assert await call(database, hours.set_time_zone, world.manager_a, world.a, "Europe/London")
    [entry] = await audited(database)
    assert entry.action == "hours.time_zone"
    assert entry.changes == {"time_zone": {"from": "America/Chicago", "to": "Europe/London"}}


# --- dated exceptions -----------------------------------------------------------------------


async def add(db: Database, actor: Actor, dealership_id: int, **kwargs: Any) -> Any:
    kwargs.setdefault("departments", ["sales"])
    kwargs.setdefault("closed", True)
    return await call(db, hours.add_exception, actor, dealership_id, now=NOW, **kwargs)


async def test_a_closure_and_special_hours_are_stored_sorted_and_audited(
    database: Database, world: World
) -> None:
    await add(database, world.manager_a, world.a, day="2025-12-26",
              departments=["service", "sales"], closed=False,
              ranges=(("10:00", "14:00"), ("", "")), label="Boxing Day")  # fmt: skip
    item = await add(database, world.manager_a, world.a, day="2025-12-25", label=" Christmas ")
    assert item.closed and item.label == "Christmas"
    row = await stored(database, world.a)
    assert row.dated_hours == [
        {"date": "2025-12-25", "departments": ["sales"], "ranges": [], "label": "Christmas"},
        {
            "date": "2025-12-26",
            "departments": ["sales", "service"],
            "ranges": [["10:00", "14:00"]],
            "label": "Boxing Day",
        },
    ]
    entries = await audited(database, "hours.add_exception")
    assert [e.target for e in entries] == [
        "A Motors: 2025-12-26 Boxing Day",
        "A Motors: 2025-12-25 Christmas",
    ]
    assert entries[1].changes == {
        "2025-12-25": {"from": None, "to": row.dated_hours[0]},
    }


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"day": "25/12/2025"}, "date", "YYYY-MM-DD"),
        ({"day": "2025-02-30"}, "date", "not a real date"),
        ({"day": "2025-11-30"}, "date", "has passed"),
        ({"day": "2035-01-01"}, "date", "years away"),
        ({"day": "2025-12-25", "departments": []}, "departments", "at least one department"),
        ({"day": "2025-12-25", "departments": ["finance"]}, "departments", "Unknown department"),
        ({"day": "2025-12-25", "closed": False}, "open_1", "Give the special hours"),
        (
            {"day": "2025-12-25", "closed": False, "ranges": (("10:00", "10:00"),)},
            "close_1",
            "same time",
        ),
        (
            {"day": "2025-12-25", "closed": False, "ranges": (("10:00", "1pm"),)},
            "close_1",
            "is not a time",
        ),
        ({"day": "2025-12-25", "label": "x" * 81}, "label", "80 characters"),
    ],
)
async def test_bad_exceptions_name_the_field_and_save_nothing(
    database: Database, world: World, kwargs: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        await add(database, world.manager_a, world.a, **kwargs)
    assert (refused.value.field, message in str(refused.value)) == (field, True), refused.value
    assert (await stored(database, world.a)).dated_hours == []
    assert await audited(database) == []


async def test_today_in_the_stores_zone_is_not_past(database: Database, world: World) -> None:
    # 03:00 UTC on 2 December is still 1 December in Chicago.
    late = datetime(2025, 12, 2, 3, 0, tzinfo=UTC)
    await call(database, hours.add_exception, world.manager_a, world.a, day="2025-12-01",
               departments=["sales"], closed=True, now=late)  # fmt: skip
    assert (await stored(database, world.a)).dated_hours[0]["date"] == "2025-12-01"


async def test_one_exception_per_department_and_date(database: Database, world: World) -> None:
    await add(database, world.manager_a, world.a, day="2025-12-25", departments=["sales", "parts"])
    with pytest.raises(SettingsError, match="Sales already has an exception") as refused:
        await add(database, world.manager_a, world.a, day="2025-12-25", closed=False,
                  ranges=(("10:00", "12:00"),))  # fmt: skip
    assert refused.value.field == "date"
    # The very same closure again changes nothing (a script may run twice); a new department
    # joins with its own entry.
    await add(database, world.manager_a, world.a, day="2025-12-25", departments=["sales"])
    await add(database, world.manager_a, world.a, day="2025-12-25",
              departments=["sales", "service"])  # fmt: skip
    row = await stored(database, world.a)
    assert [(e["date"], e["departments"]) for e in row.dated_hours] == [
        ("2025-12-25", ["sales", "parts"]),
        ("2025-12-25", ["service"]),
    ]
    assert len(await audited(database, "hours.add_exception")) == 2


async def test_removing_an_exception_for_some_departments(database: Database, world: World) -> None:
    await add(database, world.manager_a, world.a, day="2025-12-25",
              departments=["sales", "service"], label="Christmas")  # fmt: skip
    count = await call(database, hours.remove_exception, world.manager_a, world.a,
                       day="2025-12-25", departments=["sales"])  # fmt: skip
    assert count == 1
    row = await stored(database, world.a)
    assert row.dated_hours == [
        {"date": "2025-12-25", "departments": ["service"], "ranges": [], "label": "Christmas"}
    ]
    assert await call(database, hours.remove_exception, world.manager_a, world.a, day="2025-12-25")
    assert (await stored(database, world.a)).dated_hours == []
    # Nothing left: no error, no change, no audit entry.
    assert not await call(database, hours.remove_exception, world.manager_a, world.a,
                          day="2025-12-25")  # fmt: skip
    removed = await audited(database, "hours.remove_exception")
    assert len(removed) == 2
    assert removed[0].changes["2025-12-25"]["to"] == row.dated_hours
    assert removed[1].changes["2025-12-25"]["to"] is None
    with pytest.raises(SettingsError, match="YYYY-MM-DD"):
        await call(database, hours.remove_exception, world.manager_a, world.a, day="soon")


# --- scope ----------------------------------------------------------------------------------


def every_change(world: World, target: int) -> list[tuple[Any, tuple[Any, ...], dict[str, Any]]]:
    return [
        (hours.set_week, (target, "sales", {"mon": DAY(all_day=True)}), {}),
        (hours.set_time_zone, (target, "Europe/London"), {}),
        (hours.add_exception, (target,),
         {"day": "2025-12-25", "departments": ["sales"], "closed": True, "now": NOW}),
        (hours.remove_exception, (target,), {"day": "2025-12-25"}),
        (hours.hours_settings, (target, NOW), {}),
    ]  # fmt: skip


@pytest.mark.parametrize("who", ["manager_b", "pool_manager_p", "salesperson_a"])
async def test_nobody_else_reads_or_changes_a_stores_hours(
    database: Database, world: World, who: str
) -> None:
    actor = getattr(world, who)
    for fn, args, kwargs in every_change(world, world.a):
        with pytest.raises(NotInScope):
            await call(database, fn, actor, *args, **kwargs)
    # Scope comes before input: B's manager learns nothing from a bad value either.
    with pytest.raises(NotInScope):
        await call(database, hours.set_time_zone, actor, world.a, "Mars/Olympus")
    assert await audited(database) == []


async def test_the_admin_manages_every_store(database: Database, world: World) -> None:
    for fn, args, kwargs in every_change(world, world.b):
        await call(database, fn, world.admin, *args, **kwargs)
    assert [e.action for e in await audited(database)] == [
        "hours.set",
        "hours.time_zone",
        "hours.add_exception",
        "hours.remove_exception",
    ]


# --- what reads the hours -------------------------------------------------------------------


async def test_the_page_says_open_now_or_the_next_opening(database: Database, world: World) -> None:
    await add(database, world.manager_a, world.a, day="2025-12-02", departments=["sales"])
    monday_night = datetime(2025, 12, 2, 1, 0, tzinfo=UTC)  # Monday 19:00 in Chicago
    shown = await call(database, hours.hours_settings, world.manager_a, world.a, monday_night)
    assert (shown.time_zone, shown.zone_abbreviation, shown.local_time) == (
        "America/Chicago",
        "CST",
        "7:00 PM",
    )
    sales, service, _parts = shown.departments
    # Tuesday is closed: Wednesday 9:00.
    assert (sales.open_now, sales.status) == (False, "Opens Wednesday 9:00 AM")
    assert (service.has_hours, service.status) == (False, "No hours set")
    [closure] = shown.exceptions
    assert (closure.date_text, closure.hours_text, closure.past) == (
        "Tuesday 2 December 2025",
        "Closed all day",
        False,
    )
    noon = await call(database, hours.hours_settings, world.manager_a, world.a, NOW)
    assert noon.departments[0].status == "Open now"
    assert noon.departments[0].days[0].ranges == (("09:00", "18:00"),)


async def test_the_ladder_and_the_widget_read_the_dated_hours(
    database: Database, world: World
) -> None:
    from chat_server.widget_theme import opens_next

    await add(database, world.manager_a, world.a, day="2025-12-25", label="Christmas")
    view = dealership_view(await stored(database, world.a))
    christmas_noon = datetime(2025, 12, 25, 18, 0, tzinfo=UTC)
    assert view.is_open("sales", christmas_noon - timedelta(days=1))
    assert not view.is_open("sales", christmas_noon)
    found = opens_next(view.hours, "sales", view.time_zone, christmas_noon, "en",
                       dated=view.dated_hours)  # fmt: skip
    assert found is not None and found["text"] == "Sales opens tomorrow at 9:00 AM"


# --- the command line -----------------------------------------------------------------------


async def test_the_commands_call_the_same_service(
    database: Database, database_url: str, world: World
) -> None:
    def admin(*args: str) -> str:
        return run_admin(database_url, list(args))

    soon = (date.today() + timedelta(days=30)).isoformat()
    later = (date.today() + timedelta(days=31)).isoformat()
    assert "closed all day" in admin(
        "add-closure", "--dealership", "a-motors", "--date", soon, "--label", "Stocktake"
    )
    assert "10:00 AM – 2:00 PM" in admin(
        "add-special-hours", "--dealership", "a-motors", "--date", later,
        "--department", "sales", "--ranges", "10:00-14:00",
    )  # fmt: skip
    shown = json.loads(admin("show-hours", "--dealership", "a-motors", "--json"))
    assert [e["date"] for e in shown["dated_hours"]] == [soon, later]
    assert shown["dated_hours"][0]["departments"] == ["sales", "service", "parts"]
    assert "removed" in admin(
        "remove-dated-hours", "--dealership", "a-motors", "--date", soon, "--department", "parts"
    )
    assert "nothing to remove" in admin(
        "remove-dated-hours", "--dealership", "a-motors", "--date", soon, "--department", "parts"
    )
    assert "Europe/London" in admin(
        "set-time-zone", "--dealership", "a-motors", "--time-zone", "Europe/London"
    )
    text = admin("show-hours", "--dealership", "a-motors")
    assert "time zone Europe/London" in text and "Monday    09:00-18:00" in text
    # cli.main prints a SettingsError and exits 2 (RuntimeError here) once it catches the
    # service layer's errors; until then the error itself comes through.
    refused = (RuntimeError, SettingsError)
    with pytest.raises(refused, match=r"(?i)unknown time zone"):
        admin("set-time-zone", "--dealership", "a-motors", "--time-zone", "Mars/Olympus")
    with pytest.raises(refused, match="is not a range"):
        admin("add-special-hours", "--dealership", "a-motors", "--date", soon, "--ranges", "10")
    with pytest.raises(refused, match="no dealership 'nope'"):
        admin("add-closure", "--dealership", "nope", "--date", soon)
    actions = [e.action for e in await audited(database)]
    assert actions == [
        "hours.add_exception",
        "hours.add_exception",
        "hours.remove_exception",
        "hours.time_zone",
    ]
    assert all(e.actor_name == COMMAND_LINE.name for e in await audited(database))


async def test_the_replacement_set_hours_works_through_the_service(
    database: Database, world: World
) -> None:
    from chat_server.admin_commands import hours as commands

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="admin_command")
    commands.add_replacement_commands(sub)

    async def run(*argv: str) -> None:
        action = commands.action(parser.parse_args(list(argv)))
        assert action is not None
        async with database.sessions() as session, session.begin():
            await action(session)

    await run("set-hours", "--dealership", "b-motors", "--department", "parts", "--closed")
    await run("set-hours", "--dealership", "b-motors", "--always-open")
    await run("set-hours", "--dealership", "b-motors", "--department", "service",
              "--hours", '{"sat": [["08:00", "12:00"]]}')  # fmt: skip
    with pytest.raises(SettingsError, match="overlaps"):
        await run("set-hours", "--dealership", "b-motors",
                  "--hours", '{"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}')  # fmt: skip
    with pytest.raises(SettingsError, match="as JSON"):
        await run("set-hours", "--dealership", "b-motors", "--hours", "{mon")
    row = await stored(database, world.b)
    assert row.hours["parts"] == {day: [] for day in ALWAYS_OPEN}
    assert row.hours["sales"] == ALWAYS_OPEN
    assert row.hours["service"]["sat"] == [["08:00", "12:00"]]
    assert len(await audited(database, "hours.set")) == 3
