"""An "End chat" the server could not store is sent again, as unacked replies are.

Between Chromium and a real server, Playwright's WebSocket route passes every frame through
except the console's first ``close``: in its place the page gets the ``unavailable`` error a
server answers when storage refuses (transport/console_socket.py). The console says it is
retrying, keeps the End button disabled, and sends the close again (``resendUnfinished`` in
console.js); the chat then ends for the shopper and in the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.async_api import Browser, WebSocketRoute, expect

from tests.e2e.conftest import screenshot, shopper_page, shopper_says, signed_in_console
from tests.e2e.test_ladder_in_browser import accept_ring, only_conversation, set_sales_hours
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ALEX = "alex@demo-motors.test"


async def test_an_end_refused_as_unavailable_is_sent_again_and_the_chat_ends(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 60, "pool_window": 60})
    set_sales_hours(server, "--always-open")
    alex = await signed_in_console(browser, server, ALEX)
    closes: list[dict[str, str]] = []  # every close the page sent, refused or passed on

    def route(page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "close":
                closes.append(frame)
                if len(closes) == 1:  # storage "refuses" the first one
                    refusal = {
                        "type": "error",
                        "code": "unavailable",
                        "message": "storage unavailable; retry",
                        "conversation": frame["conversation"],
                    }
                    page_side.send(json.dumps(refusal))
                    return
            server_side.send(message)

        page_side.on_message(from_page)

    await alex.route_web_socket("**/ws/console", route)
    await alex.reload()  # the console's socket now goes through the route
    await alex.locator("[data-testid=presence-toggle][data-status=available]").wait_for()

    shopper = await shopper_page(browser, server)
    await shopper_says(shopper, "Is the blue RAV4 still there?")
    await accept_ring(alex)
    pane = alex.locator("[data-testid=conversation]").first
    await pane.locator("[data-testid=close]").click()
    await pane.locator("[data-testid=end-yes]").click()

    # Refused once: the console says it retries, and does, and the chat ends.
    await expect(alex.locator("[data-testid=toast]")).to_contain_text("Retrying")
    await expect(pane.locator("[data-testid=close]")).to_be_disabled()
    await expect(pane.locator("[data-testid=outcome]")).to_be_visible(timeout=10_000)
    await expect(shopper.locator("[data-dc=messages]")).to_contain_text("has ended the chat")
    await screenshot(alex, "console-end-retried")
    row = await only_conversation(server)
    assert (row.state, row.outcome) == ("closed", "up")
    assert [c["conversation"] for c in closes] == [row.id, row.id]
