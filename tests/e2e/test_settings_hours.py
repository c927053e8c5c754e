"""The Hours page in Chromium: Morgan sets a department's week (a refused overlap first), adds
a holiday closure and special hours, and reads "open now" or the next opening. Screenshots
at desktop size and at 390x844 (and the whole page on a phone), no sideways scrolling, axe
clean."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from chat_server.demo_world import DEMO_PASSWORD, DEMO_SLUG
from chat_server.store.database import open_database
from chat_server.store.models import Dealership
from tests.e2e.axe import serious_violations
from tests.e2e.conftest import SCREENSHOTS, new_page, screenshot
from tests.e2e.layout import overflow_problems
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

MORGAN = "morgan@demo-motors.test"
PHONE = {"width": 390, "height": 844}


async def demo_dealership(server: ServerProcess) -> Dealership:
    async with open_database(server.database_url) as db, db.sessions() as session:
        row = await session.scalar(select(Dealership).where(Dealership.slug == DEMO_SLUG))
    assert row is not None
    return row


async def fits_and_passes_axe(page: Page, name: str) -> None:
    """A screenshot (and the whole page), no sideways scrolling, no serious axe finding."""
    await screenshot(page, name)
    backend = os.environ.get("DEALER_CHAT_TEST_BACKEND", "embedded")
    await page.screenshot(path=str(SCREENSHOTS / f"{backend}-{name}-full.png"), full_page=True)
    assert await overflow_problems(page) == [], f"{name} scrolls sideways"
    assert await serious_violations(page) == [], name


async def sign_in(page: Page, server: ServerProcess) -> None:
    await page.goto(server.url + "/console/sign-in")
    await page.fill("input[name=email]", MORGAN)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("[data-testid=sign-in]")
    await page.wait_for_url("**/console")


async def test_a_manager_sets_hours_and_a_holiday(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server()
    store = await demo_dealership(server)
    today = datetime.now(UTC).astimezone(ZoneInfo(store.time_zone)).date()
    page = await new_page(browser)
    await sign_in(page, server)
    await page.goto(server.url + "/console/settings")
    await page.goto(f"{server.url}/console/settings/dealerships/{store.id}/hours")
    await expect(page.get_by_test_id("hours-zone")).to_contain_text("America/Chicago")
    await expect(page.get_by_test_id("hours-status-sales")).to_contain_text("Sales")

    # Service: a lunch break on Monday, but first two ranges that overlap.
    service = page.get_by_test_id("hours-week-service")
    monday = service.get_by_test_id("hours-service_mon")
    await monday.locator("input[name=service_mon_open_1]").fill("08:00")
    await monday.locator("input[name=service_mon_close_1]").fill("12:30")
    await monday.locator("input[name=service_mon_open_2]").fill("12:00")
    await monday.locator("input[name=service_mon_close_2]").fill("17:00")
    await service.get_by_role("button", name="Save service hours").click()
    await expect(page.get_by_test_id("error-service_mon_open_2")).to_contain_text("overlaps")
    # The page is long: the refused field is brought into view with the focus.
    await expect(page.locator("input[name=service_mon_open_2]")).to_be_focused()
    await expect(page.locator("input[name=service_mon_close_1]")).to_have_value("12:30")
    await page.locator("input[name=service_mon_close_1]").fill("12:00")
    # Sunday closed: its times step aside.
    sunday = page.get_by_test_id("hours-service_sun")
    await sunday.locator("input[name=service_sun_closed]").check()
    await expect(sunday.locator("input[name=service_sun_open_1]")).to_be_hidden()
    await page.get_by_role("button", name="Save service hours").click()
    await expect(page.get_by_test_id("settings-notice")).to_contain_text("Service hours saved")

    # A holiday closure for sales and service, and special hours for sales the day after.
    holiday, after = today + timedelta(days=20), today + timedelta(days=21)
    add = page.get_by_test_id("hours-add-exception")
    await add.locator("input[name=date]").fill(holiday.isoformat())
    await add.locator("input[name=label]").fill("Founders' Day")
    await add.locator("input[name=departments][value=service]").check()
    await expect(add.get_by_test_id("hours-special")).to_be_hidden()
    await add.get_by_role("button", name="Add date").click()
    await expect(page.get_by_test_id("settings-notice")).to_contain_text("Sales, Service closed")
    await expect(page.get_by_test_id(f"hours-exception-{holiday}")).to_contain_text("Founders' Day")
    add = page.get_by_test_id("hours-add-exception")
    await add.locator("input[name=date]").fill(after.isoformat())
    await add.locator("input[name=kind][value=special]").check()
    await expect(add.get_by_test_id("hours-special")).to_be_visible()
    await add.locator("input[name=open_1]").fill("10:00")
    await add.locator("input[name=close_1]").fill("14:00")
    await add.get_by_role("button", name="Add date").click()
    await expect(page.get_by_test_id(f"hours-exception-{after}")).to_contain_text(
        "10:00 AM – 2:00 PM"
    )
    # The same closure for sales again but with other hours: refused beside the date.
    add = page.get_by_test_id("hours-add-exception")
    await add.locator("input[name=date]").fill(holiday.isoformat())
    await add.locator("input[name=kind][value=special]").check()
    await add.locator("input[name=open_1]").fill("09:00")
    await add.locator("input[name=close_1]").fill("12:00")
    await add.get_by_role("button", name="Add date").click()
    await expect(page.get_by_test_id("error-date")).to_contain_text("already has an exception")
    await fits_and_passes_axe(page, "settings-hours-refused")

    await page.goto(f"{server.url}/console/settings/dealerships/{store.id}/hours")
    await fits_and_passes_axe(page, "settings-hours")
    phone = await new_page(browser, **PHONE)
    await sign_in(phone, server)
    await phone.goto(f"{server.url}/console/settings/dealerships/{store.id}/hours")
    await expect(phone.get_by_test_id("hours-exceptions")).to_contain_text("Founders' Day")
    await fits_and_passes_axe(phone, "settings-hours-phone")
    await phone.set_viewport_size({"width": 360, "height": 740})  # the narrowest phone we serve
    assert await overflow_problems(phone) == [], "the page scrolls sideways at 360 px"
    # The removed date keeps its weekly hours again.
    await phone.get_by_test_id(f"hours-exception-{after}").get_by_role("button").click()
    await expect(phone.get_by_test_id("settings-notice")).to_contain_text("weekly hours again")
    await expect(phone.get_by_test_id(f"hours-exception-{after}")).to_have_count(0)

    row = await demo_dealership(server)
    assert row.hours["service"]["mon"] == [["08:00", "12:00"], ["12:00", "17:00"]]
    assert row.hours["service"]["sun"] == []
    assert [(e["date"], e["departments"]) for e in row.dated_hours] == [
        (holiday.isoformat(), ["sales", "service"])
    ]
