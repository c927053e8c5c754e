"""The team pages in Chromium: a manager invites a salesperson (no SMTP here, so the link is
shown once), the invitee chooses a password on their phone and lands in the console, the
manager deactivates someone; a pool manager's receptionists page. Screenshots at 1280x800 and
390x844, no horizontal scrolling, and no serious axe findings."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest
from playwright.async_api import Browser, Page, expect

from chat_server.demo_world import DEMO_PASSWORD, DEMO_POOL
from tests.e2e.axe import serious_violations
from tests.e2e.conftest import new_page, screenshot
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

MORGAN = "morgan@demo-motors.test"
NEW_PASSWORD = "correct horse battery staple"
PHONE = {"width": 390, "height": 844}


async def sign_in(page: Page, server: ServerProcess, email: str, password: str) -> None:
    await page.goto(server.url + "/console/sign-in")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    await page.click("[data-testid=sign-in]")
    await page.wait_for_url(re.compile(r"/console$"))


async def whole_page(page: Page, name: str) -> None:
    """The viewport's screenshot, and the whole page's beside it (``-full``) to look at."""
    path = await screenshot(page, name)
    await page.screenshot(path=str(path.with_name(path.stem + "-full.png")), full_page=True)


async def fits(page: Page, axe: bool = True) -> None:
    """No horizontal scrolling, and nothing axe calls serious (checked once per page: the
    phone's layout of a page has the same markup)."""
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= await page.evaluate("() => window.innerWidth"), page.url
    if axe:
        assert await serious_violations(page) == [], page.url


async def choose_password(page: Page, url: str) -> None:
    await page.goto(url)
    await page.fill("input[name=password]", NEW_PASSWORD)
    await page.fill("input[name=confirm_password]", NEW_PASSWORD)
    await page.click("[data-testid=set-password]")
    await page.wait_for_url(re.compile(r"/console$"))


async def test_a_manager_runs_the_team_and_an_invitee_sets_a_password(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server()
    manager = await new_page(browser)
    await sign_in(manager, server, MORGAN, DEMO_PASSWORD)
    await manager.click("[data-testid=nav-settings]")
    await manager.click("[data-testid=settings-demo-motors-team]")
    await expect(manager.locator("h1")).to_have_text("Team")
    team_url = manager.url

    # Invite a salesperson: without SMTP the link is shown once, here.
    form = manager.locator("[data-testid=invite-form]")
    await form.locator("input[name=name]").fill("Nia Newcomer")
    await form.locator("input[name=email]").fill("nia@example.com")
    await form.locator("select[name=role]").select_option("salesperson")
    await form.locator("input[name=capacity]").fill("2")
    await manager.click("[data-testid=invite]")
    link = manager.locator("[data-testid=one-time-url]")
    await expect(link).to_contain_text("/console/set-password/")
    url = (await link.inner_text()).strip()
    await expect(manager.locator("[data-testid=copy-link]")).to_be_visible()
    nia = manager.locator("[data-testid=person][data-email='nia@example.com']")
    await expect(nia.locator("[data-testid=person-status]")).to_have_text("Invited")
    await whole_page(manager, "settings-team")
    await fits(manager)

    # Deactivate Sam (after the page's confirmation): history kept, shown as deactivated.
    manager.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    sam = manager.locator("[data-testid=person][data-email='sam@demo-motors.test']")
    await sam.locator("[data-testid=deactivate]").click()
    await expect(manager.locator("[data-testid=settings-notice]")).to_have_text(
        "Sam Patel: deactivated."
    )
    await expect(sam).to_have_attribute("data-status", "deactivated")
    await expect(sam.locator("[data-testid=reactivate]")).to_be_visible()

    # The same page on a phone, with one person's change form open.
    phone = await new_page(browser, **PHONE)
    await sign_in(phone, server, MORGAN, DEMO_PASSWORD)
    await phone.goto(team_url)
    await phone.locator("[data-testid=person][data-email='alex@demo-motors.test'] summary").click()
    await whole_page(phone, "settings-team-phone")
    await fits(phone, axe=False)

    # Nia opens her link on her phone, chooses a password, and is in the console.
    invitee = await new_page(browser, **PHONE)
    await invitee.goto(url)
    await expect(invitee.locator("h1")).to_have_text("Welcome, Nia Newcomer")
    await whole_page(invitee, "set-password-phone")
    await fits(invitee)
    await choose_password(invitee, url)
    await expect(invitee.locator("[data-testid=operator-name]")).to_have_text("Nia Newcomer")
    await invitee.goto(url)
    await expect(invitee.locator("[data-testid=link-gone]")).to_have_attribute("data-state", "used")

    # The set-password page at desktop size, from a fresh reset link.
    await manager.goto(team_url)
    nia = manager.locator("[data-testid=person][data-email='nia@example.com']")
    await expect(nia.locator("[data-testid=person-status]")).to_have_text("Active")
    await nia.locator("[data-testid=reset-password]").click()
    reset_url = (await manager.locator("[data-testid=one-time-url]").inner_text()).strip()
    desk = await new_page(browser)
    await desk.goto(reset_url)
    await expect(desk.locator("h1")).to_have_text("Choose a new password")
    await whole_page(desk, "set-password")
    await fits(desk, axe=False)

    # A pool manager (invited from the command line) and the pool's receptionists page.
    out = await asyncio.to_thread(
        server.admin,
        *("invite-operator", "--email", "pat@example.com", "--name", "Pat Pool"),
        *("--role", "pool_manager", "--pool", DEMO_POOL),
    )
    token = next(line for line in out.splitlines() if "/set-password/" in line).rsplit("/", 1)[1]
    pool_manager = await new_page(browser)
    await choose_password(pool_manager, f"{server.url}/console/set-password/{token}")
    await pool_manager.click("[data-testid=nav-settings]")
    pool_link = await pool_manager.locator("[data-testid^=settings-pool-]").get_attribute("href")
    assert pool_link is not None
    pool_team = server.url + re.sub(r"/pools/(\d+).*$", r"/pools/\1/team", pool_link)
    await pool_manager.goto(pool_team)
    await expect(pool_manager.locator("h1")).to_have_text("Receptionists")
    await expect(pool_manager.locator("[data-testid=person]")).to_have_count(2)  # Riley, Pat
    await whole_page(pool_manager, "settings-pool-team")
    await fits(pool_manager)
    pool_phone = await new_page(browser, **PHONE)
    await sign_in(pool_phone, server, "pat@example.com", NEW_PASSWORD)
    await pool_phone.goto(pool_team)
    await whole_page(pool_phone, "settings-pool-team-phone")
    await fits(pool_phone, axe=False)
