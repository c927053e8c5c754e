"""The Conversations pages in Chromium, as a manager on a desktop and a salesperson on a phone:
the list of a seeded history, a search by phone, one transcript with its note and ring timeline.
Screenshots at 1280x800 and 390x844, no horizontal scrolling, touch targets of 44 px, and no
serious axe findings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from chat_server.demo_world import DEMO_PASSWORD
from chat_server.store.database import open_database
from chat_server.store.models import Dealership, Operator
from tests.e2e.conftest import new_page, screenshot
from tests.e2e.test_settings_team import fits, sign_in, whole_page
from tests.history.world import add_conversation
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ALEX = "alex@demo-motors.test"
MORGAN = "morgan@demo-motors.test"
PHONE = {"width": 390, "height": 844}
SHOPPER = "Alice Adealer"


async def seed(server: ServerProcess) -> str:
    """Sixty seeded conversations, and Alice's, with a note, rings and a long e-mail."""
    await asyncio.to_thread(server.admin, "seed-history", "--count", "60", "--seed", "15")
    at = datetime.now(UTC) - timedelta(minutes=20)
    async with (
        open_database(server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        demo = await session.scalar(select(Dealership.id).where(Dealership.slug == "demo-motors"))
        people = dict((await session.execute(select(Operator.email, Operator.id))).all())
        assert demo is not None
        alice = await add_conversation(
            session,
            demo,
            at,
            messages=(
                "Hi, is the 2024 Camry XSE in blue still available? I could come Saturday.",
                "It is! I can hold it for you until Saturday noon.",
                "Great, you can reach me at (312) 555-0133.",
            ),
            contact={"name": SHOPPER, "phone": "+13125550133", "consent": True,
                     "email": "alice.adealer.with.a.long.address@example.com"},
            vehicle={"year": 2024, "make": "Toyota", "model": "Camry", "trim": "XSE"},
            owner=people[ALEX],
            rings=((people[ALEX], "store", 6, "accepted"),
                   (people["sam@demo-motors.test"], "store", 6, "taken")),
            notes=((people[ALEX], "Wants the blue one held until Saturday", 25),),
        )  # fmt: skip
    # Indexed now rather than at the server's next look (which would come within a second).
    await asyncio.to_thread(server.admin, "reindex-history")
    return alice


async def search(page: Page, query: str) -> None:
    await page.fill("[data-testid=history-q]", query)
    await page.click("[data-testid=history-submit]")
    await page.wait_for_load_state()


async def touch_targets_ok(page: Page, selector: str) -> None:
    for box in [await link.bounding_box() for link in await page.locator(selector).all()][:5]:
        assert box is not None and box["height"] >= 44, (selector, box)


async def test_history_list_search_and_transcript_on_desktop_and_phone(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server()
    alice = await seed(server)

    desk = await new_page(browser)
    await sign_in(desk, server, MORGAN, DEMO_PASSWORD)
    await desk.click("[data-testid=nav-conversations]")
    await expect(desk.locator("h1")).to_have_text("Conversations")
    await expect(desk.locator("[data-testid=history-count]")).to_have_attribute("data-total", "61")
    await expect(desk.locator("[data-testid=history-row]")).to_have_count(50)
    await expect(desk.locator("[data-testid=history-csv]")).to_be_visible()
    await whole_page(desk, "conversations-list")
    await fits(desk)

    await search(desk, "312.555.0133")
    rows = desk.locator("[data-testid=history-row]")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(SHOPPER)
    await expect(rows.first).to_contain_text("Answered by the store")
    await screenshot(desk, "conversations-search")
    await desk.click("[data-testid=history-open]")
    await expect(desk.locator("[data-testid=record-shopper]")).to_have_text(SHOPPER)
    await expect(desk.locator("[data-testid=message]")).to_have_count(3)
    await expect(desk.locator("[data-testid=note]")).to_contain_text("held until Saturday")
    await expect(desk.locator("[data-testid=ring]")).to_have_count(2)
    await expect(desk.locator("[data-testid=record-first-human]")).to_have_text("12 s")
    await whole_page(desk, "conversation-detail")
    await fits(desk)
    assert desk.url.endswith(f"/console/conversations/{alice}")

    phone = await new_page(browser, **PHONE)
    await sign_in(phone, server, ALEX, DEMO_PASSWORD)
    await phone.goto(server.url + "/console/conversations")
    await expect(phone.locator("[data-testid=history-row]")).to_have_count(50)
    await expect(phone.locator("[data-testid=history-csv]")).to_have_count(0)  # managers only
    await whole_page(phone, "conversations-list-phone")
    await fits(phone, axe=False)
    await touch_targets_ok(phone, "[data-testid=history-open]")
    await search(phone, "+1 312 555 0133")
    await expect(phone.locator("[data-testid=history-row]")).to_have_count(1)
    await screenshot(phone, "conversations-search-phone")
    await fits(phone, axe=False)
    await phone.click("[data-testid=history-open]")
    await expect(phone.locator("[data-testid=transcript]")).to_contain_text("(312) 555-0133")
    await whole_page(phone, "conversation-detail-phone")
    await fits(phone, axe=False)
    await touch_targets_ok(phone, ".back a")
