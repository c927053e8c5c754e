"""The ladder and widget settings pages in Chromium, as a manager uses them: the ladder's
plain-words previews follow a saved change; the widget's live preview follows the form as
it is typed (colour, contrast, greeting, side, language); the snippet's Copy button copies
(and, without the async clipboard, selects); both pages fit a 390 px phone, pass axe, and
run under the console's strict CSP. Screenshots: settings-ladder*, settings-widget*."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from chat_server.demo_world import DEMO_SLUG
from chat_server.store.database import open_database
from chat_server.store.models import Dealership
from tests.e2e.axe import serious_violations
from tests.e2e.conftest import DEMO_PASSWORD, SCREENSHOTS, screenshot
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

MORGAN = "morgan@demo-motors.test"
# Installed before any page script: every CSP violation the page reports.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
});
"""


async def _manager(browser: Browser, server: ServerProcess, width: int, height: int) -> Page:
    context = await browser.new_context(viewport={"width": width, "height": height})
    await context.add_init_script(WATCH_CSP)
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    await page.goto(server.url + "/console/sign-in")
    await page.fill("input[name=email]", MORGAN)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("[data-testid=sign-in]")
    await page.wait_for_url(lambda url: "/sign-in" not in url)
    return page


async def _fits_and_is_accessible(page: Page, name: str) -> None:
    await screenshot(page, name)
    # The whole page too, to look at what lies below the fold.
    backend = os.environ.get("DEALER_CHAT_TEST_BACKEND", "embedded")
    full = SCREENSHOTS / f"{backend}-{name}-full.png"
    await page.screenshot(path=str(full), full_page=True, animations="disabled")
    overflow = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px of horizontal scrolling"
    assert await serious_violations(page) == [], name
    assert await page.evaluate("() => window.__csp") == [], name


def _rgb(color: str) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


async def _accent(page: Page, selector: str) -> str:
    return await page.evaluate(
        "(s) => getComputedStyle(document.querySelector(s)).backgroundColor", selector
    )


async def test_a_manager_sets_the_ladder_and_the_widget(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server()
    async with open_database(server.database_url) as db, db.sessions() as session:
        demo = await session.scalar(select(Dealership).where(Dealership.slug == DEMO_SLUG))
    assert demo is not None
    base = f"{server.url}/console/settings/dealerships/{demo.id}"

    # --- the ladder, on a desktop ----------------------------------------------------------
    page = await _manager(browser, server, 1280, 800)
    await page.goto(f"{base}/ladder")
    previews = page.locator("[data-testid=ladder-preview]")
    await expect(previews.first).to_contain_text("Now")
    await expect(page.get_by_text("A weekday morning")).to_be_visible()
    await expect(page.get_by_test_id("ladder-previews")).to_contain_text(
        "rings every salesperson on shift for 20 s, then the pool for 25 s"
    )
    await _fits_and_is_accessible(page, "settings-ladder")
    # A refused value comes back on its field; nothing is saved.
    await page.fill("[data-testid=ladder-store_window_s]", "601")
    await page.click("[data-testid=ladder-save]")
    await expect(page.get_by_test_id("error-store_window_s")).to_contain_text(
        "between 5 and 600 seconds"
    )
    await screenshot(page, "settings-ladder-refused")
    # A good change is saved and the previews follow it.
    await page.fill("[data-testid=ladder-store_window_s]", "30")
    await page.select_option("select[name=strategy]", "round_robin")
    await page.select_option("select[name=after_hours]", "pool")
    await page.click("[data-testid=ladder-save]")
    await expect(page.get_by_test_id("settings-notice")).to_have_text("Ladder settings saved.")
    await expect(page.get_by_test_id("ladder-previews")).to_contain_text(
        "rings salespeople one at a time, 8 s each, for 30 s, then the pool for 25 s"
    )
    await expect(page.get_by_test_id("ladder-previews")).to_contain_text(
        "A chat at 8:15 pm on Saturday rings the pool for 25 s, then asks for contact details."
    )

    # --- the widget, on a desktop ----------------------------------------------------------
    await page.goto(f"{base}/widget")
    stage = "[data-testid=widget-preview-stage]"
    launcher = "[data-testid=widget-preview-launcher]"
    ready = f"{stage}[data-ready=true]"  # settings-widget.js has wired the form
    await page.locator(ready).wait_for()
    await expect(page.locator(stage)).to_have_attribute("data-shown", demo.widget_color)
    assert await _accent(page, launcher) == _rgb(demo.widget_color)
    # The preview follows the form as it is typed, the contrast with it.
    await page.fill("[data-testid=widget-color]", "#ffff00")
    await expect(page.get_by_test_id("widget-contrast")).to_contain_text("1.0:1 (needs 4.5:1)")
    await expect(page.get_by_test_id("widget-contrast")).to_contain_text("too light")
    assert await _accent(page, launcher) == "rgb(255, 255, 0)"
    await page.fill("[data-testid=widget-greeting]", "¡Hola! ¿Buscas un auto?")
    await expect(page.get_by_test_id("widget-preview-greeting")).to_have_text(
        "¡Hola! ¿Buscas un auto?"
    )
    await page.select_option("select[name=side]", "left")
    await page.select_option("select[name=language]", "es")
    await expect(page.locator(stage)).to_have_attribute("data-side", "left")
    await expect(page.locator("#wp-send")).to_have_text("Enviar")
    box = await page.locator(launcher).bounding_box()
    frame = await page.locator(stage).bounding_box()
    assert box is not None and frame is not None
    assert box["x"] - frame["x"] < frame["width"] / 2, "the launcher moved to the left"
    # The server refuses the light colour on its field, keeping what was typed.
    await page.click("[data-testid=widget-save]")
    await expect(page.get_by_test_id("error-color")).to_contain_text("at least 4.5:1")
    await page.locator(ready).wait_for()
    await expect(page.get_by_test_id("widget-greeting")).to_have_value("¡Hola! ¿Buscas un auto?")
    # The colour picker and the text field are one value.
    await page.fill("[data-testid=widget-color-picker]", "#1a5c2e")
    await expect(page.get_by_test_id("widget-color")).to_have_value("#1a5c2e")
    assert await _accent(page, launcher) == "rgb(26, 92, 46)"
    await page.click("[data-testid=widget-save]")
    await expect(page.get_by_test_id("settings-notice")).to_contain_text("Widget saved.")
    await page.locator(ready).wait_for()
    assert await _accent(page, launcher) == "rgb(26, 92, 46)"
    # An allowed origin: added, normalised, listed.
    await page.fill("[data-testid=widget-origin-input]", "http://Dealer.Example:8080/")
    await page.click("[data-testid=widget-origin-submit]")
    await expect(page.get_by_test_id("settings-notice")).to_contain_text(
        "http://dealer.example:8080"
    )
    await expect(page.get_by_test_id("widget-origin").last).to_contain_text(
        "http://dealer.example:8080"
    )
    # The snippet is copied as it stands.
    snippet = await page.get_by_test_id("widget-snippet-text").input_value()
    assert snippet == (
        f'<script src="{server.url}/widget.js" data-site="{demo.site_key}" async></script>'
    )
    await page.click("[data-testid=widget-copy]")
    await expect(page.get_by_test_id("widget-copy-status")).to_have_text("Copied")
    assert await page.evaluate("() => navigator.clipboard.readText()") == snippet
    await screenshot(page, "settings-widget-copied")
    await page.evaluate("() => window.scrollTo(0, 0)")
    await _fits_and_is_accessible(page, "settings-widget")
    await page.context.close()

    # --- both on a phone ---------------------------------------------------------------------
    phone = await _manager(browser, server, 390, 844)
    await phone.goto(f"{base}/ladder")
    await _fits_and_is_accessible(phone, "settings-ladder-phone")
    await phone.goto(f"{base}/widget")
    await phone.locator(ready).wait_for()
    await expect(phone.locator(stage)).to_have_attribute("data-side", "left")
    await expect(phone.locator("#wp-send")).to_have_text("Enviar")
    # Without the async clipboard the button selects the whole snippet instead.
    await phone.evaluate(
        "() => Object.defineProperty(navigator, 'clipboard', { value: undefined })"
    )
    await phone.click("[data-testid=widget-copy]")
    await expect(phone.get_by_test_id("widget-copy-status")).not_to_be_empty()
    selected = await phone.evaluate(
        "() => { const t = document.getElementById('widget-snippet');"
        " return t.value.slice(t.selectionStart, t.selectionEnd); }"
    )
    assert selected == snippet
    await phone.locator("[data-testid=widget-snippet]").scroll_into_view_if_needed()
    await _fits_and_is_accessible(phone, "settings-widget-phone")
    await phone.locator("[data-testid=widget-preview]").scroll_into_view_if_needed()
    await screenshot(phone, "settings-widget-phone-preview")
