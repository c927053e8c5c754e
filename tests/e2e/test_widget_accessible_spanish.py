"""Accessibility and theming in Chromium: a Spanish, left-side, after-hours widget that says
when sales opens next; a shopper chats with the keyboard alone; axe-core (from npm) finds no
serious or critical violation in the open widget, idle, chatting, and with the contact form."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from chat_server.ladder.hours import DAYS
from tests.e2e.axe import serious_violations_in as serious_violations
from tests.e2e.conftest import new_page, screenshot, shopper_says, signed_in_console
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

RILEY = "riley@nightowl-bdc.test"

FOCUSED = """() => {
  const host = document.activeElement;
  if (!host || host.tagName !== 'DEALER-CHAT-WIDGET') return '';
  const inner = host.shadowRoot.activeElement;
  return inner ? (inner.dataset.dc || inner.tagName) : '';
}"""


def open_tomorrow_only() -> str:
    """Sales hours with tomorrow (in Chicago) the only open day: closed now, opens tomorrow 9:00."""
    tomorrow = datetime.now(UTC).astimezone(ZoneInfo("America/Chicago")) + timedelta(days=1)
    return json.dumps({DAYS[tomorrow.weekday()]: [["09:00", "17:00"]]})


async def tab_to_launcher(page: Page) -> None:
    for _ in range(80):
        await page.keyboard.press("Tab")
        if await page.evaluate(FOCUSED) == "launcher":
            return
    raise AssertionError("the launcher is not reachable with Tab")


async def test_spanish_after_hours_keyboard_only_and_axe_clean(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 30, "pool_window": 60})
    server.admin(
        "set-hours",
        "--dealership",
        "demo-motors",
        "--department",
        "sales",
        "--hours",
        open_tomorrow_only(),
    )
    server.admin(
        "set-theme",
        "--dealership",
        "demo-motors",
        "--language",
        "es",
        "--position",
        "left",
        "--color",
        "#00695c",
        "--greeting",
        "¡Hola! ¿Buscas un auto?",
    )
    riley = await signed_in_console(browser, server, RILEY)

    shopper = await new_page(browser)
    await shopper.goto(server.url + "/")
    launcher = shopper.locator("[data-dc=launcher]")
    await expect(launcher).to_have_attribute("data-ready", "true")
    await expect(launcher).to_have_attribute("aria-label", "Abrir chat")
    box = await launcher.bounding_box()
    assert box is not None and box["x"] < 100  # on the left

    # Keyboard only: Tab to the launcher, Enter opens, focus lands in the message box.
    await tab_to_launcher(shopper)
    await shopper.keyboard.press("Enter")
    await expect(shopper.locator("[data-dc=panel]")).to_be_visible()
    await shopper.wait_for_function(f"({FOCUSED})() === 'input'")
    status = shopper.locator("[data-dc=status]")
    await expect(status).to_contain_text("¡Hola! ¿Buscas un auto?")
    note = shopper.locator("[data-dc=hours-note]")
    await expect(note).to_contain_text("Ventas abre mañana a las 9:00")
    await expect(note).to_contain_text("Alguien de nuestro equipo puede ayudarte ahora")
    await expect(shopper.locator("[data-dc=input]")).to_have_attribute(
        "placeholder", "Escribe un mensaje…"
    )
    assert await serious_violations(shopper) == []
    await screenshot(shopper, "widget-spanish-after-hours-desktop")

    await shopper.keyboard.type("Hola, busco una camioneta")
    await shopper.keyboard.press("Enter")
    messages = shopper.locator("[data-dc=messages] [data-dc=message]")
    await expect(messages.first).to_have_attribute("data-seq", "1")
    await expect(status).to_contain_text("Conectándote con nuestro equipo")
    await expect(status).to_contain_text("esperando 0:0")
    ring = riley.locator("[data-testid=ring]").first
    await ring.locator("[data-testid=accept]").click()
    await expect(status).to_contain_text("Riley Chen se unió al chat")
    pane = riley.locator("[data-testid=conversation]").first
    await pane.locator("[data-testid=reply]").fill("¡Hola! Soy Riley. ¿Qué modelo?")
    await pane.locator("[data-testid=send]").click()
    await expect(messages).to_have_count(2)
    assert await shopper.evaluate(FOCUSED) == "input"  # a reply does not steal focus
    await shopper.keyboard.type("Una Tacoma 2025, gracias")
    await shopper.keyboard.press("Enter")
    await expect(messages.nth(2)).to_have_attribute("data-seq", "3")
    await expect(pane.locator("[data-testid=message]")).to_have_count(3)
    assert await serious_violations(shopper) == []
    await screenshot(shopper, "widget-spanish-chat-desktop")
    # Escape closes the panel and gives focus back to the launcher.
    await shopper.keyboard.press("Escape")
    await expect(shopper.locator("[data-dc=panel]")).to_be_hidden()
    assert await shopper.evaluate(FOCUSED) == "launcher"

    # On a phone: full screen, and the "in case we get cut off" form, also axe-clean.
    phone = await new_page(browser, width=390, height=844)
    await phone.goto(server.url + "/")
    await phone.click("[data-dc=launcher]")
    await expect(phone.locator("[data-dc=hours-note]")).to_contain_text("Ventas abre mañana")
    await screenshot(phone, "widget-spanish-after-hours-phone")
    await shopper_says(phone, "¿Tienen financiamiento?")
    await phone.click("[data-dc=offer-contact]")
    form = phone.locator("[data-dc=contact-form]")
    await expect(form).to_be_visible()
    await expect(form).to_contain_text("¿Cómo podemos contactarte?")
    assert await serious_violations(phone) == []
    await screenshot(phone, "widget-spanish-contact-phone")
