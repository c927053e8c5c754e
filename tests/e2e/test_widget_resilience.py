"""Resilience in Chromium on a real server: two tabs, a page change, a server restart and a
network outage in one conversation. Every transcript (both tabs, the console, the database)
must be exactly the messages sent, in order, each once: asserted as lists of (seq, kind, body)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from chat_server.demo_world import DEMO_SITE_KEY
from chat_server.store.database import open_database
from chat_server.store.models import Message
from tests.e2e.conftest import shopper_says, signed_in_console
from tests.support.server_process import ServerProcess
from tests.widget.hostile_site import hostile_site

pytestmark = pytest.mark.e2e

ALEX = "alex@demo-motors.test"


async def transcript(page: Page) -> list[tuple[int, str, str]]:
    # Attribute by attribute: Playwright's evaluate_all would run in the page's world, where
    # this hostile page's Array.prototype.filter throws.
    messages = page.locator("[data-dc=messages] [data-dc=message]")
    rows = []
    for i in range(await messages.count()):
        message = messages.nth(i)
        seq = await message.get_attribute("data-seq")
        kind = await message.get_attribute("data-kind")
        body = await message.locator(".body").inner_text()
        rows.append((int(seq or 0), kind or "", body))
    return rows


async def settled(page: Page, count: int) -> None:
    """``count`` messages on screen, every one acknowledged (it carries its seq)."""
    messages = page.locator("[data-dc=messages] [data-dc=message]")
    await expect(messages).to_have_count(count, timeout=20_000)
    await expect(page.locator("[data-dc=message][data-seq='']")).to_have_count(0, timeout=20_000)


async def operator_says(console: Page, text: str) -> None:
    pane = console.locator("[data-testid=conversation]").first
    await pane.locator("[data-testid=reply]").fill(text)
    await pane.locator("[data-testid=send]").click()


async def test_two_tabs_a_page_change_a_restart_and_an_outage_lose_and_double_nothing(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 60, "pool_window": 60})
    server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    with hostile_site(server.url, DEMO_SITE_KEY) as site:
        server.admin("allow-origin", "--dealership", "demo-motors", "--origin", site)
        alex = await signed_in_console(browser, server, ALEX)
        shopper = await browser.new_context(viewport={"width": 1280, "height": 800})
        tab1 = await shopper.new_page()
        tab1.set_default_timeout(15_000)
        await tab1.goto(site + "/")
        await tab1.click("[data-dc=launcher]")
        await shopper_says(tab1, "m1 hello")
        ring = alex.locator("[data-testid=ring]").first
        await ring.locator("[data-testid=accept]").click()
        await operator_says(alex, "r1 hi there")
        await settled(tab1, 2)

        # A second tab of the same site joins the same conversation, and can write to it.
        tab2 = await shopper.new_page()
        tab2.set_default_timeout(15_000)
        await tab2.goto(site + "/page2")
        await tab2.click("[data-dc=launcher]")
        await settled(tab2, 2)
        await shopper_says(tab2, "m2 from the second tab")
        await settled(tab1, 3)

        # A page change in the first tab: the conversation goes on, the panel stays open.
        await tab1.goto(site + "/page2")
        await settled(tab1, 3)
        await expect(tab1.locator("[data-dc=panel]")).to_be_visible()

        # The server goes away mid-chat; what the shopper types meanwhile is queued.
        server.stop()
        await expect(tab1.locator("[data-dc=conn]")).to_be_visible()
        await shopper_says(tab1, "m3 while the server is down")
        await tab1.wait_for_timeout(300)
        assert await tab1.locator("[data-dc=message][data-state=pending]").count() == 1
        server.start()
        await settled(tab1, 4)
        pane = alex.locator("[data-testid=conversation]").first
        await expect(pane.locator("[data-testid=message]")).to_have_count(4, timeout=20_000)
        await operator_says(alex, "r2 welcome back")
        await settled(tab1, 5)

        # The network goes down; a message typed then is delivered once when it returns.
        await shopper.set_offline(True)
        await expect(tab1.locator("[data-dc=conn]")).to_be_visible()
        await shopper_says(tab1, "m4 typed offline")
        await tab1.wait_for_timeout(500)
        assert await tab1.locator("[data-dc=message][data-state=pending]").count() == 1
        await shopper.set_offline(False)
        await settled(tab1, 6)
        await settled(tab2, 6)

        expected = [
            (1, "visitor", "m1 hello"),
            (2, "staff", "r1 hi there"),
            (3, "visitor", "m2 from the second tab"),
            (4, "visitor", "m3 while the server is down"),
            (5, "staff", "r2 welcome back"),
            (6, "visitor", "m4 typed offline"),
        ]
        assert await transcript(tab1) == expected
        assert await transcript(tab2) == expected
        await expect(pane.locator("[data-testid=message]")).to_have_count(6)
        console_bodies = await pane.locator("[data-testid=message]").all_inner_texts()
        for (_seq, _kind, body), shown in zip(expected, console_bodies, strict=True):
            assert body in shown
        async with open_database(server.database_url) as db, db.sessions() as session:
            stored = list(
                await session.execute(
                    select(Message.seq, Message.author_kind, Message.body).order_by(Message.seq)
                )
            )
        assert [tuple(row) for row in stored] == expected
        await shopper.close()
