"""A manager works a lead on a phone, in Chromium: the list, the detail with a send that was
only logged (and the way to the CRM settings), the follow-up log saying who called, and the
dashboard's tables as cards. Full-page screenshots at 390x844 and 1280x800.

The words and times themselves are checked over HTTP on both backends
(tests/leads/test_lead_pages.py); the layout of every page at 360-414 px in
tests/e2e/test_console_layout.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_console_layout import LOGINS, ROSA, seed_console_world, sign_in
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


async def full_page(page: Page, name: str) -> None:
    """The viewport (``screenshot``) and the whole page below it, both looked at."""
    shown = await screenshot(page, name)
    await page.screenshot(path=str(shown.with_name(f"{shown.stem}-full.png")), full_page=True)


async def fits(page: Page) -> bool:
    return bool(
        await page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    )


async def test_a_manager_works_a_logged_lead_on_a_phone(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server()
    world = await seed_console_world(server)
    context = await browser.new_context(viewport=PHONE)
    await sign_in(context, server, LOGINS["manager"])
    page = await context.new_page()
    page.set_default_timeout(15_000)

    await page.goto(server.url + "/console/leads")
    rosa = page.get_by_test_id("lead").filter(has_text=ROSA)
    await expect(rosa).to_contain_text("(312) 555-0199")
    await expect(rosa).to_contain_text("Any time")
    assert await fits(page)
    await full_page(page, "leads-phone")
    await rosa.get_by_test_id("lead-link").click()

    # The send that was only logged says so, in words and a symbol, with the way to fix it.
    logged = page.locator("[data-testid=delivery][data-state=logged]")
    await expect(logged).to_contain_text("Logged only — no CRM e-mail is configured")
    await expect(logged).not_to_contain_text("Delivered")
    await expect(page.get_by_test_id("lead-consent")).to_contain_text("Yes")
    await expect(page.get_by_test_id("attempt").first).to_contain_text("Phone call by Morgan Lee")

    # A text logged from the phone joins the log, with who sent it.
    form = page.get_by_test_id("attempt-form")
    await form.locator("select[name=channel]").select_option("text")
    await form.locator("textarea[name=note]").fill("Texted the RAV4's photos")
    await form.get_by_role("button", name="Log attempt").click()
    await expect(page.get_by_text("Attempt logged.")).to_be_visible()
    latest = page.get_by_test_id("attempt").nth(1)
    await expect(latest).to_contain_text("Text message by Morgan Lee")
    await expect(latest).to_contain_text("Attempt 2, day 1")
    assert await fits(page)
    await full_page(page, "lead-detail-phone")
    await page.set_viewport_size(DESKTOP)
    await full_page(page, "lead-detail-desktop")

    # "Lost" needs a reason, said beside the form.
    status = page.get_by_test_id("status-form")
    await status.locator("select[name=status]").select_option("lost")
    await status.get_by_role("button", name="Save status").click()
    await expect(page.get_by_test_id("lead-error")).to_contain_text("why")

    await page.set_viewport_size(PHONE)
    await page.get_by_test_id("crm-settings-link").click()
    await expect(page).to_have_url(
        f"{server.url}/console/settings/dealerships/{world['dealership_id']}/crm"
    )
    await expect(page.get_by_test_id("no-smtp")).to_be_visible()

    # The dashboard's tables are labelled cards on a phone: every number visible, none cut.
    await page.goto(server.url + "/console/dashboard?period=30d")
    alex = page.get_by_test_id("salesperson").first
    # The labels are CSS (innerText leaves them out); the accessible names carry them.
    await expect(alex.get_by_role("cell", name="Rings offered: 5")).to_be_visible()
    assert await fits(page)
    clipped = await page.evaluate(
        """() => [...document.querySelectorAll('.dash-grid .card')]
            .filter((card) => card.scrollWidth > card.clientWidth + 1).length"""
    )
    assert clipped == 0
    await full_page(page, "dashboard-phone")
    await page.set_viewport_size(DESKTOP)
    await full_page(page, "dashboard-desktop")
