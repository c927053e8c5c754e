"""Contact details and an "End chat" the server could not store are sent again, as unacked
replies are.

Between Chromium and a real server, Playwright's WebSocket route passes every frame through
except the console's first ``contact`` and first ``close``: in their place the page gets the
``unavailable`` error a server answers when storage refuses (transport/console_socket.py). The
console says it is retrying, keeps the End button disabled, and sends each again
(``resendUnfinished`` in console.js): the details are stored and the chat ends, for the shopper
and in the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.async_api import Browser, WebSocketRoute, expect

from tests.e2e.conftest import screenshot, shopper_page, shopper_says, signed_in_console
from tests.e2e.test_console_contact_form import fill_and_save
from tests.e2e.test_ladder_in_browser import accept_ring, only_conversation, set_sales_hours
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ALEX = "alex@demo-motors.test"


async def test_details_and_an_end_refused_as_unavailable_are_sent_again(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 60, "pool_window": 60})
    set_sales_hours(server, "--always-open")
    alex = await signed_in_console(browser, server, ALEX)
    # Every contact and close frame the page sent, refused or passed on.
    sent: dict[str, list[dict[str, str]]] = {"contact": [], "close": []}

    def route(page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") in sent:
                sent[frame["type"]].append(frame)
                if len(sent[frame["type"]]) == 1:  # storage "refuses" the first one
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
    toast = alex.locator("[data-testid=toast]")

    await pane.locator("[data-testid=context] > summary").click()
    await fill_and_save(alex, name="Dana Shopper", phone="(312) 555-0100", email="")
    await expect(toast).to_contain_text("Retrying")
    await expect(toast).to_contain_text("Contact details saved", timeout=10_000)
    await pane.locator("[data-testid=close]").click()
    await pane.locator("[data-testid=end-yes]").click()

    # The End, refused once: the console says it retries, and does, and the chat ends.
    await expect(toast).to_contain_text("Retrying")
    await expect(pane.locator("[data-testid=close]")).to_be_disabled()
    await expect(pane.locator("[data-testid=outcome]")).to_be_visible(timeout=10_000)
    shopper_reads = shopper.locator("[data-dc=messages]")
    await expect(shopper_reads).to_contain_text("Alex Rivera will contact you by phone")
    await screenshot(alex, "console-end-retried")
    row = await only_conversation(server)
    assert (row.state, row.outcome) == ("closed", "up")
    assert row.contact is not None and row.contact["phone"] == "+13125550100"
    assert [f["conversation"] for f in sent["contact"] + sent["close"]] == [row.id] * 4
