"""``dealer-chat migrate`` on a database from before migration 0010: its conversations keep
their data and become searchable once the indexer's first (full) pass has run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from alembic import command
from chat_server.history.filters import Filters
from chat_server.history.indexer import index_stale
from chat_server.history.listing import list_conversations, places_for
from chat_server.store.database import open_database
from chat_server.store.migrate import alembic_config, migrate
from tests.history.world import add_conversation, two_dealerships

AT = datetime(2026, 2, 1, 16, 0, tzinfo=UTC)


async def test_an_old_database_is_migrated_and_its_conversations_indexed(database_url: str) -> None:
    await asyncio.to_thread(migrate, database_url, "0009")
    async with open_database(database_url) as db, db.sessions() as session, session.begin():
        people = await two_dealerships(session)
        old = await add_conversation(
            session,
            people.a_id,
            AT,
            messages=("Do you still have the white Tacoma?",),
            contact={"name": "Olga Older", "phone": "+17735550177"},
        )
    await asyncio.to_thread(migrate, database_url)
    async with open_database(database_url) as db:
        assert await index_stale(db, datetime.now(UTC)) == 1
        async with db.sessions() as session:
            places = await places_for(session, people.sales_a)
            for query in ("tacoma", "773.555.0177", "olga"):
                page = await list_conversations(session, places, Filters(query=query))
                assert [r.id for r in page.rows] == [old], query
    # And back down to 0009 and up again: the search structures of each dialect come and go.
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0009")
    await asyncio.to_thread(migrate, database_url)
    async with open_database(database_url) as db:
        assert await index_stale(db, datetime.now(UTC)) == 1
