"""The shopper's side of issue 15 in Chromium: the contact form opens with its title and first
field in view (desktop and phone size), the confirmation says what happens next, the next
message stays in the same conversation (a reload too, without asking again), and a chat that
ends says so and offers a new one. The demo page shows the dealership's own phone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.e2e.axe import serious_violations_in
from tests.e2e.conftest import screenshot, shopper_page, shopper_says
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

# Nobody on shift: the widget asks for details once both (short) windows pass. The capture
# window is short too, so the captured chat ends within the test.
LADDER = {"store_window": 1, "pool_window": 1, "capture_window": 15}


def messages(page: Page) -> Locator:
    return page.locator("[data-dc=messages] [data-dc=message]")


async def conversation_id(page: Page) -> str | None:
    return await page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.endsWith('conversation'))"
        ".map((k) => localStorage.getItem(k))[0] || null"
    )


async def form_opens_in_view(page: Page, name: str) -> Locator:
    """The contact form's title and first field inside the visible chat area, the first field
    focused; no sideways scrolling; axe clean. Screenshot ``name``."""
    form = page.locator("[data-dc=contact-form]")
    await expect(form).to_be_visible(timeout=15_000)
    first = form.locator("input[name=name]")
    await expect(first).to_be_focused()
    view = await page.locator("[data-dc=panel] .scroll").bounding_box()
    title = await form.locator("[data-dc=contact-title]").bounding_box()
    field = await first.bounding_box()
    assert view and title and field
    assert view["y"] <= title["y"], (view, title)
    assert field["y"] + field["height"] <= view["y"] + view["height"], (view, field)
    overflow = "() => document.documentElement.scrollWidth <= window.innerWidth"
    assert await page.evaluate(overflow)
    await screenshot(page, name)
    assert await serious_violations_in(page) == []
    return form


async def test_after_leaving_details_the_shopper_keeps_the_same_chat(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server(LADDER)
    server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    shopper = await shopper_page(browser, server)  # 1280x800
    # The demo page's header carries the dealership's own number.
    phone = shopper.locator("[data-testid=dealer-phone]")
    await expect(phone).to_have_text("Sales (312) 555-0142")
    await expect(phone).to_have_attribute("href", "tel:+13125550142")

    await shopper_says(shopper, "Can someone call me about financing?")
    form = await form_opens_in_view(shopper, "widget-contact-form-desktop")
    await form.locator("input[name=name]").fill("Dana Shopper")
    await form.locator("input[name=phone]").fill("(312) 555-0100")
    await form.locator("select[name=preferred_time]").select_option("evening")
    await form.locator("input[name=consent]").check()
    await form.locator("[data-dc=contact-submit]").click()
    thanks = shopper.locator("[data-dc=contact-thanks]")
    await expect(thanks).to_have_text(
        "Thanks, Dana Shopper! Your details are with Demo Motors. Someone will call you in the"
        " evening. Anything you add here goes with your request."
    )
    status = shopper.locator("[data-dc=status]")
    await expect(status).to_contain_text("We have your details")
    await screenshot(shopper, "widget-details-thanks-desktop")
    chat = await conversation_id(shopper)
    assert chat

    # The next message: the same conversation, and no second form.
    await shopper_says(shopper, "Also, do you take trade-ins?")
    await expect(messages(shopper)).to_have_count(2)
    await expect(messages(shopper).nth(1)).to_have_attribute("data-state", "sent")
    assert await conversation_id(shopper) == chat
    await expect(shopper.locator("[data-dc=contact-form]")).to_be_hidden()
    # The confirmation stays where it was said, before what the shopper added.
    log = shopper.locator("[data-dc=messages] > *")
    await expect(log.last).to_contain_text("do you take trade-ins?")
    await expect(log.nth(1)).to_contain_text("Your details are with Demo Motors")
    await screenshot(shopper, "widget-details-follow-up-desktop")

    # A new page load resumes it: both messages, still no form.
    await shopper.reload()
    await shopper.locator("[data-dc=panel]").wait_for()  # it was open: it opens again
    await expect(messages(shopper)).to_have_count(2)
    await expect(status).to_contain_text("We have your details")
    await expect(shopper.locator("[data-dc=contact-form]")).to_be_hidden()
    await expect(shopper.locator("[data-dc=offer]")).to_be_hidden()
    assert await conversation_id(shopper) == chat
    await screenshot(shopper, "widget-details-resumed-desktop")

    # The capture window passes: the chat says it ended and offers a new one.
    await expect(status).to_contain_text("This chat has ended", timeout=30_000)
    new_chat = shopper.locator("[data-dc=new-chat]")
    await expect(new_chat).to_be_visible()
    await expect(shopper.locator("[data-dc=messages] .divider")).to_have_text("Chat ended")
    await screenshot(shopper, "widget-chat-ended-desktop")
    assert await serious_violations_in(shopper) == []
    await new_chat.click()
    await expect(messages(shopper)).to_have_count(0)
    await expect(shopper.locator("[data-dc=input]")).to_be_focused()
    await shopper_says(shopper, "One more question")
    await expect(messages(shopper).first).to_have_attribute("data-state", "sent")
    assert await conversation_id(shopper) not in (None, chat)

    # Phone size: the form's title and first field in view there too.
    phone_shopper = await shopper_page(browser, server, width=390, height=844)
    await shopper_says(phone_shopper, "Is the RAV4 still there?")
    await form_opens_in_view(phone_shopper, "widget-contact-form-phone")
