"""A console left open on another device learns at once that its session ended."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import screenshot, signed_in_console
from tests.security.conftest import jar, signed_in
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

SAM = "sam@demo-motors.test"


async def test_signing_out_elsewhere_closes_the_open_console_and_says_so(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server()
    page = await signed_in_console(browser, server, SAM, available=False)
    connection = page.locator("[data-testid=connection]")
    await expect(connection).to_have_attribute("data-state", "ok")

    # Sam signs out on the showroom tablet: every session of his ends, this open tab included.
    cookies, csrf = await signed_in(server.url, SAM)
    async with httpx.AsyncClient(base_url=server.url, cookies=jar(server.url, cookies)) as http:
        assert (await http.post("/console/sign-out", data={"csrf_token": csrf})).status_code == 303

    await expect(connection).to_contain_text("Your session may have ended", timeout=8_000)
    await expect(connection.get_by_role("link", name="Sign in again")).to_have_attribute(
        "href", "/console/sign-in"
    )
    await expect(page.locator("[data-testid=presence-toggle]")).to_be_disabled()
    await screenshot(page, "console-signed-out-elsewhere")
    await page.context.close()
