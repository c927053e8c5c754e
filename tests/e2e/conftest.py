"""Real Chromium (Debian's, never a downloaded one) driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from chat_server.demo_world import DEMO_PASSWORD
from tests.support.server_process import ServerProcess

CHROMIUM = os.environ.get("DEALER_CHAT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """One Chromium for the whole run: launching one costs seconds of CPU."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        yield browser
        await browser.close()


@pytest.fixture
async def browser(chromium: Browser) -> AsyncIterator[Browser]:
    """The run's Chromium, with every page a test opened closed when it ends.

    Playwright switches off background throttling, so a page left open keeps running its
    timers, sockets and animations at full speed for the rest of the run: left alone, the
    pages of earlier tests took more CPU than the tests themselves.
    """
    yield chromium
    for context in chromium.contexts:
        await context.close()


async def new_page(browser: Browser, *, width: int = 1280, height: int = 800) -> Page:
    context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    page.set_default_timeout(15_000)
    return page


async def screenshot(page: Page, name: str) -> Path:
    backend = os.environ.get("DEALER_CHAT_TEST_BACKEND", "embedded")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{backend}-{name}.png"
    await page.screenshot(path=str(path), animations="disabled")
    return path


async def signed_in_console(
    browser: Browser, server: ServerProcess, email: str, *, available: bool = True, **size: int
) -> Page:
    page = await new_page(browser, **size)
    await page.goto(server.url + "/console")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("[data-testid=sign-in]")
    toggle = page.locator("[data-testid=presence-toggle]")
    await toggle.wait_for()
    # A function, not an expression: Playwright evals an expression string in the page, which
    # the console's CSP (no 'unsafe-eval') refuses.
    await page.wait_for_function(
        "() => document.querySelector('[data-testid=presence-toggle]').disabled === false"
    )
    if available and (await toggle.get_attribute("data-status")) != "available":
        await toggle.click()
        await page.wait_for_selector("[data-testid=presence-toggle][data-status=available]")
    return page


async def shopper_page(browser: Browser, server: ServerProcess, **size: int) -> Page:
    page = await new_page(browser, **size)
    await page.goto(server.url + "/")
    await page.click("[data-dc=launcher]")
    await page.locator("[data-dc=panel]").wait_for()
    return page


async def shopper_says(page: Page, text: str) -> None:
    await page.fill("[data-dc=input]", text)
    await page.click("[data-dc=send]")
