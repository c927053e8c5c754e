"""The Conversations pages on an in-process server: the list, search by phone once the indexer
has run, one conversation's record (escaped text, notes, rings), a foreign conversation's 404,
the CSV for managers only (names, formulas defused), and the dashboard CSV's shopper names."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from chat_server.store.database import open_database
from chat_server.store.models import Dealership, Operator
from tests.history.world import add_conversation
from tests.operator_console.test_console_routes import (
    ALEX,
    BEA,
    MORGAN,
    RILEY,
    add_other_dealership,
    http_as,
)
from tests.support.inprocess import InProcessServer
from tests.support.waits import eventually

A_NAME = "Alice Adealer"
B_NAME = "Bob Bdealer"


@pytest.fixture
async def server(serve_inprocess: Callable[..., Awaitable[InProcessServer]]) -> InProcessServer:
    server = await serve_inprocess()
    await add_other_dealership(server)
    return server


async def seed(server: InProcessServer) -> dict[str, str]:
    now = server.clock.now() - timedelta(minutes=3)
    async with (
        open_database(server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        ids = dict((await session.execute(select(Dealership.slug, Dealership.id))).all())
        people = dict((await session.execute(select(Operator.email, Operator.id))).all())
        a = await add_conversation(
            session,
            ids["demo-motors"],
            now,
            messages=("<b>Is the Camry</b> still there?", "It is!"),
            contact={"name": A_NAME, "phone": "+13125550133", "email": "=cmd@example.com",
                     "consent": False},
            vehicle={"year": 2024, "make": "Toyota", "model": "Camry"},
            owner=people[ALEX],
            rings=((people[ALEX], "store", 5, "accepted"),),
            notes=((people[ALEX], "Call back after six", 12),),
        )  # fmt: skip
        b = await add_conversation(
            session,
            ids["other-motors"],
            now,
            messages=("Is the Camry available?",),
            contact={"name": B_NAME, "phone": "+13125550199"},
        )
    return {"a": a, "b": b}


async def test_the_pages_by_role(server: InProcessServer) -> None:
    ids = await seed(server)
    async with await http_as(server, ALEX) as http:
        # Searchable once the indexer's next look has run (about a second).
        async def by_phone() -> bool:
            page = await http.get("/console/conversations", params={"q": "312.555.0133"})
            return ids["a"] in page.text

        await eventually(by_phone, what="the phone search finds A's conversation")
        listing = (await http.get("/console/conversations")).text
        assert A_NAME in listing and B_NAME not in listing
        assert 'data-testid="history-csv"' not in listing  # no export for a salesperson
        assert "Answered by the store" in listing
        for query in ("(312) 555-0199", "Bdealer"):
            found = (await http.get("/console/conversations", params={"q": query})).text
            assert ids["b"] not in found and B_NAME not in found
        detail = await http.get(f"/console/conversations/{ids['a']}")
        assert detail.status_code == 200
        assert "&lt;b&gt;Is the Camry&lt;/b&gt; still there?" in detail.text  # text, not HTML
        assert "<b>Is the Camry" not in detail.text
        assert "Call back after six" in detail.text and "Internal note" in detail.text
        assert "(312) 555-0133" in detail.text and "2024 Toyota Camry" in detail.text
        assert "No consent given" in detail.text
        assert 'data-testid="ring-ending">Accepted<' in detail.text
        assert 'data-testid="record-first-human">12 s<' in detail.text
        assert (await http.get(f"/console/conversations/{ids['b']}")).status_code == 404
        assert (await http.get("/console/conversations/nope")).status_code == 404
        assert (await http.get("/console/conversations.csv")).status_code == 403
    async with await http_as(server, BEA) as http:
        assert (await http.get(f"/console/conversations/{ids['a']}")).status_code == 404
        mine = (await http.get("/console/conversations")).text
        assert B_NAME in mine and A_NAME not in mine
    async with await http_as(server, RILEY) as http:  # the pool covers A only
        assert (await http.get(f"/console/conversations/{ids['a']}")).status_code == 200
        assert (await http.get(f"/console/conversations/{ids['b']}")).status_code == 404
        assert (await http.get("/console/conversations.csv")).status_code == 403
    async with await http_as(server, MORGAN) as http:
        response = await http.get("/console/conversations.csv")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [(r["shopper_name"], r["phone"], r["email"]) for r in rows] == [
            (A_NAME, "(312) 555-0133", "'=cmd@example.com")
        ]
        b_id = await _dealership_id(server, "other-motors")
        assert (
            await http.get("/console/conversations.csv", params={"dealership": b_id})
        ).status_code == 404
        dashboard = await http.get("/console/dashboard.csv")
        shoppers = [r["shopper_name"] for r in csv.DictReader(io.StringIO(dashboard.text))]
        assert A_NAME in shoppers


async def _dealership_id(server: InProcessServer, slug: str) -> int:
    async with open_database(server.database_url) as db, db.sessions() as session:
        found = await session.scalar(select(Dealership.id).where(Dealership.slug == slug))
    assert found is not None
    return found
