"""The console installed on a salesperson's phone, rung by Web Push with the tab closed (issue 13).

Real Chromium and a real server; a ring's push goes to the loopback push service of
tests/support/push_service.py, which checks its VAPID signature against the server's key and
decrypts it as a phone's browser would. Headless Chromium cannot subscribe to a real push
service (it has no network, and a Playwright context is incognito), so each decrypted payload
is handed to the console's service worker with DevTools' ``ServiceWorker.deliverPushMessage``,
which fires the worker's real ``push`` event. Nobody can tap a system notification from a
test: Accept and Decline call the worker's ``handleRingAction``, the function its
``notificationclick`` listener calls.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, CDPSession, Page, Worker, expect

from tests.e2e.axe import serious_violations
from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS, DEMO_PASSWORD, screenshot
from tests.e2e.test_console_csp import WATCH_CSP
from tests.support.clients import FrameClient, console, visitor
from tests.support.push_service import Delivery, PushService, Subscription
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ALEX = "alex@demo-motors.test"
SAM = "sam@demo-motors.test"
LADDER = {"store_window": 60, "pool_window": 60}
LOOPBACK = {"DEALER_CHAT_PUSH_LOOPBACK": "1"}
PHONE = {"width": 390, "height": 844}
T = TypeVar("T")

NOTIFICATIONS = """(tag) => navigator.serviceWorker.ready
  .then((r) => r.getNotifications(tag ? { tag } : {}))
  .then((shown) => shown.map((n) => ({
    title: n.title, body: n.body, tag: n.tag, silent: n.silent,
    requireInteraction: n.requireInteraction,
    actions: n.actions.map((a) => [a.action, a.title]),
  })))"""

# A fetch from inside the console page, with its CSRF token: what ring-my-phone.js does.
API = """async ([method, path, body]) => {
  const csrf = document.querySelector('input[name=csrf_token]').value;
  const r = await fetch(path, body === null ? { credentials: 'same-origin' } : {
    method, credentials: 'same-origin', body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
  });
  return [r.status, r.status === 204 ? null : await r.json()];
}"""


def _server(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    server = start_server(LADDER, env=LOOPBACK)
    server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    return server


async def _until(
    probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool], timeout: float = 10.0
) -> T:
    """Poll ``probe`` until ``ok`` holds (for state only a promise in the page can read)."""
    end = time.monotonic() + timeout
    while not ok(value := await probe()):
        if time.monotonic() > end:
            raise AssertionError(f"still {value!r} after {timeout} s")
        await asyncio.sleep(0.05)
    return value


async def _phone(browser: Browser, server: ServerProcess) -> BrowserContext:
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    await context.grant_permissions(["notifications"], origin=server.url)
    return context


async def _console(context: BrowserContext, server: ServerProcess) -> Page:
    """A console page of the context's signed-in operator, once its socket is welcomed."""
    page = await context.new_page()
    page.set_default_timeout(15_000)
    await page.goto(server.url + "/console")
    await expect(page.locator("[data-testid=presence-toggle]")).to_be_enabled()
    return page


async def _sign_in(context: BrowserContext, server: ServerProcess, email: str) -> Page:
    page = await context.new_page()
    page.set_default_timeout(15_000)
    await page.goto(server.url + "/console")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("[data-testid=sign-in]")
    toggle = page.locator("[data-testid=presence-toggle]")
    await expect(toggle).to_be_enabled()
    if await toggle.get_attribute("data-status") != "available":
        await toggle.click()
        await expect(toggle).to_have_attribute("data-status", "available")
    return page


async def _api(page: Page, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    status, data = await page.evaluate(API, [method, path, body])
    return status, data


async def _ring_my_phone(page: Page, service: PushService, label: str) -> Subscription:
    """Turn "Ring my phone" on with a subscription of the loopback push service."""
    subscription = service.subscribe()
    status, device = await _api(
        page,
        "POST",
        "/console/api/push/devices",
        {"subscription": subscription.info, "label": label},
    )
    assert status == 201, device
    return subscription


async def _public_key(page: Page) -> str:
    status, data = await _api(page, "GET", "/console/api/push/devices")
    assert status == 200, data
    return str(data["public_key"])


# Armed in the worker just before a push: resolves with what the worker's push handler did
# (shown, replaced, closed) once it is done. Reading the notifications instead, while one is
# being shown, can lose it: Chromium drops from its list (not from the screen) a notification
# written before the read began but not yet on screen when the read asked the display.
ARM = """() => { self.__handled = new Promise((resolve, reject) => {
  const real = self.handlePush;
  self.handlePush = (data) => {
    self.handlePush = real;
    const done = real(data);
    done.then(resolve, reject);
    return done;
  };
}); }"""


@dataclass
class PhoneWorker:
    """A context's console service worker, and DevTools on one of its pages to push to it."""

    context: BrowserContext
    server: ServerProcess
    cdp: CDPSession
    registration: str

    @classmethod
    async def of(cls, context: BrowserContext, server: ServerProcess, page: Page) -> PhoneWorker:
        await page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.scope)")
        cdp = await context.new_cdp_session(page)
        found: list[dict[str, Any]] = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: found.extend(
            r for r in e["registrations"]
            if r["scopeURL"] == server.url + "/console" and not r["isDeleted"]
        ))  # fmt: skip
        await cdp.send("ServiceWorker.enable")

        async def listed() -> list[dict[str, Any]]:
            return found

        await _until(listed, bool)
        return cls(context, server, cdp, str(found[0]["registrationId"]))

    async def worker(self) -> Worker:
        workers = [w for w in self.context.service_workers if w.url.endswith("/console/sw.js")]
        return workers[-1] if workers else await self.context.wait_for_event("serviceworker")

    async def push(self, payload: dict[str, Any]) -> str:
        """Fire the worker's real ``push`` event with a decrypted payload; what it did."""
        worker = await self.worker()
        await worker.evaluate(ARM)
        await self.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": self.server.url,
                "registrationId": self.registration,
                "data": json.dumps(payload),
            },
        )
        done: str = await asyncio.wait_for(worker.evaluate("() => self.__handled"), 10)
        return done

    async def tap(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """What the worker does for Accept, Decline or a tap on a ring's notification."""
        worker = await self.worker()
        done: dict[str, Any] = await worker.evaluate(
            "([action, data]) => self.handleRingAction(action, data)", [action, payload]
        )
        return done


async def _notifications(page: Page, tag: str = "") -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = await page.evaluate(NOTIFICATIONS, tag)
    return shown


def _push_of(
    subscription: Subscription, kind: str, conversation: str, **fields: Any
) -> Callable[[Delivery], bool]:
    def matches(delivery: Delivery) -> bool:
        payload = delivery.json()
        return (
            delivery.token == subscription.token
            and payload.get("type") == kind
            and payload.get("conversation") == conversation
            and all(payload.get(k) == v for k, v in fields.items())
        )

    return matches


async def _shopper_asks(server: ServerProcess, words: str) -> tuple[FrameClient, str]:
    shopper, _ = await visitor(server.ws_url, server.url)
    await shopper.send({"type": "message", "client_id": "s-0", "body": words})
    ack = await shopper.expect_keeping("ack", client_id="s-0")
    return shopper, str(ack["conversation"])


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_the_console_installs_as_an_app_and_has_an_offline_page(
    browser: Browser, start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    server = _server(start_server)
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/console/manifest.webmanifest")  # no cookie: browsers send none
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/manifest+json")
        manifest = response.json()
        assert manifest["name"] == "dealer-chat console"
        assert manifest["short_name"] and len(manifest["short_name"]) <= 12
        assert manifest["start_url"] == "/console"
        # Not "/console/": a scope is a URL prefix, and the console is /console itself.
        assert manifest["scope"] == "/console"
        assert manifest["display"] == "standalone"
        purposes: dict[str, set[str]] = {}
        for icon in manifest["icons"]:
            image = await http.get(icon["src"])
            assert image.status_code == 200, icon
            assert image.headers["content-type"] == icon["type"], icon
            if icon["type"] == "image/png":
                width, height = _png_size(image.content)
                assert f"{width}x{height}" == icon["sizes"], icon
            purposes.setdefault(icon["purpose"], set()).add(icon["sizes"])
        assert {"192x192", "512x512"} <= purposes["any"]
        assert "512x512" in purposes["maskable"]
        worker = await http.get("/console/sw.js")
        assert worker.headers["content-type"].startswith("text/javascript")
        assert worker.headers["cache-control"] == "no-cache"
        assert worker.headers["service-worker-allowed"] == "/console"
        assert "script-src 'self'" in worker.headers["content-security-policy"]

    context = await _phone(browser, server)
    page = await _sign_in(context, server, ALEX)
    # The manifest's colours are the console's own: its top bar, its page.
    colours = await page.evaluate(
        """() => [getComputedStyle(document.querySelector('.topbar')).backgroundColor,
                  getComputedStyle(document.body).backgroundColor,
                  document.querySelector('meta[name=theme-color]').content]"""
    )
    assert colours == ["rgb(17, 27, 38)", "rgb(243, 245, 248)", manifest["theme_color"]]
    assert (manifest["theme_color"], manifest["background_color"]) == ("#111b26", "#f3f5f8")
    # Chromium's own manifest parser finds nothing wrong.
    cdp = await context.new_cdp_session(page)
    parsed = await cdp.send("Page.getAppManifest")
    assert parsed["url"] == server.url + "/console/manifest.webmanifest"
    assert parsed["errors"] == []

    scope = await page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == server.url + "/console"
    await page.reload()
    await expect(page.locator("[data-testid=presence-toggle]")).to_be_enabled()
    assert await page.evaluate("() => navigator.serviceWorker.controller !== null")
    await expect(page.locator("[data-testid=ring-my-phone]")).to_be_visible()
    await screenshot(page, "installed-console-phone")

    # No network: console pages come from the worker's offline page, styled; the APIs fail
    # as they should rather than answer from a cache.
    await context.set_offline(True)
    for path in ("/console", "/console/leads", "/console?open=anything"):
        await page.goto(server.url + path)
        await expect(page.locator("[data-testid=offline] h1")).to_have_text("You are offline")
        await expect(page.locator("[data-testid=offline]")).to_contain_text(
            "Rings will still reach this phone"
        )
    assert (
        await page.evaluate(
            "() => getComputedStyle(document.querySelector('.topbar')).backgroundColor"
        )
        == "rgb(17, 27, 38)"
    ), "console.css was not served from the worker's cache"
    fetched = await page.evaluate(
        "() => fetch('/console/api/push/devices').then(() => 'answered', () => 'failed')"
    )
    assert fetched == "failed"
    await screenshot(page, "installed-console-offline")
    await context.set_offline(False)
    await page.click("[data-testid=offline-retry]")
    await expect(page.locator("[data-testid=presence-toggle]")).to_be_enabled()
    await context.close()

    # Installable by Chromium's own rules (a persistent profile: Playwright's contexts are
    # incognito, where nothing installs); a page without the manifest is not.
    profile = await browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
        headless=True, viewport=PHONE,
    )  # fmt: skip
    try:
        page = profile.pages[0] if profile.pages else await profile.new_page()
        cdp = await profile.new_cdp_session(page)
        await page.goto(server.url + "/")
        errors = await cdp.send("Page.getInstallabilityErrors")
        assert errors["installabilityErrors"], "the dealer's site should not be installable"
        await page.goto(server.url + "/console/sign-in")
        errors = await cdp.send("Page.getInstallabilityErrors")
        assert errors["installabilityErrors"] == []
    finally:
        await profile.close()


async def test_a_closed_console_is_rung_on_the_phone_and_accepts_from_the_notification(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = _server(start_server)
    context = await _phone(browser, server)
    page = await _sign_in(context, server, ALEX)
    async with PushService(expected_public_key=await _public_key(page)) as service:
        phone = await _ring_my_phone(page, service, "Chrome on Android")
        await page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.scope)")
        for open_page in context.pages:  # no console of Alex's is open any more
            await open_page.close()

        shopper, conversation = await _shopper_asks(server, "Is the blue RAV4 still there?")
        ring = await service.wait_for_async(_push_of(phone, "ring", conversation), timeout=15)
        payload = ring.json()
        assert ring.urgency == "high"
        assert 0 < ring.ttl <= LADDER["store_window"]
        assert ring.topic == conversation
        assert payload["first_words"] == "Is the blue RAV4 still there?"

        # Alex's phone: the worker shows the ring; the console, opened, shows it too.
        page = await _console(context, server)
        card = page.locator(f"[data-testid=ring][data-conversation='{conversation}']")
        await expect(card).to_be_visible()
        worker = await PhoneWorker.of(context, server, page)
        assert await worker.push(payload) == "shown"
        tag = f"ring-{conversation}"
        shown = await _notifications(page, tag)
        assert len(shown) == 1, shown
        assert shown[0]["title"] == "Demo Motors — new chat"
        assert "Is the blue RAV4 still there?" in shown[0]["body"]
        assert shown[0]["actions"] == [["accept", "Accept"], ["decline", "Decline"]]
        assert shown[0]["requireInteraction"] is True
        await screenshot(page, "installed-console-ring")

        # Accept on the notification: the console goes to the ring link, which accepts on the
        # server and lands on /console?open=<id> with the chat open.
        done = await worker.tap("accept", payload)
        assert done == {"action": "accept", "url": payload["accept_url"]}
        await page.wait_for_url(f"{server.url}/console?open={conversation}")
        pane = page.locator(f"[data-testid=conversation][data-conversation='{conversation}']")
        await expect(pane).to_be_visible()
        await expect(pane).to_have_class(re.compile(r"\bopened\b"))
        await expect(pane.locator("[data-testid=conversation-state]")).to_have_text("Live")
        await expect(pane.locator("[data-testid=reply]")).to_be_focused()
        await expect(page.locator("[data-testid=ring]")).to_have_count(0)
        status = await shopper.expect("status", state="connected")
        assert status["agent"] == {"name": "Alex Rivera"}
        await _until(lambda: _notifications(page, tag), lambda n: n == [])
        await screenshot(page, "installed-console-accepted")

        # The server's "accepted" cancel reaches the phone too; with the console in front
        # and the notification already gone, the worker shows nothing.
        cancel = await service.wait_for_async(
            _push_of(phone, "ring_cancelled", conversation, reason="accepted")
        )
        assert await worker.push(cancel.json()) == "closed"
        assert await _notifications(page) == []
        await page.locator("[data-testid=reply]").fill("Hi, this is Alex. It is here!")
        await page.locator("[data-testid=send]").click()
        await shopper.expect("message", body="Hi, this is Alex. It is here!")
        await shopper.close()
    await context.close()


async def test_the_cancel_push_closes_a_colleagues_notification_and_decline_works(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = _server(start_server)
    context = await _phone(browser, server)
    page = await _sign_in(context, server, SAM)
    async with PushService(expected_public_key=await _public_key(page)) as service:
        phone = await _ring_my_phone(page, service, "Samsung Internet on Android")
        worker = await PhoneWorker.of(context, server, page)
        alex, _ = await console(server.url, ALEX)
        await alex.send({"type": "presence", "status": "available"})
        await alex.expect("presence", status="available")

        # Both are rung; Alex accepts at his desk; Sam's phone gets the cancel.
        shopper, conversation = await _shopper_asks(server, "Do you have the Camry in red?")
        ring = await service.wait_for_async(_push_of(phone, "ring", conversation), timeout=15)
        assert await worker.push(ring.json()) == "shown"
        tag = f"ring-{conversation}"
        assert len(await _notifications(page, tag)) == 1
        await alex.expect("ring", conversation=conversation)
        await alex.send({"type": "accept", "conversation": conversation})
        await alex.expect("conversation", id=conversation)
        cancel = await service.wait_for_async(
            _push_of(phone, "ring_cancelled", conversation, reason="taken")
        )
        assert cancel.topic == conversation and cancel.urgency == "high"
        # The ring is replaced in place by a silent line that goes a few seconds later.
        assert await worker.push(cancel.json()) == "replaced"
        shown = await _notifications(page, tag)
        assert [(n["title"], n["silent"], n["actions"]) for n in shown] == [
            ("Taken by a colleague", True, [])
        ]
        await _until(lambda: _notifications(page, tag), lambda n: n == [], timeout=10)
        await expect(page.locator("[data-testid=ring]")).to_have_count(0)
        await shopper.close()

        # Decline on the notification: the worker posts the ring's decline link.
        shopper, conversation = await _shopper_asks(server, "Can I book a test drive?")
        ring = await service.wait_for_async(_push_of(phone, "ring", conversation), timeout=15)
        # The payload's plain link (/console?accept=<id>) only puts that ring's Accept in
        # front: a link alone never accepts.
        await page.goto(f"{server.url}/console?accept={conversation}")
        card = page.locator(f"[data-testid=ring][data-conversation='{conversation}']")
        await expect(card.locator("[data-testid=accept]")).to_be_focused()
        assert await worker.push(ring.json()) == "shown"
        tag = f"ring-{conversation}"
        assert len(await _notifications(page, tag)) == 1
        done = await worker.tap("decline", ring.json())
        assert done == {"action": "decline", "url": ring.json()["decline_url"], "status": 204}
        await _until(lambda: _notifications(page, tag), lambda n: n == [])
        await expect(page.locator("[data-testid=ring]")).to_have_count(0)  # declined everywhere
        await alex.expect("ring", conversation=conversation)  # Alex is still rung
        await shopper.close()
        await alex.close()
    await context.close()


async def test_ring_my_phone_on_a_phone_screen(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = _server(start_server)
    context = await _phone(browser, server)
    await context.add_init_script(WATCH_CSP)
    refused: list[str] = []
    context.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page = await _sign_in(context, server, ALEX)
    box = page.locator("[data-testid=ring-my-phone]")
    toggle = box.locator("[data-testid=push-toggle]")
    await expect(toggle).to_be_enabled()
    await expect(toggle).to_have_attribute("aria-checked", "false")
    # The manifest, the icons, the worker and this script, all under the strict policy.
    assert await page.evaluate("() => navigator.serviceWorker.ready.then((r) => !!r.active)")
    await expect(box.locator("[data-testid=push-status]")).to_have_text(
        "Off on this device. Turn it on to be rung here when the console is closed."
    )
    await expect(page.get_by_role("switch", name="Ring my phone")).to_be_visible()
    size = await toggle.bounding_box()
    assert size is not None and size["width"] >= 44 and size["height"] >= 44  # one thumb
    assert size["x"] + size["width"] <= PHONE["width"]
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

    # A device registered through the API (another phone of Alex's) is listed by its label.
    async with PushService(expected_public_key=await _public_key(page)) as service:
        await _ring_my_phone(page, service, "Chrome on Android")
    await page.reload()
    await expect(box.locator("[data-testid=push-device-count]")).to_have_text("1")
    await box.locator("summary").click()
    device = box.locator("[data-testid=push-device]")
    await expect(device.locator("[data-testid=push-device-label]")).to_have_text(
        "Chrome on Android"
    )
    await expect(device.locator("[data-testid=push-device-here]")).to_be_hidden()
    await expect(device.locator("[data-testid=push-device-meta]")).to_contain_text("Added ")

    # Turning it on here: this browser cannot reach a push service, and says so plainly.
    await toggle.click()
    error = box.locator("[data-testid=push-error]")
    await expect(error).to_have_text(
        "This browser could not sign up with its push service, so it cannot ring you yet. "
        "Check the connection (and that this is not a private window), then try again."
    )
    await expect(toggle).to_have_attribute("aria-checked", "false")
    await expect(toggle).to_be_enabled()
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    await screenshot(page, "installed-ring-my-phone")
    assert await serious_violations(page) == [], "Ring my phone, with its error and devices"

    remove = device.locator("[data-testid=push-device-remove]")
    await expect(remove).to_have_accessible_name("Remove Chrome on Android")
    await remove.click()
    await expect(box.locator("[data-testid=push-device-count]")).to_have_text("0")
    await expect(box.locator("[data-testid=push-devices-empty]")).to_be_visible()
    status, data = await _api(page, "GET", "/console/api/push/devices")
    assert status == 200 and data["devices"] == []
    assert refused == [] and await page.evaluate("() => window.__csp") == []

    # Notifications blocked for the site: the switch says what to do about it.
    await context.clear_permissions()
    await toggle.click()
    await expect(error).to_contain_text("Notifications are blocked for this site")
    await context.close()


# The browser's sign-up with its push service, stood in for: headless Chromium has none to
# reach. The subscription it hands out is a real one of the loopback push service, so the
# server really rings it; everything else (permission, worker, the API, the list) is real.
STAND_IN_PUSH_MANAGER = """
(() => {
  const KEY = '__stand_in_subscription';
  const made = (info) => info && {
    endpoint: info.endpoint,
    options: { userVisibleOnly: true, applicationServerKey: null },
    toJSON: () => info,
    unsubscribe: async () => {
      localStorage.removeItem(KEY);
      localStorage.setItem('__unsubscribed', info.endpoint);
      return true;
    },
  };
  PushManager.prototype.subscribe = async function (options) {
    const key = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)))
      .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
    localStorage.setItem('__subscribed_with', JSON.stringify(
      { userVisibleOnly: options.userVisibleOnly, key }));
    localStorage.setItem(KEY, localStorage.getItem('__loopback_subscription'));
    return made(JSON.parse(localStorage.getItem(KEY)));
  };
  PushManager.prototype.getSubscription = async function () {
    return made(JSON.parse(localStorage.getItem(KEY) || 'null'));
  };
})();
"""
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36"
)


async def test_ring_my_phone_turns_on_rings_and_turns_off(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    server = _server(start_server)
    context = await browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, user_agent=ANDROID_CHROME
    )
    await context.grant_permissions(["notifications"], origin=server.url)
    await context.add_init_script(STAND_IN_PUSH_MANAGER)
    page = await _sign_in(context, server, ALEX)
    public_key = await _public_key(page)
    box = page.locator("[data-testid=ring-my-phone]")
    toggle = box.locator("[data-testid=push-toggle]")
    async with PushService(expected_public_key=public_key) as service:
        phone = service.subscribe()
        await page.evaluate(
            "(info) => localStorage.setItem('__loopback_subscription', JSON.stringify(info))",
            phone.info,
        )
        await expect(toggle).to_be_enabled()
        await toggle.tap()
        await expect(toggle).to_have_attribute("aria-checked", "true")
        await expect(box.locator("[data-testid=push-status]")).to_have_text(
            "On: this device rings for new chats, even with the console closed."
        )
        asked = json.loads(await page.evaluate("() => localStorage.getItem('__subscribed_with')"))
        assert asked == {"userVisibleOnly": True, "key": public_key}
        await box.locator("summary").tap()
        device = box.locator("[data-testid=push-device]")
        await expect(device.locator("[data-testid=push-device-label]")).to_have_text(
            "Chrome on Android"
        )
        await expect(device.locator("[data-testid=push-device-here]")).to_be_visible()
        await expect(device.locator("[data-testid=push-device-remove]")).to_have_accessible_name(
            "Remove Chrome on Android (this device)"
        )
        await screenshot(page, "installed-ring-my-phone-on")

        # What the page sent is what the server rings, with the console closed or not.
        page2 = await _console(context, server)  # a second tab agrees it is this device
        await expect(page2.locator("[data-testid=push-toggle]")).to_have_attribute(
            "aria-checked", "true"
        )
        here = page2.locator("[data-testid=push-device-here]")
        await expect(here).to_have_count(1)
        await expect(here).to_have_js_property("hidden", False)
        await page2.close()
        shopper, conversation = await _shopper_asks(server, "Any used trucks?")
        await service.wait_for_async(_push_of(phone, "ring", conversation), timeout=15)
        await shopper.close()

        await toggle.tap()
        await expect(toggle).to_have_attribute("aria-checked", "false")
        await expect(box.locator("[data-testid=push-device-count]")).to_have_text("0")
        gone = await page.evaluate("() => localStorage.getItem('__unsubscribed')")
        assert gone == phone.endpoint  # the browser's subscription is ended too
        status, data = await _api(page, "GET", "/console/api/push/devices")
        assert status == 200 and data["devices"] == []
    await context.close()
