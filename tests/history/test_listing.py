"""The Conversations list's filters (dates on the dealership's calendar, outcome, who answered,
department, one shopper), paging, one conversation's record, the CSV rows, and the seed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from chat_server.history.export import HEADER, csv_rows
from chat_server.history.filters import Filters, read_filters
from chat_server.history.listing import export_rows, list_conversations, places_for
from chat_server.history.record import conversation_record
from chat_server.history.seed import seed_history
from chat_server.reports.export import csv_text
from chat_server.store.database import Database
from chat_server.store.models import Conversation, ConversationSearch, Dealership
from tests.history.world import People, add_conversation, two_dealerships

# 23:30 on March 3 in Chicago is 05:30 on March 4 in UTC.
LATE_EVENING = datetime(2026, 3, 4, 5, 30, tzinfo=UTC)


@pytest.fixture
async def people(database: Database) -> People:
    async with database.sessions() as session, session.begin():
        return await two_dealerships(session)


async def listed(database: Database, people: People, **filters: object) -> list[str]:
    async with database.sessions() as session:
        places = await places_for(session, people.group_manager)
        page = await list_conversations(session, places, Filters(**filters))  # type: ignore[arg-type]
    return [row.id for row in page.rows]


async def test_filters_read_dates_on_the_dealerships_own_calendar(
    database: Database, people: People
) -> None:
    async with database.sessions() as session, session.begin():
        late = await add_conversation(session, people.a_id, LATE_EVENING, owner=people.sales_a.id)
        # The same instant is already March 4 in New York (00:30).
        new_york = await add_conversation(session, people.b_id, LATE_EVENING, outcome="missed")
        open_one = await add_conversation(
            session, people.a_id, LATE_EVENING + timedelta(days=2), outcome=None,
            department="service",
        )  # fmt: skip
    march_3 = date(2026, 3, 3)
    assert await listed(database, people, start=march_3, end=march_3) == [late]
    assert await listed(database, people, start=date(2026, 3, 4), end=date(2026, 3, 4)) == [
        new_york
    ]
    assert await listed(database, people, start=date(2026, 3, 4)) == [open_one, new_york]
    assert await listed(database, people, outcome="open") == [open_one]
    assert await listed(database, people, outcome="missed") == [new_york]
    assert await listed(database, people, operator=people.sales_a.id) == [late]
    assert await listed(database, people, department="service") == [open_one]
    assert await listed(database, people, dealership=people.b_id) == [new_york]


def test_a_query_string_that_makes_no_sense_is_ignored() -> None:
    filters = read_filters(
        {"from": "2026-03-09", "to": "2026-03-01", "outcome": "exploded", "operator": "x",
         "department": "spa", "q": "  camry   2024 ", "shopper": "12", "dealership": "-1"}
    )  # fmt: skip
    assert filters == Filters(
        start=date(2026, 3, 1), end=date(2026, 3, 9), query="camry 2024", shopper=12
    )
    assert filters.query_string(page=2) == {
        "from": "2026-03-01", "to": "2026-03-09", "q": "camry 2024", "shopper": "12", "page": "2",
    }  # fmt: skip


async def test_one_shoppers_conversations_and_paging(database: Database, people: People) -> None:
    start = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    async with database.sessions() as session, session.begin():
        first = await add_conversation(session, people.a_id, start)
        visitor = (await session.get_one(Conversation, first)).visitor_id
        again = await add_conversation(
            session, people.a_id, start + timedelta(days=2), visitor_id=visitor
        )
        for n in range(5):
            await add_conversation(session, people.a_id, start + timedelta(hours=n + 1))
    assert await listed(database, people, shopper=visitor) == [again, first]
    async with database.sessions() as session:
        places = await places_for(session, people.sales_a)
        second = await list_conversations(session, places, Filters(), page=2, per_page=3)
        record = await conversation_record(session, places, first)
    assert (second.total, second.pages, len(second.rows)) == (7, 3, 3)
    assert record is not None
    assert [o.id for o in record.others] == [again]


async def test_the_record_has_the_transcript_with_notes_rings_and_first_human(
    database: Database, people: People
) -> None:
    at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    async with database.sessions() as session, session.begin():
        conversation = await add_conversation(
            session,
            people.a_id,
            at,
            messages=("<script>alert(1)</script> Is it red?", "Yes it is."),
            contact={"name": "Ann Shopper", "phone": "+13125550111", "consent": True,
                     "preferred_time": "evening"},
            vehicle={"year": 2025, "make": "Ford", "model": "F-150", "trim": "XLT"},
            owner=people.sales_a.id,
            rings=((people.sales_a.id, "store", 6, "accepted"),
                   (people.manager_a.id, "store", 6, "taken")),
            notes=((people.sales_a.id, "Wants a test drive", 15),),
        )  # fmt: skip
        places = await places_for(session, people.sales_a)
        record = await conversation_record(session, places, conversation)
    assert record is not None
    assert [(e.kind, e.text) for e in record.transcript] == [
        ("visitor", "<script>alert(1)</script> Is it red?"),
        ("note", "Wants a test drive"),
        ("staff", "Yes it is."),
    ]
    assert (record.shopper, record.phone, record.consent) == ("Ann Shopper", "(312) 555-0111", True)
    assert (record.preferred_time, record.vehicle) == ("Evening", "2025 Ford F-150 XLT")
    assert record.when == "Mar 2, 2026, 9:00 AM CST"
    assert (record.owner, record.first_human, record.accept_after) == ("Alex Sales", "12 s", "6 s")
    assert [(r.operator, r.tier, r.ending) for r in record.rings] == [
        ("Alex Sales", "Store", "Accepted"),
        ("Morgan Manager", "Store", "Someone else took it"),
    ]


async def test_the_csv_has_contact_fields_and_defuses_formulas(
    database: Database, people: People
) -> None:
    async with database.sessions() as session, session.begin():
        await add_conversation(
            session,
            people.a_id,
            datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
            contact={"name": "=HYPERLINK(\"http://evil\")", "phone": "+13125550122",
                     "email": "@sum@example.com"},
            owner=people.sales_a.id,
        )  # fmt: skip
        await add_conversation(session, people.b_id, datetime(2026, 3, 2, tzinfo=UTC))
        places = await places_for(session, people.sales_a)
        text = csv_text(HEADER, csv_rows(await export_rows(session, places, Filters())))
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[3:6] == ["shopper_name", "phone", "email"]
    assert len(rows) == 1  # B's conversation is not A's salesperson's
    assert rows[0][3:6] == ['\'=HYPERLINK("http://evil")', "(312) 555-0122", "'@sum@example.com"]
    assert rows[0][6:8] == ["Answered by the store", "Alex Sales"]


async def test_the_seed_writes_varied_conversations_and_indexes_them(
    database: Database, people: People
) -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    async with database.sessions() as session, session.begin():
        dealership = await session.get_one(Dealership, people.a_id)
        assert await seed_history(session, dealership, 300, now, seed=7) == 300
    async with database.sessions() as session:
        outcomes = dict(
            (
                await session.execute(
                    select(Conversation.outcome, func.count()).group_by(Conversation.outcome)
                )
            ).all()
        )
        indexed = await session.scalar(select(func.count()).select_from(ConversationSearch))
        seeded = list(await session.scalars(select(Conversation)))
        with_phone = next(c for c in seeded if c.contact and c.contact["phone"])
        phone = with_phone.contact["phone"]  # +1AAA555LLLL, searched as (AAA) 555-LLLL
        places = await places_for(session, people.sales_a)
        hits = await list_conversations(
            session, places, Filters(query=f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}")
        )
    assert set(outcomes) == {"up", "pool", "missed", "abandoned"}
    assert indexed == 300
    assert with_phone.id in {row.id for row in hits.rows}
