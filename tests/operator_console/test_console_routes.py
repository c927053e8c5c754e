"""Console routes on an in-process server: the dashboard's numbers, tenant isolation on every route,
sign-in lockout, password change, busy and auto-away presence."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from chat_server.demo_world import DEMO_PASSWORD
from chat_server.store.database import open_database
from chat_server.store.models import Conversation, Dealership, Operator
from tests.operator_console.scenario import add_chat, seed_month
from tests.support.clients import console, new_client_id, sign_in_cookie
from tests.support.inprocess import InProcessServer

ALEX = "alex@demo-motors.test"
MORGAN = "morgan@demo-motors.test"
RILEY = "riley@nightowl-bdc.test"
BEA = "bea@other-motors.test"


async def add_other_dealership(server: InProcessServer) -> None:
    """Dealership B: its own salesperson, not covered by the demo pool."""
    await server.admin(
        "create-dealership", "--slug", "other-motors", "--name", "Other Motors",
        "--time-zone", "America/New_York", "--origin", "http://other.example",
    )  # fmt: skip
    await server.admin(
        "create-operator", "--email", BEA, "--name", "Bea Other", "--role", "salesperson",
        "--dealership", "other-motors", "--password", DEMO_PASSWORD,
    )  # fmt: skip


async def http_as(server: InProcessServer, email: str) -> httpx.AsyncClient:
    cookie = await sign_in_cookie(server.url, email)
    jar = dict(part.split("=", 1) for part in cookie.split("; "))
    # A cookie jar (not a fixed header), so a renewed session cookie is kept.
    return httpx.AsyncClient(base_url=server.url, cookies=jar)


def cell(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', html)
    assert found, f"no {testid} in the page"
    return found.group(1).strip()


def seconds_of(html: str, testid: str) -> float:
    found = re.search(rf'data-testid="{testid}" data-seconds="([^"]*)"', html)
    assert found, testid
    return float(found.group(1))


@pytest.fixture
async def server(serve_inprocess: Callable[..., Awaitable[InProcessServer]]) -> InProcessServer:
    server = await serve_inprocess({"auto_away": 1})
    await add_other_dealership(server)
    return server


async def test_the_dashboard_shows_exact_numbers_for_a_seeded_month(
    server: InProcessServer,
) -> None:
    async with open_database(server.database_url) as db, db.sessions() as session:
        async with session.begin():
            await seed_month(session, "demo-motors", datetime.now(UTC))
        demo_id = await session.scalar(
            select(Dealership.id).where(Dealership.slug == "demo-motors")
        )
        staff = dict((await session.execute(select(Operator.email, Operator.id))).all())

    async with await http_as(server, MORGAN) as http:
        page = (await http.get("/console/dashboard", params={"period": "30d"})).text
        csv_text = (await http.get("/console/dashboard.csv", params={"period": "30d"})).text
        waiting = (await http.get("/console/api/waiting")).json()

    assert cell(page, "stat-chats") == "7"
    assert [cell(page, f"outcome-{k}") for k in ("up", "pool", "missed", "abandoned")] == [
        "3", "1", "1", "1",
    ]  # fmt: skip
    assert seconds_of(page, "stat-median") == 30.0
    assert seconds_of(page, "stat-p90") == 90.0
    for email, expected in (
        (ALEX, ["5", "2", "2", "5.5 s"]),
        ("sam@demo-motors.test", ["4", "1", "2", "15 s"]),
    ):
        row = page.split(f'data-operator="{staff[email]}"', 1)[1].split("</tr>", 1)[0]
        found = [cell(row, t) for t in ("offered", "accepted", "missed", "median-accept")]
        assert found == expected, email
    assert cell(page, "pool-reached") == "2"
    assert cell(page, "pool-answered").startswith("1 (50%)")
    assert cell(page, "pool-median-accept") == "10 s"
    assert (cell(page, "leads-new"), cell(page, "leads-contacted")) == ("1", "1")
    assert "Wendy Waiting" in page and [w["visitor_name"] for w in waiting] == ["Wendy Waiting"]

    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == 7
    assert sorted(r["seconds_to_first_human"] for r in rows if r["seconds_to_first_human"]) == [
        "10.0", "20.0", "40.0", "90.0",
    ]  # fmt: skip
    assert all(r["first_message_local"].endswith(("-05:00", "-06:00")) for r in rows)

    # The 40-day-old chat is in no period; today's numbers are a subset of the month's.
    async with await http_as(server, MORGAN) as http:
        week = (await http.get("/console/dashboard", params={"period": "7d"})).text
        assert (await http.get("/console/dashboard", params={"period": "year"})).status_code == 400
    assert cell(week, "stat-chats") == "7"
    assert demo_id is not None


async def test_a_salesperson_of_a_cannot_reach_b_by_any_route(server: InProcessServer) -> None:
    async with open_database(server.database_url) as db, db.sessions() as session:  # noqa: SIM117
        async with session.begin():
            other = await session.scalar(
                select(Dealership).where(Dealership.slug == "other-motors")
            )
            assert other is not None
            foreign = await add_chat(
                session, other.id, datetime.now(UTC), outcome="missed", lead_status="new",
                name="Secret Shopper",
            )  # fmt: skip
            mine_dealer = await session.scalar(
                select(Dealership.id).where(Dealership.slug == "demo-motors")
            )
            own = await add_chat(session, mine_dealer, datetime.now(UTC), outcome=None)  # type: ignore[arg-type]

    # Page and API: 404 for B's conversation (exactly like a missing one), 200 for A's own.
    async with await http_as(server, ALEX) as http:
        assert (await http.get(f"/console/api/conversations/{foreign}")).status_code == 404
        assert (await http.get("/console/api/conversations/nope")).status_code == 404
        assert (await http.get(f"/console/api/conversations/{own}")).status_code == 200
        assert (await http.get("/console/dashboard")).status_code == 403
        assert (await http.get("/console/dashboard.csv")).status_code == 403
        assert (await http.get("/console/api/waiting")).status_code == 403
        leads = await http.get("/console/leads")
        assert leads.status_code == 200 and "Secret Shopper" not in leads.text
    # A manager of A gets 404 for B's dashboard, its export and its waiting list.
    async with await http_as(server, MORGAN) as http:
        for path in ("/console/dashboard", "/console/dashboard.csv", "/console/api/waiting"):
            refused = await http.get(path, params={"dealership": str(other.id)})
            assert refused.status_code == 404, path
        assert (await http.get(f"/console/api/conversations/{foreign}")).status_code == 404
    # A receptionist whose pool does not cover B is refused too.
    async with await http_as(server, RILEY) as http:
        assert (await http.get(f"/console/api/conversations/{foreign}")).status_code == 404
    # Nobody signed in: no data at all.
    async with httpx.AsyncClient(base_url=server.url) as anonymous:
        assert (await anonymous.get(f"/console/api/conversations/{own}")).status_code == 401

    # Websocket: every action on B's conversation is refused as if it did not exist.
    alex, _welcome = await console(server.url, ALEX)
    frames = [
        {"type": "accept", "conversation": foreign},
        {"type": "decline", "conversation": foreign},
        {"type": "close", "conversation": foreign},
        {"type": "message", "conversation": foreign, "client_id": new_client_id(), "body": "hi"},
        {"type": "typing", "conversation": foreign, "active": True},
        {"type": "note", "conversation": foreign, "body": "peek"},
        {"type": "contact", "conversation": foreign, "phone": "3125550100"},
    ]
    for frame in frames:
        await alex.send(frame)
        error = await alex.expect("error")
        assert error["code"] == "no_conversation", (frame["type"], error)
    await alex.close()
    async with open_database(server.database_url) as db, db.sessions() as session:
        row = await session.get_one(Conversation, foreign)
        assert row.owner_id is None and row.contact == {"name": "Secret Shopper"}


async def test_sign_in_locks_after_five_wrong_passwords_and_password_change_ends_other_sessions(
    server: InProcessServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        for attempt in range(6):
            page = await http.get("/console/sign-in")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            password = "wrong" if attempt < 5 else DEMO_PASSWORD
            response = await http.post(
                "/console/sign-in",
                data={"email": BEA, "password": password, "csrf_token": token},
            )
            assert response.status_code == 400
        # The right password is refused while the account is locked.
        assert "locked" in response.text

    old = await http_as(server, ALEX)
    current = await http_as(server, ALEX)
    async with old, current:
        form = (await current.get("/console/password")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        short = await current.post(
            "/console/password",
            data={"csrf_token": token, "current_password": DEMO_PASSWORD,
                  "new_password": "short", "confirm_password": "short"},
        )  # fmt: skip
        assert short.status_code == 400 and "12 characters" in short.text
        changed = await current.post(
            "/console/password",
            data={"csrf_token": token, "current_password": DEMO_PASSWORD,
                  "new_password": "long new secret!", "confirm_password": "long new secret!"},
        )  # fmt: skip
        assert changed.status_code == 200 and "password-changed" in changed.text
        assert (await current.get("/console", follow_redirects=False)).status_code == 200
        assert (await old.get("/console", follow_redirects=False)).status_code == 303


async def test_busy_is_not_rung_and_a_closed_console_turns_away(server: InProcessServer) -> None:
    alex, welcome = await console(server.url, ALEX)
    await alex.send({"type": "presence", "status": "busy"})
    assert (await alex.expect("presence"))["status"] == "busy"
    async with open_database(server.database_url) as db:
        async with db.sessions() as session:
            row = await session.scalar(select(Operator).where(Operator.email == ALEX))
            assert row is not None and row.presence == "busy"
        await alex.close()
        # Auto-away after the (1 s) grace: poll the store, the sweep runs on its own clock.
        for _ in range(100):
            async with db.sessions() as session:
                presence = await session.scalar(
                    select(Operator.presence).where(Operator.email == ALEX)
                )
            if presence == "away":
                break
            await asyncio.sleep(0.1)
        assert presence == "away"
    assert welcome["presence"] == "away"
