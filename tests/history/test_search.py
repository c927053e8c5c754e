"""Search over the conversations, on the selected backend (SQLite FTS5 or PostgreSQL full text):
a phone in any format, an e-mail, a vehicle, a word of the transcript; and each role's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from chat_server.accounts.operators import OperatorView
from chat_server.history.filters import Filters
from chat_server.history.indexer import index_stale
from chat_server.history.listing import list_conversations, places_for
from chat_server.history.record import conversation_record
from chat_server.store.database import Database
from chat_server.store.models import Conversation, Message
from tests.history.world import People, add_conversation, two_dealerships

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


async def found(db: Database, who: OperatorView, query: str) -> list[str]:
    async with db.sessions() as session:
        places = await places_for(session, who)
        listing = await list_conversations(session, places, Filters(query=query))
    return [row.id for row in listing.rows]


@pytest.fixture
async def world(database: Database) -> tuple[People, dict[str, str]]:
    async with database.sessions() as session, session.begin():
        people = await two_dealerships(session)
        jane = await add_conversation(
            session,
            people.a_id,
            NOW - timedelta(hours=3),
            messages=("Is the blue one still on the lot?", "Yes! Come by on Saturday."),
            contact={"name": "Jane Doe", "phone": "+13125550133", "email": "jane.doe@example.com"},
            vehicle={"year": 2024, "make": "Toyota", "model": "Camry", "trim": "XSE"},
            owner=people.sales_a.id,
        )
        typed = await add_conversation(
            session,
            people.a_id,
            NOW - timedelta(hours=2),
            messages=("You can reach me at 847.555.0142 after five", "Will do"),
            vehicle={"year": 2019, "make": "Honda", "model": "Civic"},
        )
        josé = await add_conversation(
            session,
            people.a_id,
            NOW - timedelta(hours=1),
            messages=("¿Tienen el Tacoma en gris?",),
            contact={"name": "José Núñez", "email": "jose@example.org"},
            outcome="missed",
        )
        other = await add_conversation(
            session,
            people.b_id,
            NOW - timedelta(hours=4),
            messages=("Is the Camry available?",),
            contact={"name": "Bob Bdealer", "phone": "+13125550199"},
            vehicle={"year": 2024, "make": "Toyota", "model": "Camry"},
        )
    assert await index_stale(database, NOW) == 4
    return people, {"jane": jane, "typed": typed, "jose": josé, "other": other}


PHONES = ("(312) 555-0133", "312.555.0133", "+1 312 555 0133", "3125550133", "+13125550133")


@pytest.mark.parametrize(
    "query",
    [
        *PHONES,
        "312-555-0133",
        "555-0133",
        "jane.doe@example.com",
        "jane doe",
        "Jan",
        "camry blue",
        "2024 toyota",
        "XSE",
        "lot",
        "Saturday",
    ],
)
async def test_search_finds_a_conversation_by_phone_email_vehicle_and_words(
    database: Database, world: tuple[People, dict[str, str]], query: str
) -> None:
    people, ids = world
    assert await found(database, people.sales_a, query) == [ids["jane"]]


async def test_a_phone_typed_in_the_chat_is_found_in_any_format(
    database: Database, world: tuple[People, dict[str, str]]
) -> None:
    people, ids = world
    for query in ("(847) 555-0142", "8475550142", "+1 847 555 0142"):
        assert await found(database, people.sales_a, query) == [ids["typed"]], query
    assert await found(database, people.sales_a, "honda civic 2019") == [ids["typed"]]


async def test_accents_and_case_do_not_matter(
    database: Database, world: tuple[People, dict[str, str]]
) -> None:
    people, ids = world
    for query in ("jose", "JOSÉ", "nunez", "Núñez", "tacoma gris", "jose@example.org"):
        assert await found(database, people.sales_a, query) == [ids["jose"]], query


async def test_nothing_found_and_no_words(
    database: Database, world: tuple[People, dict[str, str]]
) -> None:
    people, ids = world
    assert await found(database, people.sales_a, "lamborghini") == []
    assert await found(database, people.sales_a, "(773) 555-0100") == []
    # Punctuation alone is no search: the whole list, newest first.
    assert await found(database, people.sales_a, "?!") == [ids["jose"], ids["typed"], ids["jane"]]


async def test_each_role_sees_only_its_dealerships(
    database: Database, world: tuple[People, dict[str, str]]
) -> None:
    people, ids = world
    a_only = [ids["jose"], ids["typed"], ids["jane"]]
    for who in (people.sales_a, people.manager_a, people.receptionist):
        assert await found(database, who, "") == a_only, who.role
        assert await found(database, who, "camry") == [ids["jane"]], who.role
    # B's salesperson: not A's conversation, in the list, in search, or by id.
    assert await found(database, people.sales_b, "") == [ids["other"]]
    assert await found(database, people.sales_b, "Jane") == []
    assert await found(database, people.sales_b, "(312) 555-0133") == []
    async with database.sessions() as session:
        places = await places_for(session, people.sales_b)
        assert await conversation_record(session, places, ids["jane"]) is None
        assert await conversation_record(session, places, "no-such-conversation") is None
        assert await conversation_record(session, places, ids["other"]) is not None
    # A manager of the group, and the admin, see both dealerships.
    for who in (people.group_manager, people.admin):
        assert await found(database, who, "camry") == [ids["jane"], ids["other"]], who.role


async def test_a_new_message_and_new_contact_details_are_indexed_again(
    database: Database, world: tuple[People, dict[str, str]]
) -> None:
    people, ids = world
    later = NOW + timedelta(minutes=1)
    async with database.sessions() as session, session.begin():
        # What the append path does: a new row and a bumped last_seq, no ORM version change.
        await session.execute(
            update(Conversation).where(Conversation.id == ids["typed"]).values(last_seq=3)
        )
        session.add(
            Message(
                conversation_id=ids["typed"], seq=3, author_kind="visitor", body="Also a Prius?",
                created_at=later,
            )
        )  # fmt: skip
        row = await session.get_one(Conversation, ids["typed"])
        row.contact = {"name": "Theo Typed", "email": "theo@example.net"}
    assert await found(database, people.sales_a, "prius") == []
    # Closed two hours ago: not in the every-second look at open and recent conversations,
    # but in the full pass (at start, then every ten minutes).
    assert await index_stale(database, later, since=later - timedelta(minutes=10)) == 0
    assert await index_stale(database, later) == 1
    assert await found(database, people.sales_a, "prius") == [ids["typed"]]
    assert await found(database, people.sales_a, "theo@example.net") == [ids["typed"]]
    assert await index_stale(database, later) == 0  # nothing left to do


async def test_a_live_conversation_is_indexed_at_once_then_at_most_every_half_minute(
    database: Database, world: tuple[People, dict[str, str]]
) -> None:
    people, _ids = world
    async with database.sessions() as session, session.begin():
        live = await add_conversation(
            session, people.a_id, NOW, messages=("Trade-in value for my Outback?",), outcome=None
        )
    recent = NOW - timedelta(minutes=5)
    assert await index_stale(database, NOW, since=recent) == 1
    assert await found(database, people.sales_a, "outback") == [live]
    async with database.sessions() as session, session.begin():
        await session.execute(
            update(Conversation).where(Conversation.id == live).values(last_seq=2)
        )
        session.add(
            Message(conversation_id=live, seq=2, author_kind="staff", body="Bring it by Monday",
                    created_at=NOW)
        )  # fmt: skip
    assert await index_stale(database, NOW + timedelta(seconds=5), since=recent) == 0
    assert await index_stale(database, NOW + timedelta(seconds=31), since=recent) == 1
    assert await found(database, people.sales_a, "monday") == [live]
