"""The console's lead pages in real Chromium: list, detail, status, attempts, delivery log."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Browser

from tests.conftest import BACKEND
from tests.e2e.conftest import SCREENSHOTS, browser, chromium, new_page, screenshot  # noqa: F401
from tests.leads.chats import FAST_LADDER, eventually, unanswered_chat
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

HOSTILE_NAME = "<img src=x onerror=alert(1)> Rosa ]]> Díaz"


async def test_manager_works_a_lead_in_the_console(
    browser: Browser,  # noqa: F811
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(FAST_LADDER)
    await unanswered_chat(
        server,
        {"name": HOSTILE_NAME, "phone": "312 555 0199", "email": "", "preferred_time": "morning"},
    )
    page = await new_page(browser)
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto(server.url + "/console/sign-in")
    await page.fill("input[name=email]", "morgan@demo-motors.test")
    await page.fill("input[name=password]", "demo-password")
    await page.click("[data-testid=sign-in]")
    await page.wait_for_url("**/console**")
    await page.goto(server.url + "/console/leads")
    row = page.locator("[data-testid=lead]")
    await row.wait_for()
    assert await row.count() == 1
    link = row.locator("[data-testid=lead-link]")
    assert (await link.inner_text()).strip() == HOSTILE_NAME  # shown as text, not markup
    assert "+13125550199" in await row.inner_text()
    await screenshot(page, "leads-list")

    await link.click()
    await page.locator("[data-testid=lead-name]").wait_for()
    assert "Is it there?" in await page.locator("[data-testid=lead-transcript]").inner_text()
    assert "Next attempt due" in await page.locator("[data-testid=next-task]").inner_text()

    # Log a call: the lead becomes contacted and the first task is done.
    await page.select_option("[data-testid=attempt-form] select[name=channel]", "call")
    await page.fill("[data-testid=attempt-form] textarea[name=note]", "Left a voicemail")
    await page.click("[data-testid=attempt-form] button")
    await page.wait_for_selector("text=Attempt logged.")
    assert (await page.locator("[data-testid=lead-status]").inner_text()) == "contacted"
    assert "Left a voicemail" in await page.locator("[data-testid=attempts]").inner_text()

    # Lost needs a reason.
    await page.select_option("[data-testid=status-form] select[name=status]", "lost")
    await page.click("[data-testid=status-form] button")
    assert "why" in await page.locator("[data-testid=lead-error]").inner_text()
    await page.select_option("[data-testid=status-form] select[name=status]", "lost")
    await page.fill("[data-testid=status-form] input[name=reason]", "bought elsewhere")
    await page.click("[data-testid=status-form] button")
    await page.wait_for_selector("text=Status saved.")
    assert (await page.locator("[data-testid=lead-status]").inner_text()) == "lost"

    # The delivery log shows the first send; a manual resend adds a second one.
    await page.click("[data-testid=resend]")
    await page.wait_for_selector("text=Resend queued to 1 target(s).")

    async def both_sent() -> bool:
        await page.reload()
        text = await page.locator("[data-testid=deliveries]").inner_text()
        return text.count("delivered") == 2 and "resend" in text

    await eventually(both_sent)
    assert (
        "logged (no SMTP host configured)"
        in await page.locator("[data-testid=deliveries]").inner_text()
    )
    await screenshot(page, "lead-detail")
    await page.screenshot(path=str(SCREENSHOTS / f"{BACKEND}-lead-detail-full.png"), full_page=True)
    narrow = await new_page(browser, width=390, height=844)
    await narrow.context.add_cookies(await page.context.cookies())
    await narrow.goto(page.url)
    await screenshot(narrow, "lead-detail-phone")
    assert dialogs == []
