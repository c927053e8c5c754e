"""The console in Chromium: a ring that vanishes everywhere at once, a ring that reaches a hidden
tab, shopper text shown as inert text, the dashboard, and axe-core on the main screens."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from chat_server.store.database import open_database
from tests.e2e.axe import serious_violations
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    screenshot,
    shopper_page,
    shopper_says,
    signed_in_console,
)
from tests.operator_console.scenario import seed_month
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ALEX = "alex@demo-motors.test"
SAM = "sam@demo-motors.test"
MORGAN = "morgan@demo-motors.test"

XSS = [
    "<script>window.__xss = 1</script>",
    '<img src=x onerror="window.__xss = 2">',
    '"><svg onload="window.__xss = 3">',
    "javascript:window.__xss = 4",
    '<a href="javascript:window.__xss = 5">click</a>',
    "{{7*7}} ${7*7} <b>bold</b> &lt;i&gt;",
]

# Records the instant the ring card leaves this page.
WATCH_RING = """() => {
  window.__ringGoneAt = null;
  const box = document.querySelector('[data-testid=rings]');
  new MutationObserver(() => {
    if (!box.querySelector('[data-testid=ring]') && window.__ringGoneAt === null) {
      window.__ringGoneAt = Date.now();
    }
  }).observe(box, { childList: true });
}"""

# Spies installed before the console's script: notifications, tones, and a tab we can hide.
SPIES = """
window.__notes = [];
window.__tones = 0;
window.__hidden = false;
Object.defineProperty(Document.prototype, 'hidden', { get() { return window.__hidden; } });
Object.defineProperty(Document.prototype, 'visibilityState',
  { get() { return window.__hidden ? 'hidden' : 'visible'; } });
const RealNotification = window.Notification;
class SpyNotification {
  constructor(title, options) {
    window.__notes.push({ title, body: (options || {}).body || '' });
    try { this.inner = new RealNotification(title, options); } catch (_) { this.inner = null; }
  }
  close() { if (this.inner) this.inner.close(); }
  static get permission() { return RealNotification.permission; }
  static requestPermission() { return RealNotification.requestPermission(); }
}
window.Notification = SpyNotification;
const realStart = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__tones += 1;
  return realStart.apply(this, args);
};
"""


async def test_the_other_ring_vanishes_in_under_a_second_and_shopper_text_is_inert(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 60, "pool_window": 60})
    server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    alex = await signed_in_console(browser, server, ALEX)
    sam = await signed_in_console(browser, server, SAM, width=390, height=844)
    shopper = await shopper_page(browser, server)

    await shopper_says(shopper, "Hi! Is the blue RAV4 on your lot today?")
    for page in (alex, sam):
        await expect(page.locator("[data-testid=ring]")).to_have_count(1)
    await expect(sam.locator("[data-testid=countdown]")).to_have_text(re.compile(r"^\d+s$"))
    await expect(sam.locator("[data-testid=first-words]")).to_contain_text("blue RAV4")
    phone = await screenshot(sam, "console-ring-phone")
    assert phone.exists()
    box = await sam.locator("[data-testid=accept]").bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 40  # one thumb tap

    await sam.evaluate(WATCH_RING)
    clicked_at = await alex.evaluate(
        "() => { const t = Date.now();"
        " document.querySelector('[data-testid=accept]').click(); return t; }"
    )
    await expect(sam.locator("[data-testid=ring]")).to_have_count(0)
    gone_at = await sam.evaluate("() => window.__ringGoneAt")
    assert gone_at is not None and gone_at - clicked_at < 1000, gone_at - clicked_at
    # ...and Sam is told who took it, rather than seeing it silently vanish.
    await expect(sam.locator("[data-testid=ring-taken]")).to_have_text("Taken by Alex Rivera.")
    pane = alex.locator("[data-testid=conversation]").first
    await pane.wait_for()

    for payload in XSS:
        await shopper_says(shopper, payload)
    messages = pane.locator("[data-testid=message]")
    await expect(messages).to_have_count(1 + len(XSS))
    texts = [
        t.strip() for t in await pane.locator("[data-testid=message] .msg-body").all_inner_texts()
    ]
    assert texts[1:] == XSS
    assert await alex.evaluate("() => window.__xss") is None
    transcript = pane.locator("[data-testid=transcript]")
    assert await transcript.locator("script, img, svg, a[href^=javascript], b").count() == 0
    await screenshot(alex, "console-xss-inert")

    # The workspace: canned replies with placeholders, internal notes, the dealership's facts.
    await pane.locator("[data-testid=canned]").select_option(label="Greeting")
    await expect(pane.locator("[data-testid=reply]")).to_have_value(
        "Hi, this is Alex Rivera at Demo Motors. How can I help you today?"
    )
    await pane.locator("[data-testid=context] summary").click()
    await expect(pane.locator("[data-testid=dealer-notes]")).to_contain_text("Free loaner")
    await expect(pane.locator("[data-testid=returning]")).to_contain_text("First chat")
    await pane.locator("[data-testid=note-input]").fill("<b>wants</b> a callback at 5")
    await pane.locator("[data-testid=add-note]").click()
    await expect(pane.locator("[data-testid=note]")).to_have_text(
        "Alex Rivera: <b>wants</b> a callback at 5"
    )
    await screenshot(alex, "console-workspace")
    assert await serious_violations(alex) == [], "console with a chat open"


async def test_a_hidden_tab_gets_a_notification_and_the_ring_sound(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server({"store_window": 60, "pool_window": 60})
    server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.grant_permissions(["notifications"], origin=server.url)
    await context.add_init_script(SPIES)
    page = await context.new_page()
    await page.goto(server.url + "/console")
    assert await serious_violations(page) == [], "sign-in page"
    await page.fill("input[name=email]", ALEX)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("[data-testid=sign-in]")
    toggle = page.locator("[data-testid=presence-toggle]")
    await expect(toggle).to_be_enabled()
    await toggle.click()  # the click also lets the page play sound
    await expect(toggle).to_have_attribute("data-status", "available")
    assert await page.evaluate("() => Notification.permission") == "granted"
    # The console's own title, which the flashing alternates with.
    base_title = await page.title()
    assert base_title.startswith("Console · "), base_title

    await page.evaluate(
        "() => { window.__hidden = true; document.dispatchEvent(new Event('visibilitychange')); }"
    )
    tones_before = await page.evaluate("() => window.__tones")
    shopper = await shopper_page(browser, server)
    await shopper_says(shopper, "Do you take trade-ins?")
    await expect(page.locator("[data-testid=ring]")).to_have_count(1)
    notes = await page.evaluate("() => window.__notes")
    assert len(notes) == 1 and "Do you take trade-ins?" in notes[0]["body"], notes
    assert "Demo Motors" in notes[0]["title"]
    await page.wait_for_function(f"() => window.__tones > {tones_before}")
    # The sound repeats while the ring is unanswered, and the title flashes: it shows the
    # ring, then the console's own title again.
    first = await page.evaluate("() => window.__tones")
    await page.wait_for_function(f"() => window.__tones > {first}", timeout=6_000)
    await page.wait_for_function("() => document.title.includes('1 new chat')", timeout=3_000)
    await page.wait_for_function("(base) => document.title === base", arg=base_title, timeout=3_000)
    assert await serious_violations(page) == [], "console with a ring"
    await context.close()


async def test_the_dashboard_at_desktop_size(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server()
    async with open_database(server.database_url) as db, db.sessions() as session:  # noqa: SIM117
        async with session.begin():
            await seed_month(session, "demo-motors", datetime.now(UTC))
    morgan = await signed_in_console(browser, server, MORGAN, available=False)
    await morgan.goto(server.url + "/console/dashboard?period=30d")
    await expect(morgan.locator("[data-testid=stat-chats]")).to_have_text("7")
    await expect(morgan.locator("[data-testid=outcome-up]")).to_have_text("3")
    await expect(morgan.locator("[data-testid=stat-median]")).to_have_text("30 s")
    await expect(morgan.locator("[data-testid=waiting-chat]")).to_contain_text("Wendy Waiting")
    await screenshot(morgan, "dashboard-desktop")
    assert await serious_violations(morgan) == [], "dashboard"
    async with morgan.expect_download() as download:
        await morgan.click("[data-testid=csv-export]")
    path = await (await download.value).path()
    assert path is not None and len(Path(path).read_text().splitlines()) == 8
