"""The live console's workspace in Chromium, phone first (issue 15).

A receptionist on a 390x844 phone (and the same receptionist's desktop console at 1280x800)
takes two chats: one chat shows at a time with a switcher that marks unread messages, the
header is not squeezed and the transcript starts near the top, the context opens as a sheet
(the dealer's notes first, what the shopper typed proposed in the form), "Hand to the store"
is not offered while sales is closed, ending asks first and the shopper reads a closing
message, and a shopper who leaves is announced, then the chat ends saying so; a shopper who
comes back is a "Returning shopper" whose earlier chat links to its transcript. No sideways
scrolling at 360, 390 and 414 px; axe finds nothing serious.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.axe import serious_violations
from tests.e2e.conftest import screenshot, shopper_page, shopper_says, signed_in_console
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

RILEY = "riley@nightowl-bdc.test"
NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth"


async def no_sideways_scroll(page: Page, where: str) -> None:
    assert await page.evaluate(NO_OVERFLOW), f"sideways scrolling: {where}"


async def test_a_receptionists_day_on_a_phone(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 20, "pool_window": 600, "grace": 6})
    server.admin("set-hours", "--dealership", "demo-motors", "--department", "sales", "--closed")
    phone = await signed_in_console(browser, server, RILEY, width=390, height=844)
    desk = await signed_in_console(browser, server, RILEY)
    first = await shopper_page(browser, server)
    await shopper_says(first, "Hi, is the 2025 Toyota Tacoma TRD Off-Road still available?")

    # The ring: one thumb-sized Accept, nothing wider than the screen.
    ring = phone.locator("[data-testid=ring]")
    await expect(ring).to_have_count(1)
    await expect(desk.locator("[data-testid=ring]")).to_have_count(1)
    box = await ring.locator("[data-testid=accept]").bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    await no_sideways_scroll(phone, "ring")
    await screenshot(phone, "workspace-phone-ring")
    await screenshot(desk, "workspace-desktop-ring")
    assert await serious_violations(phone) == [], "phone console with a ring"

    await ring.locator("[data-testid=accept]").click()
    tacoma = phone.locator("[data-testid=conversation]", has_text="Tacoma")
    await expect(tacoma).to_be_visible()
    # The header reads across the screen ("Shopper", not "Sho/ppe/r"), and the transcript
    # starts in the upper half of the screen, not a screen and a half down.
    name = await tacoma.locator("[data-testid=visitor-name]").bounding_box()
    assert name is not None and name["width"] >= 60 and name["height"] < 30, name
    page_line = await tacoma.locator("[data-testid=conversation-page]").bounding_box()
    assert page_line is not None and page_line["width"] > 200, page_line
    transcript = await tacoma.locator("[data-testid=transcript]").bounding_box()
    assert transcript is not None and transcript["y"] < 844 / 2, transcript
    # Sales is closed: the chat cannot be handed to the store, and the pane says why.
    await expect(tacoma.locator("[data-testid=store-closed]")).to_contain_text("closed")
    await expect(tacoma.locator("[data-testid=transfer]")).to_be_hidden()
    await no_sideways_scroll(phone, "accepted chat")
    await screenshot(phone, "workspace-phone-chat")

    # A second chat: the switcher lists both and marks the one with news.
    second = await shopper_page(browser, server)
    await shopper_says(second, "Hello, my name is Kim Lee. Do you take trade-ins?")
    await phone.locator("[data-testid=ring] [data-testid=accept]").click()
    chips = phone.locator("[data-testid=chat-chip]")
    await expect(chips).to_have_count(2)
    await expect(phone.locator("[data-testid=conversation]:visible")).to_have_count(1)
    await expect(chips.nth(1)).to_have_attribute("aria-pressed", "true")
    await shopper_says(first, "Please call me at (312) 555-0100 tomorrow morning")
    await expect(chips.nth(0).locator("[data-testid=chip-unread]")).to_have_text("1")
    chip_box = await chips.nth(0).bounding_box()
    assert chip_box is not None and chip_box["height"] >= 44
    await chips.nth(0).click()
    await expect(chips.nth(0)).to_have_attribute("aria-pressed", "true")
    await expect(chips.nth(0).locator("[data-testid=chip-unread]")).to_have_count(0)
    await expect(tacoma).to_be_visible()
    await expect(tacoma.locator("[data-testid=message]")).to_have_count(2)

    # The context as a sheet: the dealer's notes first, the typed phone proposed to check.
    details = tacoma.locator("[data-testid=details-open]")
    await details.click()
    sheet = tacoma.locator("[data-testid=details-sheet]")
    await expect(sheet).to_be_visible()
    await expect(sheet.locator("[data-testid=dealer-notes]")).to_contain_text("Free loaner")
    await expect(sheet.locator("[data-testid=proposed-note]")).to_contain_text("Found in the chat")
    await expect(sheet.locator("input[name=phone]")).to_have_value("(312) 555-0100")
    notes_top = await sheet.locator("[data-testid=dealer-notes]").bounding_box()
    assert notes_top is not None and notes_top["y"] + notes_top["height"] < 844, "below the fold"
    focused = await phone.evaluate("() => document.activeElement.dataset.testid")
    assert focused == "details-close"
    await no_sideways_scroll(phone, "details sheet")
    await screenshot(phone, "workspace-phone-details")
    assert await serious_violations(phone) == [], "details sheet"
    await phone.keyboard.press("Escape")
    await expect(sheet).to_be_hidden()
    assert await phone.evaluate("() => document.activeElement.dataset.testid") == "details-open"

    # Ending asks first, in the page, and says what will happen to the lead.
    await tacoma.locator("[data-testid=close]").click()
    confirm = tacoma.locator("[data-testid=end-confirm]")
    await expect(confirm).to_be_visible()
    await expect(confirm.locator("[data-testid=end-warning]")).to_contain_text("(312) 555-0100")
    await no_sideways_scroll(phone, "confirm end")
    await screenshot(phone, "workspace-phone-confirm-end")
    await confirm.locator("[data-testid=end-no]").click()
    await expect(confirm).to_be_hidden()
    await expect(tacoma.locator("[data-testid=reply]")).to_be_enabled()
    await tacoma.locator("[data-testid=close]").click()
    await confirm.locator("[data-testid=end-yes]").click()
    await expect(tacoma.locator("[data-testid=outcome]")).to_contain_text("pool")
    toast = phone.locator("[data-testid=toast]")
    await expect(toast).to_contain_text(re.compile("lead", re.IGNORECASE))
    await expect(toast).to_contain_text("typed in the chat")
    closing = first.locator("[data-dc=messages] [data-dc=message][data-kind=system]")
    await expect(closing.last).to_contain_text("passed your details to Demo Motors")

    # The desktop console: several panes, the receptionist's context beside the chat.
    kim_desk = desk.locator("[data-testid=conversation]", has_text="Kim Lee").first
    await expect(kim_desk).to_be_visible()
    await expect(kim_desk.locator("[data-testid=dealer-notes]")).to_be_visible()
    await no_sideways_scroll(desk, "desktop workspace")
    await screenshot(desk, "workspace-desktop-chat")
    await kim_desk.locator("[data-testid=close]").click()
    await expect(kim_desk.locator("[data-testid=end-warning]")).to_contain_text(
        "no lead will go to the CRM"
    )
    await screenshot(desk, "workspace-desktop-confirm-end")
    assert await serious_violations(desk) == [], "desktop workspace"
    await kim_desk.locator("[data-testid=end-no]").click()

    # Kim leaves: the receptionist is told when the chat will close, then that it did.
    kim = phone.locator("[data-testid=conversation]", has_text="Kim Lee").first
    await chips.nth(1).click()
    await expect(kim).to_be_visible()
    await second.context.close()
    away = kim.locator("[data-testid=shopper-away]")
    await expect(away).to_contain_text("The shopper left the page — the chat closes at")
    await expect(chips.nth(1)).to_contain_text("left")
    await expect(kim.locator("[data-testid=outcome]")).to_have_text(
        "The shopper did not come back; chat ended.", timeout=20_000
    )
    await expect(away).to_be_hidden()

    for width in (360, 390, 414):
        await phone.set_viewport_size({"width": width, "height": 844})
        await no_sideways_scroll(phone, f"{width} px")

    # The Tacoma shopper comes back: the new chat's "Returning shopper" line and its earlier
    # chat link to their transcripts (the Conversations page, filtered to this shopper).
    await shopper_says(first, "Me again: does the Tacoma come in red?")
    await phone.locator("[data-testid=ring]").locator("[data-testid=accept]").click()
    again = desk.locator("[data-testid=conversation]", has_text="come in red").first
    await expect(again).to_be_visible()
    returning = again.locator("[data-testid=returning-link]")
    await expect(returning).to_contain_text("Returning shopper: 1 earlier chat")
    earlier = again.locator("[data-testid=history-link]")
    await expect(earlier).to_have_count(1)
    earlier_href = await earlier.get_attribute("href")
    assert earlier_href is not None and earlier_href.startswith("/console/conversations/")
    await returning.click()
    await desk.wait_for_url(re.compile(r"/console/conversations\?shopper=\d+"))
    rows = desk.locator("[data-testid=history-row]")
    await expect(rows).to_have_count(2)  # the Tacoma chat and this one
    opens_earlier = desk.locator(f"[data-testid=history-open][href='{earlier_href}']")
    await expect(opens_earlier).to_have_count(1)
