"""The console under its strict Content-Security-Policy, in Chromium: every screen works and the
browser reports no violation; an injected inline script is refused; real forms (a lead's, the
sign-out) pass the cross-site guard. docs/security.md."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from chat_server.store.database import open_database
from tests.e2e.conftest import DEMO_PASSWORD, screenshot, shopper_page, shopper_says
from tests.operator_console.scenario import seed_month
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ALEX = "alex@demo-motors.test"
MORGAN = "morgan@demo-motors.test"

# Installed before any page script: every violation the page reports, whatever its source.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${where}`);
});
"""


class CspWatch:
    """The page's own violation events plus Chromium's "Refused to ..." console messages."""

    def __init__(self) -> None:
        self.console: list[str] = []

    def attach(self, page: Page) -> None:
        page.on(
            "console",
            lambda message: (
                self.console.append(message.text)
                if "Content Security Policy" in message.text
                or message.text.startswith("Refused to")
                else None
            ),
        )

    async def violations(self, page: Page) -> list[str]:
        return [*self.console, *await page.evaluate("() => window.__csp")]


async def watched_context(browser: Browser, width: int = 1280, height: int = 800) -> BrowserContext:
    context = await browser.new_context(viewport={"width": width, "height": height})
    await context.add_init_script(WATCH_CSP)
    return context


async def sign_in(page: Page, server: ServerProcess, email: str) -> None:
    await page.goto(server.url + "/console")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("[data-testid=sign-in]")
    await expect(page.locator("[data-testid=presence-toggle]")).to_be_enabled()


async def test_every_console_screen_runs_under_the_strict_policy(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 60, "pool_window": 60})
    server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    async with open_database(server.database_url) as db, db.sessions() as session:  # noqa: SIM117
        async with session.begin():
            await seed_month(session, "demo-motors", datetime.now(UTC))

    watch = CspWatch()
    context = await watched_context(browser)
    alex = await context.new_page()
    alex.set_default_timeout(15_000)
    watch.attach(alex)
    await sign_in(alex, server, ALEX)
    response = await alex.goto(server.url + "/console")
    assert response is not None
    assert "script-src 'self'" in (await response.header_value("content-security-policy") or "")
    toggle = alex.locator("[data-testid=presence-toggle]")
    await expect(toggle).to_be_enabled()
    if await toggle.get_attribute("data-status") != "available":
        await toggle.click()
        await expect(toggle).to_have_attribute("data-status", "available")

    # A live chat: the ring, accept, the workspace (context fetch, canned replies, notes).
    shopper = await shopper_page(browser, server)
    await shopper_says(shopper, "Is the RAV4 still on the lot?")
    await alex.locator("[data-testid=accept]").first.click()
    pane = alex.locator("[data-testid=conversation]").first
    await pane.wait_for()
    await pane.locator("[data-testid=canned]").select_option(label="Greeting")
    await pane.locator("[data-testid=context] summary").click()
    await expect(pane.locator("[data-testid=dealer-notes]")).to_contain_text("Free loaner")
    await pane.locator("[data-testid=note-input]").fill("call back at 5")
    await pane.locator("[data-testid=add-note]").click()
    await expect(pane.locator("[data-testid=note]")).to_contain_text("call back at 5")
    await screenshot(alex, "csp-console-chat")
    assert await watch.violations(alex) == [], "console with a chat"

    # Leads (its stylesheet now a file) and a lead's form, posted by the browser itself.
    await alex.goto(server.url + "/console/leads")
    await expect(alex.locator("[data-testid=lead]").first).to_be_visible()
    assert (
        await alex.evaluate(
            "() => getComputedStyle(document.querySelector('.lead-filters')).display"
        )
        == "flex"
    ), "leads.css did not apply"
    await alex.locator("[data-testid=lead-link]").first.click()
    await alex.locator("[data-testid=attempt-form] textarea[name=note]").fill("left a voicemail")
    await alex.locator("[data-testid=attempt-form] [type=submit]").click()
    await expect(alex.locator(".notice")).to_contain_text("Attempt logged")
    await screenshot(alex, "csp-lead-detail")
    await alex.goto(server.url + "/console/password")
    assert await watch.violations(alex) == [], "leads, lead detail, password"

    # The strict policy is really enforced: an injected inline script does not run.
    ran = await alex.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__injected = 1'; document.body.append(s);
                   return window.__injected === 1; }"""
    )
    assert ran is False
    await alex.wait_for_function("() => window.__csp.length > 0")
    assert any("script-src" in v for v in await watch.violations(alex))

    # Sign-out is a real cross-page form post: Chromium's Origin and Sec-Fetch-Site pass.
    await alex.locator("[data-testid=sign-out]").click()
    await expect(alex.locator("input[name=email]")).to_be_visible()
    await context.close()

    # The manager's dashboard: the histogram's bars are sized without inline styles.
    watch = CspWatch()
    context = await watched_context(browser)
    morgan = await context.new_page()
    morgan.set_default_timeout(15_000)
    watch.attach(morgan)
    await sign_in(morgan, server, MORGAN)
    await morgan.goto(server.url + "/console/dashboard?period=30d")
    await expect(morgan.locator("[data-testid=stat-chats]")).to_have_text("8")  # 7 seeded + ours
    heights = await morgan.evaluate(
        "() => [...document.querySelectorAll('.bar')].map((b) => b.getBoundingClientRect().height)"
    )
    assert max(heights) > 50, heights  # the tallest bar fills its column
    await screenshot(morgan, "csp-dashboard")
    assert await watch.violations(morgan) == [], "dashboard"
    await context.close()
