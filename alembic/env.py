"""Alembic environment: runs migrations on the async engine of the configured URL."""

from __future__ import annotations

import asyncio
import os

from sqlalchemy.engine import Connection

from alembic import context
from chat_server.history.schema import include_name
from chat_server.store.database import create_engine_for
from chat_server.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DEALER_CHAT_DATABASE_URL")
    if not url:
        raise SystemExit(
            "no database URL: set DEALER_CHAT_DATABASE_URL or use `dealer-chat migrate`"
        )
    return url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The search index of migration 0010 is not in the models (chat_server/history/schema.py).
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine_for(_url(), pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
