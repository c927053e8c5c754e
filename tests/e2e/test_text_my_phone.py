"""'Text me too' in Chromium at phone width: a salesperson adds their mobile and confirms it
with the code a (loopback, Twilio-compatible) provider received; without a provider the card
is not shown at all."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import screenshot, signed_in_console
from tests.support.server_process import ServerProcess
from tests.support.text_provider import TextProvider

pytestmark = pytest.mark.e2e

ALEX = "alex@demo-motors.test"
PHONE = {"width": 390, "height": 844}


async def test_a_salesperson_adds_and_confirms_their_mobile(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    with TextProvider() as provider:
        server = start_server(env=provider.env())
        alex = await signed_in_console(browser, server, ALEX, **PHONE)
        await expect(alex.locator("[data-testid=rings-empty]")).to_contain_text(
            "If you close this tab you will not be rung"
        )
        card = alex.locator("[data-testid=text-my-phone]")
        await expect(card).to_be_visible()
        await card.locator("input[name=phone]").fill("(312) 555-0142")
        await card.get_by_role("button", name="Text me a code").click()
        await expect(card.locator("[data-testid=text-status]")).to_contain_text(
            "We texted a code to +13125550142"
        )
        code = re.search(r"\b(\d{6})\b", provider.wait_for("+13125550142").body)
        assert code
        wrong = "000000" if code.group(1) != "000000" else "111111"
        await card.locator("input[name=code]").fill(wrong)
        await card.get_by_role("button", name="Confirm").click()
        await expect(card.locator("[data-testid=text-error]")).to_contain_text(
            "that code is not right"
        )
        await card.locator("input[name=code]").fill(code.group(1))
        await card.get_by_role("button", name="Confirm").click()
        await expect(card.locator("[data-testid=text-verified]")).to_be_visible()
        await expect(card.locator("[data-testid=text-verified]")).to_contain_text("Verified")
        await expect(card.locator("[data-testid=text-code-form]")).to_be_hidden()
        await expect(card.locator("[data-testid=text-error]")).to_be_hidden()
        await expect(card.locator("[data-testid=text-number]")).to_have_text("+13125550142")
        # A verified mobile is a channel: closing the tab no longer ends his rings.
        await expect(alex.locator("[data-testid=rings-empty]")).not_to_contain_text(
            "If you close this tab"
        )
        width = await alex.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "the page scrolls sideways at phone width"
        await screenshot(alex, "console-text-my-phone")


async def test_without_a_provider_the_card_is_hidden(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server()
    alex = await signed_in_console(browser, server, ALEX, **PHONE)
    await alex.wait_for_load_state("networkidle")
    await expect(alex.locator("[data-testid=text-my-phone]")).to_be_hidden()
