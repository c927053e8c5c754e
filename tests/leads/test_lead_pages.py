"""The console's lead pages over HTTP (in-process server, both backends): plain words, times on
the dealership's clock, who made each follow-up attempt, consent, and delivery states that
say what really happened (a lead only written to the log is not "delivered").

The browser's side (layout, screenshots) is tests/e2e/test_leads_dashboard.py."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from html.parser import HTMLParser

import httpx
import pytest

from chat_server.leads.labels import LOGGED_ONLY_OUTCOME, local_time
from chat_server.store.database import open_database
from chat_server.store.models import Conversation, Lead, LeadDelivery
from tests.leads.chats import LADDER_SPAN_S, eventually, rows
from tests.support.clients import new_client_id, sign_in_cookie, visitor
from tests.support.inprocess import InProcessServer

MORGAN = "morgan@demo-motors.test"  # the demo dealership's manager
ALEX = "alex@demo-motors.test"  # one of its salespeople
ZONE = "America/Chicago"  # the demo dealership's time zone
HOSTILE_NAME = "<img src=x onerror=alert(1)> Rosa ]]> Díaz"
ROSA = {
    "name": HOSTILE_NAME,
    "phone": "312 555 0199",
    "email": "rosa@example.com",
    "preferred_time": "nopreference",
}


class _Text(HTMLParser):
    """The text a person reads: no tags, no attribute values, no script or style."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style", "title")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def between(html: str, start: str, end: str) -> str:
    found = re.search(re.escape(start) + "(.*?)" + re.escape(end), html, re.S)
    assert found, f"nothing between {start!r} and {end!r}"
    return found.group(1)


async def http_as(server: InProcessServer, email: str) -> httpx.AsyncClient:
    cookie = await sign_in_cookie(server.url, email)
    jar = dict(part.split("=", 1) for part in cookie.split("; "))
    return httpx.AsyncClient(base_url=server.url, cookies=jar)


async def post_form(http: httpx.AsyncClient, page: str, action: str, form: dict[str, str]) -> None:
    html = (await http.get(page)).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    response = await http.post(action, data={**form, "csrf_token": token.group(1)})
    assert response.status_code == 303, response.text


@pytest.fixture
async def server(serve_inprocess: Callable[..., Awaitable[InProcessServer]]) -> InProcessServer:
    return await serve_inprocess()


async def a_logged_lead(server: InProcessServer) -> Lead:
    """Rosa's missed chat becomes a lead; with no SMTP host its e-mail is only logged.

    Not ``unanswered_chat``: whether the chat closes or stays open for more messages after
    the details is the ladder's business, not these pages'; the lead goes out either way."""
    shopper, _ = await visitor(server.ws_url, server.url)
    await shopper.send({"type": "message", "client_id": new_client_id(), "body": "Is it there?"})
    await shopper.expect_keeping("ack")
    await server.advance(LADDER_SPAN_S)
    await shopper.expect("status", state="lead_capture", timeout=10)
    await shopper.send({"type": "contact", "consent": True, **ROSA})
    await shopper.expect_keeping("contact_saved")
    await shopper.close()

    async def logged() -> bool:
        sent = await rows(server, LeadDelivery)
        return bool(sent) and sent[0].state == "delivered"

    await eventually(logged)
    [lead] = await rows(server, Lead)
    return lead


async def test_a_lead_reads_in_plain_words_on_the_dealerships_clock(
    server: InProcessServer,
) -> None:
    lead = await a_logged_lead(server)
    [logged] = await rows(server, LeadDelivery)
    assert logged.last_error == LOGGED_ONLY_OUTCOME  # what the sender says with no SMTP host
    now = server.clock.now()
    # Three more sends, one in each other state, written as the worker would leave them.
    async with (
        open_database(server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        for n, (state, attempts, error, delivered) in enumerate(
            (
                ("pending", 2, "ConnectionRefusedError: port 25", None),
                ("failed", 5, "SMTPRecipientsRefused: no such mailbox", None),
                ("delivered", 1, "250 2.0.0 queued as 4F2A", now),
            )
        ):
            session.add(
                LeadDelivery(
                    lead_id=lead.id,
                    channel="email",
                    target=f"crm{n}@intake.example",
                    kind="resend",
                    idempotency_key=f"test-{n}",
                    body="<adf/>",
                    state=state,
                    attempts=attempts,
                    # Far enough ahead that the worker leaves the retrying one alone.
                    next_attempt_at=now + timedelta(hours=2),
                    last_error=error,
                    created_at=now,
                    delivered_at=delivered,
                )
            )
    page = f"/console/leads/{lead.id}"
    async with await http_as(server, MORGAN) as http:
        await post_form(
            http, page, page + "/attempt", {"channel": "call", "note": "Left a voicemail"}
        )
        html = (await http.get(page)).text
    text = visible(html)

    # The name is text, never markup.
    assert "<img src=x" not in html.replace("&lt;img", "")
    assert HOSTILE_NAME in text

    # Delivery states: each in words, with a symbol besides the colour.
    states = re.findall(r'data-testid="delivery" data-state="([a-z]+)"', html)
    assert states == ["logged", "retrying", "failed", "delivered"]
    logged_html = between(html, 'data-state="logged">', "</li>")
    assert "Logged only — no CRM e-mail is configured" in visible(logged_html)
    assert "delivered" not in visible(logged_html).lower()
    assert f"/console/settings/dealerships/{lead.dealership_id}/crm" in logged_html
    retrying = visible(between(html, 'data-state="retrying">', "</li>"))
    assert "Retrying: attempt 2 failed" in retrying
    assert f"Next try {local_time(now + timedelta(hours=2), ZONE)}" in retrying
    assert "ConnectionRefusedError: port 25" in retrying
    failed = visible(between(html, 'data-state="failed">', "</li>"))
    assert "Failed after 5 attempts" in failed and "no such mailbox" in failed
    delivered = visible(between(html, 'data-state="delivered">', "</li>"))
    assert f"Delivered {local_time(now, ZONE)}" in delivered
    for state in ("logged", "retrying", "failed", "delivered"):
        symbol = between(html, f'data-state="{state}">', "</li>")
        assert 'class="symbol" aria-hidden="true">' in symbol, state

    # Times on the dealership's clock, never UTC; codes in words.
    assert f"Received {local_time(lead.created_at, ZONE)}" in text
    assert re.search(r"\b(CST|CDT)\b", text) and "UTC" not in text
    assert "Any time" in text and "nopreference" not in html
    assert "Nobody answered" in text and "unanswered" not in text
    assert "Inquiry only" in text or "Engaged shopper" in text
    assert "(312) 555-0199" in text and "+13125550199" not in text
    assert 'href="tel:+13125550199"' in html  # dialling still uses the full number
    assert "step " not in text.lower()
    assert "First call, day 0" in text  # the attempt just logged completed the first step

    # The follow-up log says who called, and when, on the dealership's clock.
    attempt = visible(between(html, 'data-testid="attempt">', "</li>"))
    assert attempt.startswith("Phone call by Morgan Lee")
    assert re.search(r"\b(CST|CDT)\b", attempt) and "Left a voicemail" in attempt
    assert "Attempt 2, day 1" in visible(between(html, 'data-testid="upcoming">', "</ol>"))
    assert visible(between(html, 'data-testid="lead-status">', "</span>")) == "Contacted"

    # The shopper ticked the consent box in the widget's form.
    consent = visible(between(html, 'data-testid="lead-consent">', "</dd>"))
    assert consent.startswith("✓ Yes") and "phone, text or email" in consent


async def test_the_list_speaks_words_and_only_managers_get_the_crm_link(
    server: InProcessServer,
) -> None:
    lead = await a_logged_lead(server)
    async with await http_as(server, ALEX) as http:
        listing = (await http.get("/console/leads")).text
        detail = (await http.get(f"/console/leads/{lead.id}")).text
        filtered = (await http.get("/console/leads?status=contacted")).text
    row = visible(between(listing, 'data-testid="lead"', "</tr>"))
    assert local_time(lead.created_at, ZONE) in row
    assert "Any time" in row and "Nobody answered" in row and "New" in row
    assert "(312) 555-0199" in row and "+1312" not in row
    assert "UTC" not in visible(listing)
    assert 'aria-current="page">Appointment set<' not in listing  # the filter pills, in words
    assert ">Appointment set</a>" in listing
    assert 'data-testid="leads-empty"' in filtered
    # A salesperson reads the honest state, but the CRM settings are the manager's.
    assert "Logged only — no CRM e-mail is configured" in visible(detail)
    assert "crm-settings-link" not in detail


async def test_consent_left_unticked_or_never_asked_is_said_plainly(
    server: InProcessServer,
) -> None:
    lead = await a_logged_lead(server)

    async def consent_shown(contact: dict[str, object] | None) -> str:
        async with (
            open_database(server.database_url) as db,
            db.sessions() as session,
            session.begin(),
        ):
            conversation = await session.get_one(Conversation, lead.conversation_id)
            conversation.contact = contact
        async with await http_as(server, MORGAN) as http:
            html = (await http.get(f"/console/leads/{lead.id}")).text
        return visible(between(html, 'data-testid="lead-consent">', "</dd>"))

    assert (await consent_shown({**ROSA, "consent": False})).startswith("✕ Not given")
    assert (await consent_shown(None)).startswith("No contact form")
