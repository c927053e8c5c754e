"""The platform admin's pages in Chromium: dealerships, groups and pools; a pool's coverage;
the audit log. Screenshots at desktop size and at 390x844, no sideways scrolling, axe clean."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Browser, Page, expect

from chat_server.demo_world import DEMO_PASSWORD
from chat_server.store.database import open_database
from tests.e2e.axe import serious_violations
from tests.e2e.conftest import new_page, screenshot
from tests.e2e.layout import overflow_problems
from tests.support.seed import add_platform_admin
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ADA = "ada@platform.test"
PHONE = {"width": 390, "height": 844}


async def add_admin(server: ServerProcess) -> None:
    async with (
        open_database(server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        await add_platform_admin(session, ADA)


async def fits_and_passes_axe(page: Page, name: str) -> None:
    """A screenshot, no sideways scrolling, and no serious or critical axe finding."""
    await screenshot(page, name)
    assert await overflow_problems(page) == [], f"{name} scrolls sideways"
    assert await serious_violations(page) == [], name


async def test_the_admin_shapes_the_installation_and_reads_the_log(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server()
    await add_admin(server)
    page = await new_page(browser)
    await page.goto(server.url + "/console/sign-in")
    await page.fill("input[name=email]", ADA)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("[data-testid=sign-in]")
    await page.wait_for_url("**/console")
    await page.goto(server.url + "/console/settings")
    await fits_and_passes_axe(page, "settings-index")
    await page.click("[data-testid=settings-platform]")

    # A new store, a group for it, and a second pool.
    create = page.locator("[data-testid=create-dealership]")
    await create.locator("input[name=name]").fill("Lake Ford")
    await create.locator("input[name=slug]").fill("lake-ford")
    await create.locator("input[name=time_zone]").fill("America/Denver")
    await create.locator("input[name=origin]").fill("https://www.lakeford.example")
    await create.get_by_role("button", name="Create dealership").click()
    await expect(page.get_by_test_id("settings-notice")).to_contain_text("Created Lake Ford")
    await expect(page.get_by_test_id("platform-dealership-lake-ford")).to_contain_text(
        "America/Denver"
    )
    # The same short name again: refused beside the field, what was typed kept.
    await create.locator("input[name=name]").fill("Lake Ford Two")
    await create.locator("input[name=slug]").fill("lake-ford")
    await create.locator("input[name=time_zone]").fill("America/Denver")
    await create.get_by_role("button", name="Create dealership").click()
    await expect(page.get_by_test_id("error-slug")).to_contain_text("already uses")
    await expect(create.locator("input[name=name]")).to_have_value("Lake Ford Two")
    await expect(create.locator("input[name=slug]")).to_have_attribute("aria-invalid", "true")

    await page.locator("input[name=group_name]").fill("Lakeside Auto")
    await page.get_by_role("button", name="Create group").click()
    assign = page.locator("[data-testid=assign-group]")
    await assign.locator("select[name=group_dealership]").select_option(label="Lake Ford")
    await assign.locator("select[name=group]").select_option(label="Lakeside Auto")
    await assign.get_by_role("button", name="Save group").click()
    await expect(page.get_by_test_id("settings-notice")).to_contain_text("Lakeside Auto")
    await page.locator("input[name=pool_name]").fill("Evening Desk")
    await page.get_by_role("button", name="Create pool").click()
    await expect(page.get_by_test_id("platform-pools")).to_contain_text("Evening Desk")
    await fits_and_passes_axe(page, "settings-platform")
    platform_url = page.url

    # Night Owl BDC covers Lake Ford too.
    await page.get_by_test_id("platform-pools").get_by_role("link", name="Night Owl BDC").click()
    await page.locator("select[name=dealership]").select_option(label="Lake Ford")
    await page.get_by_role("button", name="Cover it").click()
    await expect(page.get_by_test_id("covered-lake-ford")).to_be_visible()
    await expect(page.get_by_test_id("covered-demo-motors")).to_be_visible()
    await fits_and_passes_axe(page, "settings-pool")
    pool_url = page.url

    # The log: newest first, in each store's own time zone.
    await page.goto(server.url + "/console/settings/audit")
    entries = page.get_by_test_id("audit-entry")
    await expect(entries).to_have_count(5)
    await expect(entries.first).to_contain_text("made the pool cover a dealership")
    await expect(entries.first).to_contain_text("America/Denver")
    await expect(entries.nth(4)).to_contain_text("created the dealership")
    await expect(entries.nth(4)).to_contain_text("lake-ford")
    await fits_and_passes_axe(page, "settings-audit")

    await page.set_viewport_size(PHONE)
    for url, name in (
        (server.url + "/console/settings", "settings-index-phone"),
        (platform_url, "settings-platform-phone"),
        (pool_url, "settings-pool-phone"),
        (server.url + "/console/settings/audit", "settings-audit-phone"),
    ):
        await page.goto(url)
        await fits_and_passes_axe(page, name)
    await page.context.close()
