"""The ladder end to end in Chromium: (a) an Up, (b) the pool, (c) a captured lead,
(d) after hours straight to the pool when the dealership chose so, (e) after hours the
salespeople on shift first (the default), and one who comes on shift while the chat rings is
rung at once. Each on a real server on a loopback port."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from chat_server.store.database import open_database
from chat_server.store.models import Conversation
from tests.e2e.conftest import screenshot, shopper_page, shopper_says, signed_in_console
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ALEX = "alex@demo-motors.test"
RILEY = "riley@nightowl-bdc.test"
MORGAN = "morgan@demo-motors.test"


def set_sales_hours(server: ServerProcess, which: str) -> None:
    server.admin("set-hours", "--dealership", "demo-motors", "--department", "sales", which)


async def only_conversation(server: ServerProcess) -> Conversation:
    async with open_database(server.database_url) as db, db.sessions() as session:
        [row] = list(await session.scalars(select(Conversation)))
        return row


async def accept_ring(console: Page) -> None:
    ring = console.locator("[data-testid=ring]").first
    await ring.wait_for()
    await ring.locator("[data-testid=accept]").click()
    await console.locator("[data-testid=conversation]").first.wait_for()


async def operator_says(console: Page, text: str) -> None:
    pane = console.locator("[data-testid=conversation]").first
    await pane.locator("[data-testid=reply]").fill(text)
    await pane.locator("[data-testid=send]").click()


def shopper_messages(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("[data-dc=messages] [data-dc=message]")


async def test_a_salesperson_answers_and_the_transcript_survives_a_restart(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 60, "pool_window": 60})
    set_sales_hours(server, "--always-open")
    alex = await signed_in_console(browser, server, ALEX)
    shopper = await shopper_page(browser, server)

    await shopper_says(shopper, "Hi, is this RAV4 still available?")
    await expect(shopper.locator("[data-dc=status]")).to_contain_text("Ringing the sales team")
    await expect(alex.locator("[data-testid=ring]").first).to_contain_text("is this RAV4")
    await screenshot(alex, "console-ring")
    await accept_ring(alex)
    await expect(shopper.locator("[data-dc=status]")).to_contain_text("Alex Rivera")

    await operator_says(alex, "Yes it is! Want to come see it today?")
    await expect(shopper_messages(shopper)).to_have_count(2)
    await expect(shopper_messages(shopper).nth(1)).to_contain_text("Want to come see it")
    await shopper_says(shopper, "Sure, around 5pm.")
    pane = alex.locator("[data-testid=conversation]").first
    await expect(pane.locator("[data-testid=message]")).to_have_count(3)
    await screenshot(shopper, "widget-chat")
    await screenshot(alex, "console-chat")

    server.restart()
    await shopper.reload()
    await shopper.click("[data-dc=launcher]")
    await expect(shopper_messages(shopper)).to_have_count(3)
    await expect(shopper_messages(shopper).nth(2)).to_contain_text("around 5pm")
    await alex.reload()
    pane = alex.locator("[data-testid=conversation]").first
    await expect(pane.locator("[data-testid=message]")).to_have_count(3)
    # And the chat goes on after the restart.
    await operator_says(alex, "See you at 5!")
    await expect(shopper_messages(shopper)).to_have_count(4)
    row = await only_conversation(server)
    assert row.state == "connected" and row.last_seq == 4


async def test_b_nobody_in_the_store_accepts_so_the_pool_answers(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 2, "pool_window": 60})
    set_sales_hours(server, "--always-open")
    alex = await signed_in_console(browser, server, ALEX)
    riley = await signed_in_console(browser, server, RILEY)
    shopper = await shopper_page(browser, server)

    await shopper_says(shopper, "What is the out-the-door price?")
    await alex.locator("[data-testid=ring]").first.wait_for()
    await expect(shopper.locator("[data-dc=status]")).to_contain_text(
        "Connecting you", timeout=10_000
    )
    await accept_ring(riley)
    await operator_says(riley, "Happy to help! May I have your phone number?")
    await expect(shopper_messages(shopper)).to_have_count(2)
    await expect(shopper_messages(shopper).nth(1)).to_have_attribute("data-kind", "receptionist")
    # The shopper types their number; ending the chat (confirmed) sends it with the lead.
    await shopper_says(shopper, "Sure, it's 312 555 0100")
    await expect(riley.locator("[data-testid=message]")).to_have_count(3)
    await riley.locator("[data-testid=conversation] [data-testid=close]").first.click()
    await riley.locator("[data-testid=end-yes]").first.click()
    await expect(riley.locator("[data-testid=outcome]").first).to_contain_text("pool")

    row = await only_conversation(server)
    assert row.outcome == "pool" and row.pool_rung_at is not None
    await riley.goto(server.url + "/console/leads")
    lead = riley.locator("[data-testid=lead]")
    await expect(lead).to_have_count(1)
    await expect(lead.first).to_contain_text("Answered by a receptionist")
    await screenshot(riley, "console-leads")


async def test_c_nobody_answers_the_shopper_leaves_contact_details(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 1, "pool_window": 1})
    set_sales_hours(server, "--always-open")
    shopper = await shopper_page(browser, server, width=390, height=844)
    await shopper_says(shopper, "Can someone call me about financing?")
    form = shopper.locator("[data-dc=contact-form]")
    await expect(form).to_be_visible(timeout=10_000)
    await screenshot(shopper, "widget-contact-form-phone")
    await form.locator("input[name=name]").fill("Dana Shopper")
    await form.locator("input[name=phone]").fill("(312) 555-0100")
    await form.locator("input[name=email]").fill("dana@example.com")
    await form.locator("select[name=preferred_time]").select_option("evening")
    await form.locator("input[name=consent]").check()
    await form.locator("[data-dc=contact-submit]").click()
    await expect(shopper.locator("[data-dc=contact-thanks]")).to_contain_text("Dana")
    await screenshot(shopper, "widget-contact-thanks-phone")

    # The lead goes out at once; the chat stays open (captured) for the shopper's next word.
    row = await only_conversation(server)
    assert row.state == "captured", __import__("json").dumps(row.ladder)
    morgan = await signed_in_console(browser, server, MORGAN, available=False)
    await morgan.goto(server.url + "/console/leads")
    lead = morgan.locator("[data-testid=lead]")
    await expect(lead).to_have_count(1)
    await expect(lead.first).to_contain_text("Dana Shopper")
    await expect(lead.first).to_contain_text("dana@example.com")


async def test_d_after_hours_the_pool_is_rung_at_once(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    # The dealership chose "outside sales hours, ring only the pool" (default: store first).
    server = start_server({"store_window": 30, "pool_window": 60, "after_hours": "pool"})
    set_sales_hours(server, "--closed")
    alex = await signed_in_console(browser, server, ALEX)
    # Available, but the console says plainly that he will not be rung, and why.
    await expect(alex.locator("[data-testid=rings-empty]")).to_contain_text(
        "after hours this dealership rings only the reception pool"
    )
    await screenshot(alex, "console-after-hours-pool-only")
    riley = await signed_in_console(browser, server, RILEY)
    shopper = await shopper_page(browser, server)
    await shopper_says(shopper, "Are you open tomorrow?")
    await expect(shopper.locator("[data-dc=status]")).to_contain_text("Connecting you")
    await riley.locator("[data-testid=ring]").first.wait_for(timeout=3_000)
    await expect(alex.locator("[data-testid=ring]")).to_have_count(0)
    await accept_ring(riley)
    row = await only_conversation(server)
    assert row.store_rung_at is None and row.pool_rung_at is not None
    assert row.owner_tier == "pool"


async def test_e_after_hours_staff_on_shift_first_and_a_newcomer_is_rung_at_once(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    # Nobody of the pool is on shift, so after the store window the widget asks for details.
    server = start_server({"store_window": 9, "pool_window": 5})
    set_sales_hours(server, "--closed")
    alex = await signed_in_console(browser, server, ALEX)
    await expect(alex.locator("[data-testid=rings-empty]")).to_contain_text(
        "If you close this tab you will not be rung: turn on Ring my phone"
    )
    shopper = await shopper_page(browser, server)
    await shopper_says(shopper, "Anyone there tonight?")
    await expect(shopper.locator("[data-dc=status]")).to_contain_text("Ringing the sales team")
    await alex.locator("[data-testid=ring]").first.wait_for(timeout=3_000)
    note = shopper.locator("[data-dc=hours-note]")
    await expect(note).to_contain_text("Someone on our team can still help you now")
    # Sam comes on shift while the chat rings: rung for it at once, not only for the next one.
    sam = await signed_in_console(browser, server, "sam@demo-motors.test")
    await sam.locator("[data-testid=ring]").first.wait_for(timeout=3_000)
    row = await only_conversation(server)
    assert row.store_rung_at is not None and row.pool_rung_at is None
    # Nobody answers: the widget asks for details and no longer says someone can help now.
    await expect(shopper.locator("[data-dc=status]")).to_contain_text(
        "everyone is busy", timeout=20_000
    )
    await expect(note).not_to_contain_text("can still help")
    await screenshot(shopper, "after-hours-lead-capture")
