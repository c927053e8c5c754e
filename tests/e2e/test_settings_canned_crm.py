"""A manager's canned replies, CRM and API, and receptionist's card pages in Chromium: each
used once, then photographed at desktop size and at 390x844, with no sideways scrolling and
no serious axe finding. The test lead goes to a real loopback webhook."""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import pytest
from playwright.async_api import Browser, Page, expect

from chat_server.demo_world import DEMO_PASSWORD
from tests.e2e.axe import serious_violations
from tests.e2e.conftest import SCREENSHOTS, new_page, screenshot
from tests.e2e.layout import overflow_problems
from tests.leads.receivers import WebhookReceiver
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

MORGAN = "morgan@demo-motors.test"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BACKEND = os.environ.get("DEALER_CHAT_TEST_BACKEND", "embedded")


async def photographed(page: Page, name: str) -> None:
    """Screenshots at both sizes, no sideways scrolling on the phone, and axe clean."""
    for size, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
        await page.set_viewport_size(size)
        await page.evaluate("() => window.scrollTo(0, 0)")
        await screenshot(page, f"settings-{name}{suffix}")
        # The whole page too, to look at (test-artifacts/screenshots/*-full.png).
        whole = SCREENSHOTS / f"{BACKEND}-settings-{name}{suffix}-full.png"
        await page.screenshot(path=str(whole), full_page=True, animations="disabled")
        assert await overflow_problems(page) == [], f"{name}{suffix} scrolls sideways"
        assert await serious_violations(page) == [], f"{name}{suffix}"
    await page.set_viewport_size(DESKTOP)


async def test_canned_replies_crm_and_the_card_in_the_browser(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server()
    page = await new_page(browser)
    await page.goto(server.url + "/console/sign-in")
    await page.fill("input[name=email]", MORGAN)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("[data-testid=sign-in]")
    await page.wait_for_url("**/console")
    await page.goto(server.url + "/console/settings")
    await page.click("[data-testid=settings-demo-motors-canned]")

    # Canned replies: a refused placeholder, then a reply added, moved to the top, previewed.
    add = page.get_by_test_id("canned-add-form")
    await add.locator("input[name=title]").fill("Trade-in")
    await add.locator("textarea[name=body]").fill("{agent} can value your trade for {price}.")
    await add.get_by_test_id("canned-add").click()
    await expect(add.get_by_test_id("error-body")).to_contain_text("Unknown placeholder {price}")
    await add.locator("textarea[name=body]").fill(
        "Hi, {agent} at {dealership}: bring your trade-in when you test drive the {vehicle}."
    )
    await add.get_by_test_id("canned-add").click()
    await expect(page.get_by_test_id("settings-notice")).to_contain_text("Added “Trade-in”")
    replies = page.get_by_test_id("canned-reply")
    await expect(replies).to_have_count(4)
    trade_in = replies.filter(has=page.get_by_test_id("canned-title").get_by_text("Trade-in"))
    for _ in range(3):
        await trade_in.get_by_test_id("canned-up").click()
    await expect(replies.first.get_by_test_id("canned-title")).to_have_text("Trade-in")
    await expect(replies.first.get_by_test_id("canned-preview")).to_contain_text(
        "Hi, Morgan Lee at Demo Motors: bring your trade-in when you test drive the "
        "2024 Toyota RAV4 XLE."
    )
    await replies.nth(1).locator("summary").click()  # the edit form of the next one, open
    await photographed(page, "canned")

    # CRM and API: a webhook on this machine; its secret once; a test lead to it; a token.
    with WebhookReceiver([200]) as hook:
        await page.get_by_test_id("settings-tab-crm").click()
        form = page.get_by_test_id("crm-form")
        await form.locator("textarea[name=addresses]").fill("leads@crm.example.com")
        await form.get_by_test_id("crm-webhook-url").fill("http://crm.example.com/leads")
        await form.get_by_test_id("crm-save").click()
        await expect(form.get_by_test_id("error-webhook_url")).to_contain_text("https://")
        await form.get_by_test_id("crm-webhook-url").fill(hook.url)
        await form.get_by_test_id("crm-cadence").fill("1, 3, 7, 14")
        await form.get_by_test_id("crm-save").click()
        secret = (await page.get_by_test_id("webhook-secret").inner_text()).strip()
        assert len(secret) >= 40
        await page.get_by_test_id("crm-test-lead").click()
        results = page.get_by_test_id("test-lead-result")
        await expect(results).to_have_count(2)
        await expect(results.nth(0)).to_contain_text("logged only: no SMTP server configured")
        await expect(results.nth(1)).to_contain_text("Delivered")
        await expect(results.nth(1)).to_contain_text("HTTP 200 (signed)")
        assert await page.get_by_test_id("webhook-secret").count() == 0  # once, and gone
        [(_headers, body)] = hook.requests
        assert json.loads(body)["lead"]["customer"]["name"] == "Test Lead"
    await photographed(page, "crm")
    await page.get_by_test_id("token-name").fill("CRM sync")
    await page.get_by_test_id("token-create").click()
    await expect(page.get_by_test_id("api-token")).to_contain_text("dct_")
    await expect(page.get_by_test_id("token-row")).to_have_count(1)
    await screenshot(page, "settings-crm-token-once")
    # The address bar is the page's own again: reloading is a GET, which does not show the
    # token again (nor makes another).
    assert page.url.endswith("/crm")
    await page.reload()
    assert await page.get_by_test_id("api-token").count() == 0
    await expect(page.get_by_test_id("token-row")).to_have_count(1)

    # The receptionist's card: a bad phone refused, then saved and shown as receptionists see it.
    await page.get_by_test_id("settings-tab-card").click()
    await page.get_by_test_id("card-phone").fill("call the store")
    await page.get_by_test_id("card-save").click()
    await expect(page.get_by_test_id("error-phone")).to_contain_text("not a phone number")
    await page.get_by_test_id("card-phone").fill("312 555 0177")
    await page.locator("textarea[name=notes]").fill(
        "Free loaner for service over 2 hours.\nTest drives need a licence.\n"
        "Never quote out-the-door prices in chat: offer a callback from sales."
    )
    await page.get_by_test_id("card-save").click()
    await expect(page.get_by_test_id("settings-notice")).to_contain_text("card is saved")
    await expect(page.get_by_test_id("card-preview-phone")).to_have_text("Phone: (312) 555-0177")
    await expect(page.get_by_test_id("card-departments")).to_contain_text("Service")
    await photographed(page, "card")
