"""The console's contact form in Chromium: the server judges the details (one validation,
chat_server/contact_details.py), the form shows its ``bad_field`` refusal, nothing is stored,
and good details are stored with the phone in E.164."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from chat_server.store.database import open_database
from chat_server.store.models import Conversation, Lead
from tests.e2e.conftest import screenshot, shopper_page, shopper_says, signed_in_console
from tests.e2e.test_ladder_in_browser import accept_ring, only_conversation
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ALEX = "alex@demo-motors.test"


async def fill_and_save(pane: Page, *, name: str, phone: str, email: str) -> None:
    form = pane.locator("[data-testid=contact-form]").first
    await form.locator("input[name=name]").fill(name)
    await form.locator("input[name=phone]").fill(phone)
    await form.locator("input[name=email]").fill(email)
    await form.locator("[data-testid=save-contact]").click()


async def test_the_contact_form_shows_the_servers_refusal_and_stores_nothing(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 60, "pool_window": 60})
    server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    server.admin("set-crm", "--dealership", "demo-motors", "--log-ups")
    alex = await signed_in_console(browser, server, ALEX)
    shopper = await shopper_page(browser, server)
    await shopper_says(shopper, "Can you call me about the RAV4?")
    await accept_ring(alex)
    # A salesperson's pane keeps the shopper's details folded away: open them.
    await alex.locator("[data-testid=context] > summary").first.click()
    error = alex.locator("[data-testid=contact-form] .contact-error").first

    # Eight digits pass any digit count, but it is no phone number: the server says so.
    await fill_and_save(alex, name="Kim Nodot", phone="555-CALL-NOW-12345", email="")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("phone number")
    await screenshot(alex, "console-contact-bad-phone")
    await fill_and_save(alex, name="Kim Nodot", phone="", email="kim.nodot@example")
    await expect(error).to_contain_text("e-mail address")
    row = await only_conversation(server)
    assert row.contact is None

    await fill_and_save(alex, name="Kim Nodot", phone="(312) 555-0100", email="")
    await expect(alex.locator("[data-testid=toast]")).to_contain_text("Contact details saved")
    async with open_database(server.database_url) as db, db.sessions() as session:
        stored = await session.get_one(Conversation, row.id)
        assert stored.contact is not None
        assert (stored.contact["name"], stored.contact["phone"]) == ("Kim Nodot", "+13125550100")
        assert list(await session.scalars(select(Lead))) == []  # the chat is still open
