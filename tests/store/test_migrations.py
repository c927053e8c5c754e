"""Alembic is the only way the schema changes: migrations build exactly the models' schema."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from chat_server.history.schema import include_name
from chat_server.store.database import open_database
from chat_server.store.migrate import migrate
from chat_server.store.models import Base


async def test_migrations_match_the_models_and_run_twice(database_url: str) -> None:
    await asyncio.to_thread(migrate, database_url)
    await asyncio.to_thread(migrate, database_url)  # an up-to-date database is left alone
    async with open_database(database_url) as db, db.engine.connect() as connection:

        def diff(sync_connection):  # type: ignore[no-untyped-def]
            # The search index of migration 0010 is not in the models (history/schema.py).
            opts = {"compare_type": False, "include_name": include_name}
            context = MigrationContext.configure(sync_connection, opts=opts)
            return compare_metadata(context, Base.metadata)

        assert await connection.run_sync(diff) == []
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"conversations", "messages", "rings", "leads", "deadlines", "pool_coverage"} <= tables


async def test_migrating_an_old_database_keeps_its_data(database_url: str) -> None:
    from tests.support.seed import seed_minimal_world

    await asyncio.to_thread(migrate, database_url, "0001")
    await seed_minimal_world(database_url)
    await asyncio.to_thread(migrate, database_url)
    async with open_database(database_url) as db, db.sessions() as session:
        from sqlalchemy import select

        from chat_server.store.models import Dealership

        names = list(await session.scalars(select(Dealership.name)))
    assert names == ["Old Motors"]


def test_the_history_has_one_head() -> None:
    from alembic.script import ScriptDirectory

    from chat_server.store.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite:///unused")).get_heads()
    assert len(heads) == 1, f"parallel migration branches need a merge revision: {heads}"
