"""Every console page on a phone: at 360, 390 and 414 px wide nothing scrolls sideways and no
button, link or form control in the page is under 44 px tall; axe-core finds nothing serious
at 390 px; a screenshot of each page at 390x844 and 1280x800 (layout-<page>-phone/-desktop).

The pages are read from the app's own routes, as the access matrix reads them: every GET route
under /console needs a recipe here (who signs in, which ids fill its path) or a reason in
``NOT_PAGES``, so a new page cannot be added without being checked on a phone.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page
from sqlalchemy import select
from starlette.routing import BaseRoute, Mount, Route

from chat_server.administration.account_links import create_link
from chat_server.app import create_app
from chat_server.demo_world import DEMO_PASSWORD
from chat_server.leads.labels import LOGGED_ONLY_OUTCOME
from chat_server.settings import load_settings
from chat_server.store.database import open_database
from chat_server.store.models import (
    Conversation,
    ConversationNote,
    Dealership,
    Lead,
    LeadDelivery,
    LeadTask,
    Message,
    Operator,
    Pool,
    Visitor,
)
from tests.e2e.axe import serious_violations
from tests.e2e.conftest import screenshot
from tests.e2e.layout import document_fits, overflow_problems
from tests.operator_console.scenario import seed_month
from tests.support.seed import add_platform_admin
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

WIDTHS = (360, 390, 414)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
MIN_TARGET_PX = 44
ADA = "ada@platform.test"
LOGINS = {
    "manager": "morgan@demo-motors.test",
    "salesperson": "alex@demo-motors.test",
    "receptionist": "riley@nightowl-bdc.test",
    "admin": ADA,
}


@dataclass(frozen=True)
class Recipe:
    """How to open one page: its screenshot name, who signs in (or "anonymous"), and the
    world's value for each path parameter (by name, unless ``params`` says otherwise)."""

    name: str
    role: str
    params: tuple[tuple[str, str], ...] = ()
    query: str = ""
    status: int = 200


RECIPES: dict[str, Recipe] = {
    "/console": Recipe("workspace", "receptionist"),
    "/console/sign-in": Recipe("sign-in", "anonymous"),
    "/console/offline": Recipe("offline", "anonymous"),
    "/console/password": Recipe("password", "salesperson"),
    "/console/set-password/{token}": Recipe(
        "set-password", "anonymous", params=(("token", "invite_token"),)
    ),
    # The first-admin link is spent once an admin exists (the platform pages need one): its
    # page says so (410); the set-password page above shows the same form.
    "/console/setup/{token}": Recipe(
        "setup", "anonymous", params=(("token", "setup_token"),), status=410
    ),
    "/console/leads": Recipe("leads", "manager"),
    "/console/leads/{lead_id}": Recipe("lead-detail", "manager"),
    "/console/dashboard": Recipe("dashboard", "manager", query="?period=30d"),
    # HISTORY's pages (issue 15): everyone's history, limited to what their role may see.
    "/console/conversations": Recipe("conversations", "manager"),
    "/console/conversations/{conversation_id}": Recipe("conversation", "manager"),
    "/console/settings": Recipe("settings", "manager"),
    "/console/settings/audit": Recipe("settings-audit", "admin"),
    "/console/settings/platform": Recipe("settings-platform", "admin"),
    "/console/settings/pools/{pool_id}": Recipe("settings-pool", "admin"),
    "/console/settings/pools/{pool_id}/team": Recipe("settings-pool-team", "admin"),
    **{
        f"/console/settings/dealerships/{{dealership_id}}/{tab}": Recipe(
            f"settings-{tab}", "manager"
        )
        for tab in ("team", "hours", "ladder", "widget", "canned", "crm", "card")
    },
}

# GET routes under /console that are not pages a person reads.
NOT_PAGES: dict[str, str] = {
    "/console/static/{path}": "static files (CSS, JS, icons)",
    "/console/manifest.webmanifest": "the installable console's manifest (JSON)",
    "/console/sw.js": "the service worker (JavaScript)",
    "/console/dashboard.csv": "the dashboard's CSV export",
    "/console/conversations.csv": "the conversations' CSV export",
    "/console/ring/{token}": "a one-tap ring link: accepts and redirects to /console?open=",
}
NOT_PAGE_PREFIXES = {"/console/api/": "JSON for the console's scripts"}


def _paths(routes: list[BaseRoute], prefix: str = "") -> Iterator[str]:
    for route in routes:
        if isinstance(route, Mount):
            if route.routes:
                yield from _paths(route.routes, prefix + route.path)
            else:
                yield prefix + route.path + "/{path}"
        elif isinstance(route, Route) and "GET" in (route.methods or {"GET"}):
            yield prefix + route.path


def console_get_routes() -> list[str]:
    """Every GET path template under /console, its converters (``:int``) dropped."""
    app = create_app(load_settings({}, database_url="sqlite+aiosqlite:///:memory:"))
    found = {re.sub(r":[a-z]+}", "}", p) for p in _paths(app.routes)}
    return sorted(p for p in found if p == "/console" or p.startswith("/console/"))


def pages_to_check() -> list[tuple[str, Recipe]]:
    """(path template, recipe) of every console page; fails on a route nobody decided on."""
    pages, undecided = [], []
    for path in console_get_routes():
        if path in NOT_PAGES or any(path.startswith(p) for p in NOT_PAGE_PREFIXES):
            continue
        if path in RECIPES:
            pages.append((path, RECIPES[path]))
        else:
            undecided.append(path)
    assert not undecided, (
        f"console pages with no layout recipe: {undecided}; add a Recipe (or, for a route "
        "that is not an HTML page, a reason in NOT_PAGES) in tests/e2e/test_console_layout.py"
    )
    return pages


def test_every_console_get_route_has_a_recipe_or_a_reason() -> None:
    pages = pages_to_check()
    assert ("/console/leads/{lead_id}", RECIPES["/console/leads/{lead_id}"]) in pages
    assert not any(p.startswith("/console/api/") for p, _ in pages)


# --- the world the pages show ------------------------------------------------------------


async def seed_console_world(server: ServerProcess) -> dict[str, Any]:
    """The demo world plus a month of chats, an admin, a lead worth reading (a long name and
    e-mail, a transcript, attempts, a send only logged), and one-time account links."""
    now = datetime.now(UTC)
    async with (
        open_database(server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        await add_platform_admin(session, ADA)
        await seed_month(session, "demo-motors", now)
        dealership = await session.scalar(
            select(Dealership).where(Dealership.slug == "demo-motors")
        )
        assert dealership is not None
        pool_id = await session.scalar(select(Pool.id).order_by(Pool.id).limit(1))
        people = dict((await session.execute(select(Operator.email, Operator.id))).all())
        lead, conversation = await add_rich_lead(session, dealership.id, people, now)
        invite = await create_link(
            session,
            "invite",
            operator_id=people["sam@demo-motors.test"],
            created_by_id=people[LOGINS["manager"]],
            now=now,
        )
        setup = await create_link(
            session, "first_admin", operator_id=None, created_by_id=None, now=now
        )
    return {
        "lead_id": lead,
        "conversation_id": conversation,
        "dealership_id": dealership.id,
        "pool_id": pool_id,
        "invite_token": invite.token,
        "setup_token": setup.token,
    }


ROSA = "Rosa Díaz-Villanueva"
ROSA_EMAIL = "rosa.diaz.villanueva.family@a-rather-long-mail-domain.example.com"


async def add_rich_lead(
    session: Any, dealership_id: int, people: dict[str, int], now: datetime
) -> tuple[int, str]:
    """A missed chat's lead: a transcript, the first call logged, a send only logged."""
    at = now - timedelta(hours=3)
    visitor = Visitor(
        dealership_id=dealership_id,
        token_hash=uuid.uuid4().hex,
        created_at=at,
        last_seen_at=at,
        name=ROSA,
        email=ROSA_EMAIL,
        phone="+13125550199",
    )
    session.add(visitor)
    await session.flush()
    conversation = Conversation(
        id=uuid.uuid4().hex,
        dealership_id=dealership_id,
        visitor_id=visitor.id,
        state="closed",
        outcome="missed",
        created_at=at,
        first_message_at=at,
        store_rung_at=at,
        pool_rung_at=at + timedelta(seconds=20),
        lead_capture_at=at + timedelta(seconds=45),
        closed_at=at + timedelta(minutes=2),
        page={
            "url": "https://www.demo-motors.example/inventory/used/2021-toyota-rav4-xle-awd-"
            "4t3r1rfv5mu012345?utm_source=newsletter&utm_campaign=spring",
            "title": "2021 Toyota RAV4 XLE AWD",
        },
        vehicle={"year": "2021", "make": "Toyota", "model": "RAV4", "vin": "4T3R1RFV5MU012345"},
        contact={
            "name": ROSA,
            "phone": "+13125550199",
            "email": ROSA_EMAIL,
            "preferred_time": "nopreference",
            "consent": True,
        },
    )
    session.add(conversation)
    await session.flush()
    lines = (
        ("visitor", "", "Is the RAV4 still there? I could come by after work on Thursday."),
        ("system", "", "Nobody could answer right now. Leave your details and we will call."),
        ("visitor", "", "Sure: 312 555 0199, or e-mail is fine too."),
    )
    for seq, (kind, name, body) in enumerate(lines, start=1):
        session.add(
            Message(
                conversation_id=conversation.id,
                seq=seq,
                author_kind=kind,
                author_name=name,
                body=body,
                created_at=at + timedelta(seconds=seq * 20),
            )
        )
    conversation.last_seq = len(lines)
    session.add(
        ConversationNote(
            conversation_id=conversation.id,
            author_id=people[LOGINS["manager"]],
            author_name="Morgan Lee",
            body="Called back: voicemail. Try again tomorrow morning.",
            created_at=at + timedelta(minutes=30),
        )
    )
    lead = Lead(
        conversation_id=conversation.id,
        dealership_id=dealership_id,
        visitor_id=visitor.id,
        service="unanswered",
        status="contacted",
        name=ROSA,
        email=ROSA_EMAIL,
        phone="+13125550199",
        preferred_time="nopreference",
        created_at=at + timedelta(minutes=2),
        segment="prospect",
    )
    session.add(lead)
    await session.flush()
    created = lead.created_at
    session.add(
        LeadTask(
            lead_id=lead.id,
            step=0,
            due_at=created + timedelta(minutes=5),
            done_at=created + timedelta(minutes=28),
            channel="call",
            note="Left a voicemail; she prefers e-mail during the day.",
            operator_id=people[LOGINS["manager"]],
        )
    )
    for step, days in ((1, 1), (2, 3), (3, 7)):
        session.add(LeadTask(lead_id=lead.id, step=step, due_at=created + timedelta(days=days)))
    session.add(
        LeadDelivery(
            lead_id=lead.id,
            channel="email",
            target="leads@demo-motors.example.com",
            kind="new",
            idempotency_key=f"layout-{lead.id}",
            body="<adf/>",
            state="delivered",
            attempts=1,
            next_attempt_at=created,
            last_error=LOGGED_ONLY_OUTCOME,
            created_at=created,
            delivered_at=created,
        )
    )
    return lead.id, conversation.id


# --- the checks ----------------------------------------------------------------------------

# Buttons, links and form controls in the page's main content shorter than 44 px. A link
# that is a run of text inside a paragraph is exempt (WCAG 2.5.8's inline exception); a
# checkbox or radio counts its label's box.
SMALL_TARGETS = """(min) => {
  const main = document.querySelector('main') || document.body;
  const found = [];
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  for (const el of main.querySelectorAll(sel)) {
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // not shown (or visually hidden)
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    if (el.tagName === 'A' && style.display === 'inline' && el.closest('p')) continue;
    let height = box.height;
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.closest('label');
      if (label) height = Math.max(height, label.getBoundingClientRect().height);
    }
    if (height < min - 0.5) {
      const text = (el.innerText || el.value || el.name || '').trim();
      found.push(`${el.tagName.toLowerCase()} "${text.slice(0, 30)}" ${Math.round(height)}px`);
    }
  }
  return found.slice(0, 8);
}"""


def url_of(path: str, recipe: Recipe, world: dict[str, Any]) -> str:
    names = dict(recipe.params)
    filled = re.sub(r"{(\w+)}", lambda m: str(world[names.get(m.group(1), m.group(1))]), path)
    return filled + recipe.query


async def sign_in(context: BrowserContext, server: ServerProcess, email: str) -> None:
    page = await context.new_page()
    await page.goto(server.url + "/console/sign-in")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("[data-testid=sign-in]")
    await page.wait_for_url("**/console**")
    await page.close()


async def open_page(page: Page, url: str) -> int:
    response = await page.goto(url)
    await page.wait_for_load_state("load")
    return response.status if response else 0


async def check_width(page: Page, width: int) -> list[str]:
    await page.set_viewport_size({"width": width, "height": 844})
    problems = []
    overflow = await overflow_problems(page)
    if overflow:
        problems.append(f"scrolls sideways at {width} px: {overflow}")
    small = await page.evaluate(SMALL_TARGETS, MIN_TARGET_PX)
    if small:
        problems.append(f"targets under {MIN_TARGET_PX} px at {width} px: {small}")
    return problems


async def test_every_console_page_fits_a_phone(
    browser: Browser, start_server: Callable[..., ServerProcess]
) -> None:
    pages = pages_to_check()
    server = start_server()
    world = await seed_console_world(server)
    contexts: dict[str, Page] = {}
    for role in sorted({recipe.role for _, recipe in pages}):
        context = await browser.new_context(viewport=PHONE)
        if role != "anonymous":
            await sign_in(context, server, LOGINS[role])
        page = await context.new_page()
        page.set_default_timeout(15_000)
        contexts[role] = page

    problems: dict[str, list[str]] = {}
    for path, recipe in pages:
        page = contexts[recipe.role]
        url = server.url + url_of(path, recipe, world)
        found: list[str] = []
        status = await open_page(page, url)
        if status != recipe.status:
            found.append(f"{url} answered {status} to the {recipe.role}")
        for width in WIDTHS:
            found += await check_width(page, width)
        await page.set_viewport_size(PHONE)
        await screenshot(page, f"layout-{recipe.name}-phone")
        axe = await serious_violations(page)
        if axe:
            found.append(f"axe at 390 px: {axe}")
        await page.set_viewport_size(DESKTOP)
        await screenshot(page, f"layout-{recipe.name}-desktop")
        if not await document_fits(page):
            found.append("scrolls sideways at 1280 px")
        if found:
            problems[f"{recipe.name} ({path})"] = found
    assert problems == {}, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in problems.items())
