"""The optional end of shift, set from the console at phone width: the server stores it, the
console says it, and after it the salesperson is not rung (tests/delivery covers the ladder
side with a fake clock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select

from chat_server.store.database import open_database
from chat_server.store.models import Operator
from tests.e2e.conftest import screenshot, signed_in_console
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ALEX = "alex@demo-motors.test"


async def test_a_salesperson_sets_the_end_of_their_shift(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server()
    alex = await signed_in_console(browser, server, ALEX, width=390, height=844)
    box = alex.locator("[data-testid=shift-end-box]")
    await expect(box).to_be_visible()  # shown while Available
    # Two hours from now on the page's own clock (the browser and the test share a zone).
    local_now = datetime.fromisoformat(
        await alex.evaluate(
            "() => new Date(Date.now() - new Date().getTimezoneOffset() * 60000)"
            ".toISOString().slice(0, 19)"
        )
    )
    ends = (local_now + timedelta(hours=2)).replace(second=0)
    await box.locator("[data-testid=shift-end]").fill(ends.strftime("%H:%M"))
    await expect(alex.locator("[data-testid=rings-empty]")).to_contain_text("Your shift ends at")
    async with open_database(server.database_url) as db, db.sessions() as session:
        stored = await session.scalar(select(Operator.shift_ends_at).where(Operator.email == ALEX))
    assert stored is not None
    offset_h = (stored - datetime.now(stored.tzinfo)).total_seconds() / 3600
    assert 1.9 < offset_h < 2.05, stored
    await screenshot(alex, "console-shift-end")
    # Busy hides the control (and clears the end of shift on the server).
    await alex.locator("[data-testid=presence-busy]").click()
    await expect(box).to_be_hidden()
