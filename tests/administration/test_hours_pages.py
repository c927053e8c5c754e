"""The Hours page over HTTP, on an in-process server with the demo world (Morgan manages Demo
Motors, in Chicago). A good form saves and comes back with 303 and a notice; a refused one
answers 400 with the message beside the wrong field, keeps what was typed and saves nothing;
another store's page is a 404; a closure today turns "Open now" into the next opening."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from chat_server.admin import create_dealership
from chat_server.demo_world import DEMO_PASSWORD, DEMO_SLUG
from chat_server.store.models import AuditEntry, Dealership
from chat_server.store.records import dealership_view
from tests.support.inprocess import InProcessServer

Start = Callable[..., Awaitable[InProcessServer]]
MORGAN = "morgan@demo-motors.test"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@asynccontextmanager
async def signed_in(url: str, email: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        token = csrf_of((await http.get("/console/sign-in")).text)
        response = await http.post(
            "/console/sign-in",
            data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303, response.text
        yield http


async def dealership(server: InProcessServer, slug: str = DEMO_SLUG) -> Dealership:
    async with server.runtime.db.sessions() as session:
        row = await session.scalar(select(Dealership).where(Dealership.slug == slug))
    assert row is not None
    return row


async def audit_actions(server: InProcessServer) -> list[str]:
    async with server.runtime.db.sessions() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def error_on(html: str, field: str) -> str:
    found = re.search(rf'data-testid="error-{field}">([^<]+)<', html)
    assert found, f"no error beside {field}"
    return found.group(1)


class Page:
    """Morgan's Hours page: GET it, post its forms with the page's own CSRF token."""

    def __init__(self, http: httpx.AsyncClient, dealership_id: int) -> None:
        self.http = http
        self.path = f"/console/settings/dealerships/{dealership_id}/hours"

    async def get(self) -> httpx.Response:
        return await self.http.get(self.path)

    async def post(self, tail: str, form: dict[str, Any]) -> httpx.Response:
        token = csrf_of((await self.get()).text)
        return await self.http.post(f"{self.path}{tail}", data={**form, "csrf_token": token})


def week_form(department: str, **days: dict[str, str]) -> dict[str, str]:
    """A whole week's fields: the given days as given, every other day closed."""
    form = {"department": department}
    for day in DAYS:
        given = days.get(day)
        if given is None:
            form[f"{department}_{day}_closed"] = "on"
        else:
            form.update({f"{department}_{day}_{name}": value for name, value in given.items()})
    return form


async def test_the_page_saves_a_week_and_refuses_a_bad_one(serve_inprocess: Start) -> None:
    server = await serve_inprocess()
    a = await dealership(server)
    async with signed_in(server.url, MORGAN) as http:
        page = Page(http, a.id)
        shown = await page.get()
        assert shown.status_code == 200
        assert "America/Chicago" in shown.text and 'data-testid="hours-status-sales"' in shown.text
        assert "<script>" not in shown.text and 'style="' not in shown.text  # strict CSP

        split = {"open_1": "09:00", "close_1": "12:00", "open_2": "13:00", "close_2": "18:00"}
        saved = await page.post(
            "/week",
            week_form("service", mon=split, fri={"open_1": "22:00", "close_1": "02:00"},
                      sat={"all_day": "on"}),
        )  # fmt: skip
        assert saved.status_code == 303
        assert saved.headers["location"].endswith(f"/dealerships/{a.id}/hours")
        after = await page.get()
        assert "Service hours saved." in after.text
        row = await dealership(server)
        assert row.hours["service"]["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]
        assert row.hours["service"]["fri"] == [["22:00", "02:00"]]
        assert row.hours["service"]["sat"] == [["00:00", "24:00"]]
        assert row.hours["service"]["sun"] == []

        overlapping = {"open_1": "09:00", "close_1": "13:00", "open_2": "12:00", "close_2": "18:00"}
        for form, field, message in (
            (week_form("sales", mon=overlapping), "sales_mon_open_2", "overlaps"),
            (week_form("sales", tue={"open_1": "09:00", "close_1": "09:00"}),
             "sales_tue_close_1", "same time"),
            (week_form("sales", wed={"open_1": "9 am", "close_1": "18:00"}),
             "sales_wed_open_1", "is not a time"),
            (week_form("sales", thu={"open_1": "", "close_1": ""}),
             "sales_thu_open_1", "tick Closed"),
        ):  # fmt: skip
            refused = await page.post("/week", form)
            assert refused.status_code == 400, field
            assert message in error_on(refused.text, field)
            assert 'aria-invalid="true"' in refused.text
        # What was typed comes back, for the department that was sent.
        assert 'name="sales_wed_open_1" value="9 am"' not in refused.text  # the last form only
        assert 'name="sales_thu_open_1" value=""' in refused.text
        assert (await dealership(server)).hours["sales"] == a.hours["sales"]
        assert await audit_actions(server) == ["hours.set"]


async def test_time_zone_and_dated_exceptions(serve_inprocess: Start) -> None:
    server = await serve_inprocess()
    a = await dealership(server)
    today = server.clock.now().astimezone(ZoneInfo(a.time_zone)).date()
    async with signed_in(server.url, MORGAN) as http:
        page = Page(http, a.id)
        refused = await page.post("/time-zone", {"time_zone": "Mars/Olympus"})
        assert refused.status_code == 400
        assert "unknown time zone" in error_on(refused.text, "time_zone").lower()
        assert 'value="Mars/Olympus"' in refused.text
        assert (await dealership(server)).time_zone == "America/Chicago"

        closure = {"form": "exception", "departments": "sales", "kind": "closed",
                   "label": "Stocktake"}  # fmt: skip
        for form, field, message in (
            ({**closure, "date": "2025-02-30"}, "date", "not a real date"),
            ({**closure, "date": "next friday"}, "date", "YYYY-MM-DD"),
            ({**closure, "date": (today - timedelta(days=1)).isoformat()}, "date", "has passed"),
            ({**closure, "date": today.isoformat(), "departments": ""}, "departments",
             "at least one department"),
            ({**closure, "date": today.isoformat(), "kind": "special", "open_1": "10:00",
              "close_1": "25:00"}, "close_1", "not a time of day"),
        ):  # fmt: skip
            answer = await page.post("/exceptions", form)
            assert answer.status_code == 400, form
            assert message in error_on(answer.text, field)
        assert 'name="open_1" value="10:00"' in answer.text  # what was typed stays
        assert (await dealership(server)).dated_hours == []

        # Closed today: sales is not open now, and the page says when it opens next.
        added = await page.post("/exceptions", {**closure, "date": today.isoformat()})
        assert added.status_code == 303
        after = (await page.get()).text
        assert "Stocktake" in after and f'data-testid="hours-exception-{today}"' in after
        status = re.search(r'data-testid="hours-status-sales">(.*?)</li>', after, re.S)
        assert status is not None and "Open now" not in status.group(1)
        assert "Opens " in status.group(1)
        stored = (await dealership(server)).dated_hours
        assert stored == [
            {"date": today.isoformat(), "departments": ["sales"], "ranges": [],
             "label": "Stocktake"}
        ]  # fmt: skip
        # The ladder's own view of the store reads it too.
        assert not dealership_view(await dealership(server)).is_open("sales", server.clock.now())
        removed = await page.post(
            "/exceptions/remove", {"date": today.isoformat(), "departments": "sales"}
        )
        assert removed.status_code == 303
        assert "weekly hours again" in (await page.get()).text
        assert (await dealership(server)).dated_hours == []
        assert await audit_actions(server) == ["hours.add_exception", "hours.remove_exception"]


async def test_another_stores_hours_are_a_404_and_stay_as_they_were(
    serve_inprocess: Start,
) -> None:
    server = await serve_inprocess()
    async with server.runtime.db.sessions() as session, session.begin():
        await create_dealership(
            session, slug="other-motors", name="Other Motors", time_zone="America/New_York",
            origins=[],
        )  # fmt: skip
    other = await dealership(server, "other-motors")
    a = await dealership(server)
    async with signed_in(server.url, MORGAN) as http:
        token = csrf_of((await http.get(f"/console/settings/dealerships/{a.id}/hours")).text)
        base = f"/console/settings/dealerships/{other.id}/hours"
        assert (await http.get(base)).status_code == 404
        for tail, form in (
            ("/week", week_form("sales")),
            ("/time-zone", {"time_zone": "Europe/London"}),
            ("/time-zone", {"time_zone": "Mars/Olympus"}),  # scope before input
            ("/exceptions", {"date": "2099-01-01", "departments": "sales", "kind": "closed"}),
            ("/exceptions/remove", {"date": "2099-01-01"}),
        ):
            answer = await http.post(f"{base}{tail}", data={**form, "csrf_token": token})
            assert answer.status_code == 404, tail
    after = await dealership(server, "other-motors")
    assert (after.hours, after.time_zone, after.dated_hours) == (
        other.hours,
        other.time_zone,
        other.dated_hours,
    )
    assert await audit_actions(server) == []
