"""The async engine and session factory, owned by the app's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def ping(self) -> None:
        """One round trip to the database; raises whatever the driver raises when it is down."""
        async with self.sessions() as session:
            await session.execute(text("SELECT 1"))


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite file so a first start needs no manual step."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (below) instead of pysqlite's deferred BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
        # writes fails at once with SQLITE_BUSY when another writer got in between, and
        # busy_timeout cannot help it. With IMMEDIATE, writers queue on busy_timeout instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine_for(url: str, *, pool_size: int = 10, bounded: bool = False) -> AsyncEngine:
    """The engine for ``url``; ``bounded`` puts PostgreSQL calls under timeouts (see below)."""
    if url.startswith("sqlite"):
        ensure_sqlite_folder(url)
        # One connection per process: SQLite has one writer at a time anyway, and with several
        # pooled connections the losers of BEGIN IMMEDIATE sleep in SQLite's busy handler with
        # growing pauses (py-spy: 78% of samples in usleep at 250 msg/s, p99 over a second).
        # With one connection they queue on the pool's asyncio queue and wake at once.
        engine = create_async_engine(
            url, pool_size=1, max_overflow=0, pool_timeout=30, hide_parameters=True
        )
        _tune_sqlite(engine)
        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=10,
        # Errors logged with %r would otherwise print the statement's parameters: message
        # bodies, shoppers' contact details, password hashes.
        hide_parameters=True,
        connect_args=_asyncpg_timeouts(url) if bounded else {},
    )


# A database that neither answers nor refuses (hung, partitioned) would otherwise hold a
# request for ever: asyncpg has no statement timeout by default, so a send never got its ack
# or its "unavailable" (tests/scale/test_postgres_restart.py, the freeze case). The app's
# engine is bounded; migrations (alembic/env.py) are not: an index build may take minutes.
CONNECT_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 5.0


def _asyncpg_timeouts(url: str) -> dict[str, Any]:
    if make_url(url).get_driver_name() != "asyncpg":
        return {}
    return {"timeout": CONNECT_TIMEOUT_S, "command_timeout": COMMAND_TIMEOUT_S}


@asynccontextmanager
async def open_database(url: str) -> AsyncIterator[Database]:
    engine = create_engine_for(url, bounded=True)
    try:
        yield Database(engine, async_sessionmaker(engine, expire_on_commit=False))
    finally:
        await engine.dispose()
