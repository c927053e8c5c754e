"""The widget on a deliberately hostile dealer page (tests/widget/hostile_site.py), at desktop
and phone sizes: a shopper opens it, chats with a salesperson and leaves contact details; the
vehicle from the page's JSON-LD reaches the console; the public API reports its events; and
a page with a strict Content-Security-Policy works with only the sources docs/widget.md lists."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Browser, Page, expect

from chat_server.demo_world import DEMO_SITE_KEY
from tests.e2e.conftest import new_page, screenshot, shopper_says, signed_in_console
from tests.support.server_process import ServerProcess
from tests.widget.hostile_site import hostile_site

pytestmark = pytest.mark.e2e

ALEX = "alex@demo-motors.test"

RECORD_EVENTS = """() => {
  for (const name of ['opened', 'closed', 'message_sent', 'contact_submitted', 'agent_joined']) {
    window.DealerChat.on(name, () => { window.__events += name + ' '; });
  }
}"""


async def open_widget(page: Page) -> None:
    # Playwright clicks only what would really receive the click: the overlay must not cover us.
    await page.click("[data-dc=launcher]")
    await page.locator("[data-dc=panel]").wait_for()


async def test_a_shopper_chats_and_leaves_details_on_a_hostile_page(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 60, "pool_window": 60})
    server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    with hostile_site(server.url, DEMO_SITE_KEY) as site:
        server.admin("allow-origin", "--dealership", "demo-motors", "--origin", site)
        alex = await signed_in_console(browser, server, ALEX)

        shopper = await new_page(browser)
        errors: list[str] = []
        shopper.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        await shopper.goto(site + "/")
        await shopper.wait_for_function("window.DealerChat && window.DealerChat.version === 1")
        # Bad arguments: a clear console error, nothing thrown into the page.
        await shopper.evaluate(
            "() => { DealerChat.setContext('RAV4'); DealerChat.on('nope', 1);"
            " DealerChat.identify({email: 'not-an-email', shoe: 9}); }"
        )
        assert any("setContext expects an object" in e for e in errors), errors
        assert any('unknown event "nope"' in e for e in errors), errors
        assert any("not-an-email" in e for e in errors), errors
        await shopper.evaluate(RECORD_EVENTS)
        await shopper.wait_for_timeout(900)  # the late overlay is on the page now
        await open_widget(shopper)

        # The page's reset did not reach inside: our font, our sizes, our colours.
        launcher = shopper.locator("[data-dc=launcher]")
        box = await launcher.bounding_box()
        assert box is not None and round(box["width"]) == 60 and round(box["height"]) == 60
        font = await shopper.locator("[data-dc=input]").evaluate(
            "el => getComputedStyle(el).fontFamily + '|' + getComputedStyle(el).fontSize"
        )
        assert "Comic" not in font and font.endswith("|16px"), font

        await shopper_says(shopper, "Is the Tacoma still on the lot?")
        status = shopper.locator("[data-dc=status]")
        await expect(status).to_contain_text("Ringing the sales team at Demo Motors")
        await expect(status).to_contain_text("waiting 0:0")
        await expect(shopper.locator("[data-dc=message]").first).to_have_attribute("data-seq", "1")
        # The vehicle came from the page's JSON-LD (parsed despite the page's broken JSON).
        ring = alex.locator("[data-testid=ring]").first
        await expect(ring.locator("[data-testid=ring-page]")).to_contain_text("2025 Toyota Tacoma")

        # "In case we get cut off": contact details while the store is still being rung.
        await shopper.click("[data-dc=offer-contact]")
        form = shopper.locator("[data-dc=contact-form]")
        await form.locator("input[name=name]").fill("Kim Hostile")
        await form.locator("input[name=phone]").fill("(312) 555-0142")
        await form.locator("[data-dc=contact-submit]").click()
        await expect(shopper.locator("[data-dc=contact-thanks]")).to_contain_text("cut off")
        await screenshot(shopper, "widget-hostile-desktop-waiting")

        await ring.locator("[data-testid=accept]").click()
        await expect(status).to_contain_text("Alex Rivera joined")
        pane = alex.locator("[data-testid=conversation]").first
        await expect(pane.locator("[data-testid=conversation-page]")).to_contain_text("Tacoma")
        await pane.locator("[data-testid=reply]").fill("It is! Want to drive it today?")
        await pane.locator("[data-testid=send]").click()
        messages = shopper.locator("[data-dc=messages] [data-dc=message]")
        await expect(messages).to_have_count(2)
        await expect(messages.nth(1)).to_have_attribute("data-kind", "staff")
        await screenshot(shopper, "widget-hostile-desktop-chat")
        events = await shopper.evaluate("window.__events")
        for name in ("opened", "message_sent", "contact_submitted", "agent_joined"):
            assert name in events, events
        assert await shopper.evaluate("window.__sockets") >= 1  # the page's wrapper was used

        # A reply while the panel is closed: unread badge (also in the label) and title flash.
        title = await shopper.title()
        await shopper.evaluate("DealerChat.close()")
        await expect(shopper.locator("[data-dc=panel]")).to_be_hidden()
        await pane.locator("[data-testid=reply]").fill("Keys are ready.")
        await pane.locator("[data-testid=send]").click()
        await expect(shopper.locator("[data-dc=badge]")).to_have_text("1")
        await expect(launcher).to_have_attribute("aria-label", "Open chat, 1 unread")
        await expect(shopper).to_have_title("(1) New message", timeout=5_000)
        await shopper.evaluate("DealerChat.open()")
        await expect(shopper.locator("[data-dc=badge]")).to_be_hidden()
        await expect(shopper).to_have_title(title)

        phone = await new_page(browser, width=390, height=844)
        await phone.goto(site + "/")
        await phone.wait_for_timeout(900)
        await open_widget(phone)
        panel = await phone.locator("[data-dc=panel]").bounding_box()
        assert panel is not None and round(panel["width"]) == 390 and round(panel["height"]) == 844
        await shopper_says(phone, "Do you have it in white?")
        await expect(phone.locator("[data-dc=message]").first).to_have_attribute("data-seq", "1")
        await screenshot(phone, "widget-hostile-phone-chat")

        # A strict Content-Security-Policy that allows only what docs/widget.md lists.
        strict = await new_page(browser)
        violations: list[str] = []
        strict.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
        await strict.goto(site + "/csp")
        await open_widget(strict)
        head = strict.locator("[data-dc=panel] .head")
        colour = await head.evaluate("el => getComputedStyle(el).backgroundColor")
        assert colour == "rgb(179, 18, 26)", colour  # the theme's styles were applied
        await shopper_says(strict, "Any CSP trouble?")
        await expect(strict.locator("[data-dc=message]").first).to_have_attribute("data-seq", "1")
        assert not [v for v in violations if "Content Security Policy" in v], violations
