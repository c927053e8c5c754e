"""The receptionist's card: checked, stored (phone in E.164), shown formatted to receptionists
beside each chat; edited by the store's managers only, read by the covering pool's manager."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from chat_server.admin import cover, create_dealership, create_pool
from chat_server.administration.actors import COMMAND_LINE, Actor
from chat_server.administration.card import (
    NOTES_MAX,
    departments_with_hours,
    read_card,
    set_card,
)
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.chats.context import dealership_facts
from chat_server.demo_world import DEMO_SLUG
from chat_server.ladder.hours import ALWAYS_OPEN
from chat_server.store.database import Database, open_database
from chat_server.store.models import AuditEntry, Dealership
from tests.support.clients import sign_in_cookie
from tests.support.inprocess import InProcessServer

MORGAN = "morgan@demo-motors.test"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@dataclass
class Stores:
    a: int
    b: int
    pool: int
    manager_a: Actor


@pytest.fixture
async def stores(database: Database) -> Stores:
    async with database.sessions() as session, session.begin():
        a = await create_dealership(
            session,
            slug="a-motors",
            name="A Motors",
            time_zone="America/Chicago",
            origins=[],
            hours={"sales": ALWAYS_OPEN, "service": {"mon": [["08:00", "17:00"]]}, "parts": {}},
        )
        b = await create_dealership(
            session, slug="b-motors", name="B Motors", time_zone="America/Chicago", origins=[]
        )
        pool = await create_pool(session, "Night Owl")
        await cover(session, "Night Owl", "a-motors")
    return Stores(
        a.id, b.id, pool.id, Actor(id=None, name="Morgan", role="manager", dealership_id=a.id)
    )


def test_departments_are_those_with_hours() -> None:
    hours = {"parts": {"mon": [["09:00", "12:00"]]}, "sales": {"mon": []}, "service": {}}
    assert departments_with_hours(hours) == ["parts"]
    assert departments_with_hours({d: ALWAYS_OPEN for d in ("service", "sales")}) == [
        "sales",
        "service",
    ]
    assert departments_with_hours(None) == []


async def test_the_card_is_stored_checked_and_shown_to_receptionists(
    database: Database, stores: Stores
) -> None:
    async with database.sessions() as session, session.begin():
        card = await set_card(
            session,
            stores.manager_a,
            stores.a,
            address="  1200 W Fullerton Ave,\n Chicago, IL 60614 ",
            phone="(312) 555-0142",
            notes="Free loaner for service over 2 hours.\r\nNever quote prices in chat.",
        )
    assert card["address"] == "1200 W Fullerton Ave, Chicago, IL 60614"
    assert (card["phone"], card["phone_display"]) == ("+13125550142", "(312) 555-0142")
    assert card["notes"] == "Free loaner for service over 2 hours.\nNever quote prices in chat."
    assert [d["label"] for d in card["departments"]] == ["Sales", "Service"]
    async with database.sessions() as session:
        row = await session.get_one(Dealership, stores.a)
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "card.set"))
    facts = dealership_facts(row, datetime(2026, 3, 2, 15, tzinfo=UTC))
    assert facts["address"] == card["address"]
    assert (facts["phone"], facts["phone_display"]) == ("+13125550142", "(312) 555-0142")
    assert facts["notes"] == card["notes"]
    assert entry is not None and entry.dealership_id == stores.a
    assert entry.changes["phone"] == {"from": "", "to": "+13125550142"}
    assert set(entry.changes) == {"address", "phone", "notes"}


async def test_a_foreign_number_is_shown_in_international_form(
    database: Database, stores: Stores
) -> None:
    async with database.sessions() as session, session.begin():
        card = await set_card(session, COMMAND_LINE, stores.a, phone="+44 20 7123 4567")
    assert (card["phone"], card["phone_display"]) == ("+442071234567", "+44 20 7123 4567")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "call us"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"address": "x" * 301}, "address"),
        ({"notes": "n" * (NOTES_MAX + 1)}, "notes"),
    ],
)
async def test_a_refused_card_saves_nothing(
    database: Database, stores: Stores, change: dict[str, str], field: str
) -> None:
    fields = {"address": "New address 1", "phone": "312 555 0100", "notes": "New notes"}
    with pytest.raises(SettingsError) as refused:
        async with database.sessions() as session, session.begin():
            await set_card(session, stores.manager_a, stores.a, **{**fields, **change})
    assert refused.value.field == field
    async with database.sessions() as session:
        card = await read_card(session, stores.manager_a, stores.a)
        logged = await session.scalar(select(AuditEntry.id))
    assert (card["address"], card["phone"], card["notes"]) == ("", "", "")
    assert logged is None


async def test_who_may_read_and_change_the_card(database: Database, stores: Stores) -> None:
    pool_manager = Actor(id=None, name="Pat", role="pool_manager", pool_id=stores.pool)
    receptionist = Actor(id=None, name="Riley", role="receptionist", pool_id=stores.pool)
    async with database.sessions() as session:
        # The manager of the pool that covers A reads A's card, without the form.
        assert (await read_card(session, pool_manager, stores.a))["editable"] is False
        assert (await read_card(session, stores.manager_a, stores.a))["editable"] is True
        for actor, dealership in (
            (pool_manager, stores.b),  # not covered
            (stores.manager_a, stores.b),
            (receptionist, stores.a),  # reads it in the console, not here
        ):
            with pytest.raises(NotInScope):
                await read_card(session, actor, dealership)
        for actor, dealership in ((pool_manager, stores.a), (stores.manager_a, stores.b)):
            with pytest.raises(NotInScope):
                await set_card(session, actor, dealership, notes="changed")


async def test_the_card_page(serve_inprocess: Callable[..., Awaitable[InProcessServer]]) -> None:
    server = await serve_inprocess()
    async with open_database(server.database_url) as db, db.sessions() as session:
        a = await session.scalar(select(Dealership.id).where(Dealership.slug == DEMO_SLUG))
    path = f"/console/settings/dealerships/{a}/card"
    cookie = await sign_in_cookie(server.url, MORGAN)
    jar = dict(part.split("=", 1) for part in cookie.split("; "))
    async with httpx.AsyncClient(base_url=server.url, cookies=jar) as http:
        page = await http.get(path)
        assert page.status_code == 200
        # The demo's phone was typed as "(312) 555-0142": shown formatted either way.
        assert 'value="(312) 555-0142"' in page.text
        assert "Free loaner" in page.text and "Service" in page.text
        token = csrf_of(page.text)
        refused = await http.post(
            path,
            data={"csrf_token": token, "address": "Here", "phone": "not a phone", "notes": "x"},
        )
        assert refused.status_code == 400
        assert 'data-testid="error-phone"' in refused.text and 'value="not a phone"' in refused.text
        saved = await http.post(
            path,
            data={
                "csrf_token": token,
                "address": "1 Main St, Chicago",
                "phone": "312-555-0199",
                "notes": "Ask for Dana in service.",
            },
        )
        assert saved.status_code == 303 and saved.headers["location"] == path
        after = await http.get(path)
        assert "The receptionist&#39;s card is saved." in after.text
        assert 'value="(312) 555-0199"' in after.text and "Ask for Dana" in after.text
        expired = await http.post(path, data={"csrf_token": "forged", "notes": "forged"})
        assert expired.status_code == 400 and "forged" not in (await http.get(path)).text
