"""Issue 14's acceptance journey in Chromium: ``dealer-chat serve`` on an empty database, and
after it no command line at all, only the console and a dealer's web page.

1. The first admin opens the setup link ``serve`` printed, creates their account, creates a
   dealership and a receptionist pool that covers it, invites the dealership's manager and the
   pool's receptionist (no SMTP here: each set-password link is shown once on the page).
2. The manager chooses a password from the link, sets sales hours (24 hours every day) with a
   holiday closure, has the pool answer outside sales hours, invites a salesperson (who chooses
   a password in their own browser) and sets the widget's colour.
3. The manager copies the embed snippet and allows a second loopback origin, which this test
   serves itself with exactly that snippet pasted into its page.
4. A shopper on that page sees the widget in the chosen colour and rings the salesperson, who
   accepts: the widget says so.
5. The manager closes sales for today (the holiday is today in the dealership's time zone, so
   the real server clock is on it): a new shopper on the same page rings the pool, and the
   receptionist accepts, while the salesperson, still available, is not rung.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import new_page, screenshot
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e

CLI = [sys.executable, "-m", "chat_server.cli"]
PASSWORD = "correct horse battery staple"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Dark enough for white text (the widget page refuses a colour under 4.5:1).
COLOUR, COLOUR_RGB = "#7b1e3a", "rgb(123, 30, 58)"
# Waits for a ring or a widget state that crosses the server: generous on a busy 2-core box.
RING_WAIT_MS = 30_000

# example.* addresses: sign-in e-mails are validated, and reserved names like .test are refused.
ADMIN = ("Ada Installer", "ada@example.net")
MANAGER = ("Mona Manager", "mona@example.com")
SALESPERSON = ("Sid Seller", "sid@example.com")
RECEPTIONIST = ("Rae Reception", "rae@example.org")
STORE, SLUG, POOL = "Lakeside Motors", "lakeside-motors", "Evening Desk"


# --- the server: `dealer-chat serve` on an empty database ---------------------------------


@dataclass(frozen=True)
class Served:
    url: str
    setup_link: str
    log: Path


def _server_env(tmp_path: Path, port: int) -> dict[str, str]:
    # Nothing of the test run's own DEALER_CHAT_* (an SMTP server would e-mail the links).
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALER_CHAT_")}
    env.update(
        DEALER_CHAT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'journey.sqlite3'}",
        DEALER_CHAT_SECRET_KEY=secrets.token_urlsafe(40),
        DEALER_CHAT_HOST="127.0.0.1",
        DEALER_CHAT_PORT=str(port),
        DEALER_CHAT_LOG_FORMAT="text",
    )
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> str:
    """The setup link ``serve`` printed, once ``/healthz`` answers."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        raise RuntimeError(f"serve did not start:\n{log.read_text()[-3000:]}")
    found = re.search(r"http://\S+/console/setup/\S+", log.read_text())
    assert found, f"no setup link in serve's output:\n{log.read_text()[-3000:]}"
    return found.group(0)


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[Served]:
    """``dealer-chat serve`` on a freshly migrated, empty SQLite database (the migration is
    the installation's setup, before ``serve``); stopped when the test ends."""
    port = free_port()
    env = _server_env(tmp_path, port)
    migrated = subprocess.run(
        [*CLI, "migrate"], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    log = tmp_path / "serve.log"
    with log.open("ab") as out:
        process = subprocess.Popen([*CLI, "serve"], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        yield Served(url, _wait_until_up(process, url, log), log)
    finally:
        _stop(process)


# --- the dealer's website: another loopback origin --------------------------------------


class _DealerSite(BaseHTTPRequestHandler):
    html = ""  # set on the subclass once the manager has copied the snippet

    def do_GET(self) -> None:
        if self.path.split("?")[0] != "/" or not self.html:
            self.send_error(404)
            return
        data = self.html.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def dealer_site() -> Iterator[tuple[str, type[_DealerSite]]]:
    """A one-page website on 127.0.0.2 (another origin than the chat server's 127.0.0.1);
    yields its origin and the handler class whose ``html`` is the page."""
    handler = type("LakesideSite", (_DealerSite,), {})
    httpd = ThreadingHTTPServer(("127.0.0.2", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.2:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def site_page(snippet: str) -> str:
    """The dealer's page, with the snippet pasted just before ``</body>`` as the console says."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Used cars | {STORE}</title></head>
<body><main><h1>{STORE}</h1><p>Certified pre-owned cars on the lake.</p></main>
{snippet}
</body></html>
"""


# --- the dealership's clock ---------------------------------------------------------------


def quiet_zone(now: datetime) -> str:
    """Chicago, unless it is within an hour of midnight there: then Los Angeles, two hours
    behind. Either way "today" there stays the same date for the minutes the test runs."""
    for zone in ("America/Chicago", "America/Los_Angeles"):
        if 1 <= now.astimezone(ZoneInfo(zone)).hour < 23:
            return zone
    raise AssertionError("unreachable: the two zones are two hours apart")


def today_in(zone: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date()


# --- people in their own browsers ---------------------------------------------------------


async def choose_password(page: Page, link: str, name: str) -> None:
    await page.goto(link)
    await expect(page.locator("h1")).to_have_text(f"Welcome, {name}")
    await page.fill("input[name=password]", PASSWORD)
    await page.fill("input[name=confirm_password]", PASSWORD)
    await page.click("[data-testid=set-password]")
    await page.wait_for_url(re.compile(r"/console$"))
    await expect(page.get_by_test_id("operator-name")).to_have_text(name)


async def sign_in(page: Page, url: str, email: str) -> None:
    await page.goto(url + "/console/sign-in")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("[data-testid=sign-in]")
    await page.wait_for_url(re.compile(r"/console$"))


async def go_available(page: Page) -> None:
    toggle = page.get_by_test_id("presence-toggle")
    await toggle.wait_for()
    # A function, not an expression: the console's CSP has no 'unsafe-eval'.
    await page.wait_for_function(
        "() => document.querySelector('[data-testid=presence-toggle]').disabled === false"
    )
    if (await toggle.get_attribute("data-status")) != "available":
        await toggle.click()
    await expect(toggle).to_have_attribute("data-status", "available")


async def invite(page: Page, name: str, email: str, role: str) -> str:
    """Invite someone on the team page open in ``page``; returns the link shown once."""
    form = page.get_by_test_id("invite-form")
    await form.locator("input[name=name]").fill(name)
    await form.locator("input[name=email]").fill(email)
    await form.locator("select[name=role]").select_option(role)
    await page.click("[data-testid=invite]")
    link = page.get_by_test_id("one-time-url")
    await expect(link).to_contain_text("/console/set-password/")
    person = page.locator(f"[data-testid=person][data-email='{email}']")
    await expect(person.get_by_test_id("person-status")).to_have_text("Invited")
    return (await link.inner_text()).strip()


async def shopper_opens(browser: Browser, site: str) -> Page:
    shopper = await new_page(browser)
    await shopper.goto(site + "/")
    launcher = shopper.locator("[data-dc=launcher]")
    # The theme comes from the server (/widget/config): the button takes the chosen colour.
    await expect(launcher).to_have_css("background-color", COLOUR_RGB, timeout=RING_WAIT_MS)
    await launcher.click()
    await shopper.locator("[data-dc=panel]").wait_for()
    return shopper


async def shopper_says(shopper: Page, text: str) -> None:
    await shopper.fill("[data-dc=input]", text)
    await shopper.click("[data-dc=send]")


async def accept_ring(console: Page) -> None:
    ring = console.get_by_test_id("ring").first
    await ring.wait_for(timeout=RING_WAIT_MS)
    await ring.get_by_test_id("accept").click()
    await console.get_by_test_id("conversation").first.wait_for()


async def add_closure(page: Page, day: date, label: str) -> None:
    """A dated closure for sales on the Hours page open in ``page``."""
    add = page.get_by_test_id("hours-add-exception")
    await add.locator("input[name=date]").fill(day.isoformat())
    await add.locator("input[name=label]").fill(label)
    await add.locator("input[name=departments][value=sales]").check()
    await add.locator("input[name=kind][value=closed]").check()
    await add.get_by_role("button", name="Add date").click()
    await expect(page.get_by_test_id("settings-notice")).to_contain_text("closed")
    await expect(page.get_by_test_id(f"hours-exception-{day}")).to_contain_text(label)


# --- the journey ----------------------------------------------------------------------------


async def test_from_an_empty_server_to_a_chat_answered_by_the_store_then_by_the_pool(
    browser: Browser, empty_server: Served
) -> None:
    url = empty_server.url
    zone = quiet_zone(datetime.now(UTC))

    # 1. The first admin: setup link, account, dealership, pool, coverage, two invitations.
    admin = await new_page(browser)
    await admin.goto(empty_server.setup_link)
    await expect(admin.locator("h1")).to_have_text("Set up dealer-chat")
    setup = admin.get_by_test_id("setup-form")
    await setup.locator("input[name=name]").fill(ADMIN[0])
    await setup.locator("input[name=email]").fill(ADMIN[1])
    await setup.locator("input[name=password]").fill(PASSWORD)
    await setup.locator("input[name=confirm_password]").fill(PASSWORD)
    await screenshot(admin, "journey-1-setup")
    await admin.click("[data-testid=create-admin]")
    await admin.wait_for_url(re.compile(r"/console/settings$"))
    await admin.click("[data-testid=settings-platform]")

    create = admin.get_by_test_id("create-dealership")
    await create.locator("input[name=name]").fill(STORE)
    await create.locator("input[name=slug]").fill(SLUG)
    await create.locator("input[name=time_zone]").fill(zone)
    await create.get_by_role("button", name="Create dealership").click()
    await expect(admin.get_by_test_id("settings-notice")).to_contain_text(f"Created {STORE}")
    await expect(admin.get_by_test_id(f"platform-dealership-{SLUG}")).to_contain_text(zone)
    await admin.locator("input[name=pool_name]").fill(POOL)
    await admin.get_by_role("button", name="Create pool").click()
    pools = admin.get_by_test_id("platform-pools")
    await expect(pools).to_contain_text(POOL)
    await screenshot(admin, "journey-1-platform")

    await pools.get_by_role("link", name=POOL).click()
    await expect(admin.get_by_test_id("covers-nothing")).to_be_visible()
    await admin.locator("select[name=dealership]").select_option(label=STORE)
    await admin.get_by_role("button", name="Cover it").click()
    await expect(admin.get_by_test_id(f"covered-{SLUG}")).to_be_visible()
    await admin.get_by_test_id("pool-team").click()
    await expect(admin.locator("h1")).to_have_text("Receptionists")
    receptionist_link = await invite(admin, *RECEPTIONIST, "receptionist")

    await admin.goto(url + "/console/settings/platform")
    await admin.get_by_test_id(f"platform-dealership-{SLUG}").get_by_role("link").click()
    await expect(admin.locator("h1")).to_have_text("Team")
    found = re.search(r"/console/settings/dealerships/(\d+)/team$", admin.url)
    assert found, admin.url
    store_settings = f"{url}/console/settings/dealerships/{found.group(1)}"
    manager_link = await invite(admin, *MANAGER, "manager")
    await screenshot(admin, "journey-1-manager-invited")
    await admin.context.close()

    # The receptionist chooses a password now; they come on shift for step 5.
    receptionist = await new_page(browser)
    await choose_password(receptionist, receptionist_link, RECEPTIONIST[0])
    await receptionist.context.close()

    # 2. The manager: password, hours with a holiday, the pool after hours, a salesperson, colour.
    manager = await new_page(browser)
    await choose_password(manager, manager_link, MANAGER[0])
    await manager.click("[data-testid=nav-settings]")
    await manager.click(f"[data-testid=settings-{SLUG}-hours]")
    await expect(manager.get_by_test_id("hours-zone")).to_contain_text(zone)
    sales = manager.get_by_test_id("hours-week-sales")
    for day in DAYS:
        await sales.locator(f"input[name=sales_{day}_all_day]").check()
    await sales.get_by_role("button", name="Save sales hours").click()
    await expect(manager.get_by_test_id("settings-notice")).to_contain_text("Sales hours saved")
    await expect(manager.get_by_test_id("hours-status-sales")).to_have_class(re.compile("is-open"))
    today = today_in(zone)
    await add_closure(manager, today + timedelta(days=30), "Founders' Day")
    await screenshot(manager, "journey-2-hours")

    await manager.goto(store_settings + "/ladder")
    await manager.select_option("select[name=after_hours]", "pool")
    await manager.click("[data-testid=ladder-save]")
    await expect(manager.get_by_test_id("settings-notice")).to_have_text("Ladder settings saved.")

    await manager.goto(store_settings + "/team")
    salesperson_link = await invite(manager, *SALESPERSON, "salesperson")
    salesperson = await new_page(browser)
    await choose_password(salesperson, salesperson_link, SALESPERSON[0])

    await manager.goto(store_settings + "/widget")
    await manager.get_by_test_id("widget-color").fill(COLOUR)
    await manager.click("[data-testid=widget-save]")
    await expect(manager.get_by_test_id("settings-notice")).to_contain_text("Widget saved.")
    await expect(manager.get_by_test_id("widget-preview-launcher")).to_have_css(
        "background-color", COLOUR_RGB
    )

    # 3. The snippet, copied from the page, pasted into another origin's page; that origin allowed.
    await manager.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    await manager.click("[data-testid=widget-copy]")
    await expect(manager.get_by_test_id("widget-copy-status")).to_have_text("Copied")
    snippet = await manager.evaluate("() => navigator.clipboard.readText()")
    assert snippet == await manager.get_by_test_id("widget-snippet-text").input_value()
    assert snippet.startswith(f'<script src="{url}/widget.js" data-site="'), snippet
    with dealer_site() as (site, page_holder):
        page_holder.html = site_page(snippet)
        await expect(manager.get_by_test_id("widget-no-origins")).to_be_visible()
        await manager.get_by_test_id("widget-origin-input").fill(site)
        await manager.click("[data-testid=widget-origin-submit]")
        await expect(manager.get_by_test_id("settings-notice")).to_contain_text(site)
        await expect(manager.get_by_test_id("widget-origin")).to_contain_text(site)
        await screenshot(manager, "journey-3-widget")

        # 4. A shopper on that page rings the new salesperson, who accepts.
        await go_available(salesperson)
        first = await shopper_opens(browser, site)
        await shopper_says(first, "Is the blue Outback still on the lot?")
        status = first.locator("[data-dc=status]")
        await expect(status).to_contain_text(f"Ringing the sales team at {STORE}")
        await expect(salesperson.get_by_test_id("ring").first).to_contain_text(
            "blue Outback", timeout=RING_WAIT_MS
        )
        await screenshot(salesperson, "journey-4-ring")
        await accept_ring(salesperson)
        await expect(status).to_contain_text(f"{SALESPERSON[0]} joined the chat")
        pane = salesperson.get_by_test_id("conversation").first
        await pane.get_by_test_id("reply").fill("It is! Want to drive it today?")
        await pane.get_by_test_id("send").click()
        messages = first.locator("[data-dc=messages] [data-dc=message]")
        await expect(messages.nth(1)).to_contain_text("Want to drive it today?")
        await screenshot(first, "journey-4-shopper-connected")
        await first.context.close()

        # 5. Today becomes the holiday: the same page's next chat goes to the pool.
        await manager.goto(store_settings + "/hours")
        assert today_in(zone) == today, "the date turned in the dealership's zone mid-test"
        await add_closure(manager, today, "Lakeside Day")
        await expect(manager.get_by_test_id("hours-status-sales")).to_have_class(
            re.compile("is-closed")
        )
        await expect(manager.get_by_test_id("hours-exceptions")).to_contain_text("Founders' Day")
        await screenshot(manager, "journey-5-holiday")
        await manager.context.close()

        receptionist = await new_page(browser)
        await sign_in(receptionist, url, RECEPTIONIST[1])
        await go_available(receptionist)
        second = await shopper_opens(browser, site)
        await shopper_says(second, "Are you open today?")
        status = second.locator("[data-dc=status]")
        await expect(status).to_contain_text("Connecting you with our team", timeout=RING_WAIT_MS)
        pool_ring = receptionist.get_by_test_id("ring").first
        await expect(pool_ring).to_contain_text("open today", timeout=RING_WAIT_MS)
        await expect(pool_ring).to_contain_text("pool")
        # The salesperson is still on shift, but today is closed and after hours rings the pool.
        await expect(salesperson.get_by_test_id("ring")).to_have_count(0)
        await screenshot(receptionist, "journey-5-pool-ring")
        await accept_ring(receptionist)
        await expect(status).to_contain_text(f"{RECEPTIONIST[0]} joined the chat")
        await screenshot(second, "journey-5-shopper-pool")
