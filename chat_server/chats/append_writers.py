"""Writing one batch of appends in one transaction, straight on the database driver.

This is the hot path of every chat message, so it skips SQLAlchemy's statement machinery
(py-spy, T2 at 250 msg/s: about 45 % of the server's samples were SQLAlchemy building,
caching and executing three small statements per message). The SQL is fixed text, run on
the pooled connection's driver:

- SQLite (aiosqlite): the whole batch, BEGIN IMMEDIATE to COMMIT, is one function run on
  aiosqlite's worker thread, so a batch costs one thread hop instead of one per statement.
- PostgreSQL (asyncpg): three statements a batch, whatever its size: a lookup of the client
  ids, one ``UPDATE ... RETURNING`` for every conversation (rows locked in id order, so
  batches on several nodes cannot deadlock), one ``INSERT ... SELECT FROM unnest(...)``.

Any error rolls the whole batch back. A broken constraint or a bad value (one message's
fault, e.g. a duplicate client id that raced another node) raises ``BatchRejected``: the
batcher then stores the messages one by one through ``append_message``, so only the bad one
fails. Any other driver error (a lost connection, a timeout) is raised as SQLAlchemy's
``OperationalError`` and fails the batch's messages at once: callers answer "unavailable"
as they always did, without waiting out one timeout per message. ``writer_for`` returns
None for any other database (the batcher then always uses ``append_message``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError

from chat_server.chats.append_batch import AppendRequest, BatchPlan, Bumped, Outcome
from chat_server.store.database import Database
from chat_server.store.models import UtcDateTime
from chat_server.store.records import StoredMessage

_LOOKUP_SQLITE = (
    "SELECT conversation_id, client_id, seq, author_kind, author_name, body, created_at"
    " FROM messages WHERE conversation_id = ? AND client_id = ?"
)
_BUMP_SQLITE = (
    "UPDATE conversations SET last_seq = last_seq + ?,"
    " first_human_reply_at = coalesce(first_human_reply_at, ?)"
    " WHERE id = ? AND state != 'closed'"
    " RETURNING last_seq, first_human_reply_at, first_message_at"
)
_EXISTS_SQLITE = "SELECT 1 FROM conversations WHERE id = ?"
_INSERT_SQLITE = (
    "INSERT INTO messages (conversation_id, seq, author_kind, author_id, author_name, body,"
    " client_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)

_LOOKUP_PG = (
    "SELECT m.conversation_id, m.client_id, m.seq, m.author_kind, m.author_name, m.body,"
    " m.created_at FROM messages m"
    " JOIN unnest($1::varchar[], $2::varchar[]) AS k(conversation_id, client_id)"
    " ON m.conversation_id = k.conversation_id AND m.client_id = k.client_id"
)
# ``locked`` takes the row locks in id order before anything is updated; its FOR UPDATE also
# re-checks ``state`` on the newest row version, so a conversation closed meanwhile is skipped.
_BUMP_PG = (
    "WITH locked AS MATERIALIZED ("
    " SELECT id FROM conversations WHERE id = ANY($1::varchar[]) AND state <> 'closed'"
    " ORDER BY id FOR UPDATE)"
    " UPDATE conversations c SET last_seq = c.last_seq + b.n,"
    " first_human_reply_at = coalesce(c.first_human_reply_at, b.human_at)"
    " FROM locked JOIN unnest($1::varchar[], $2::int[], $3::timestamptz[]) AS b(id, n, human_at)"
    " ON b.id = locked.id"
    " WHERE c.id = locked.id"
    " RETURNING c.id, c.last_seq, c.first_human_reply_at, c.first_message_at"
)
_EXISTS_PG = "SELECT id FROM conversations WHERE id = ANY($1::varchar[])"
_INSERT_PG = (
    "INSERT INTO messages (conversation_id, seq, author_kind, author_id, author_name, body,"
    " client_id, created_at) SELECT * FROM unnest($1::varchar[], $2::int[], $3::varchar[],"
    " $4::int[], $5::varchar[], $6::text[], $7::varchar[], $8::timestamptz[])"
)


class BatchRejected(Exception):
    """A message of the batch broke a constraint: store them one by one to find it."""


_REJECTED = (
    sqlite3.IntegrityError,
    sqlite3.DataError,
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.DataError,
    asyncpg.TransactionRollbackError,  # deadlock or serialization failure: worth a retry
    # Text neither driver can encode (a lone surrogate). protocol/incoming.py makes every
    # frame's text storable, so this is one caller's bug: it must not fail the whole batch.
    UnicodeEncodeError,
)
_DRIVER_ERRORS = (sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError)


def _translated(error: Exception) -> Exception:
    if isinstance(error, _REJECTED):
        return BatchRejected(error)
    if isinstance(error, _DRIVER_ERRORS):
        return OperationalError("append batch", None, error)
    return error


class BatchWriter(Protocol):
    async def write(self, requests: Sequence[AppendRequest]) -> list[Outcome]: ...


def writer_for(db: Database) -> BatchWriter | None:
    name = db.engine.dialect.name
    driver = db.engine.dialect.driver
    if name == "sqlite" and driver == "aiosqlite":
        return SqliteWriter(db)
    if name == "postgresql" and driver == "asyncpg":
        return PostgresWriter(db)
    return None


class _Times:
    """UtcDateTime's own conversions for this dialect, so rows match what the ORM writes."""

    def __init__(self, dialect: Dialect) -> None:
        impl = UtcDateTime().dialect_impl(dialect)
        identity: Callable[[Any], Any] = lambda value: value  # noqa: E731
        self.bind = impl.bind_processor(dialect) or identity
        self.read = impl.result_processor(dialect, None) or identity

    def bumped(self, row: Sequence[Any]) -> Bumped:
        return Bumped(row[0], self.read(row[1]), self.read(row[2]))

    def message(self, row: Sequence[Any]) -> StoredMessage:
        return StoredMessage(
            conversation_id=row[0],
            client_id=row[1],
            seq=row[2],
            author_kind=row[3],
            author_name=row[4],
            body=row[5],
            created_at=self.read(row[6]),
        )


class _DriverWriter:
    """Writes a batch on the pool's raw driver connection; subclasses say how (``_on_driver``)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.times = _Times(db.engine.dialect)

    async def write(self, requests: Sequence[AppendRequest]) -> list[Outcome]:
        plan = BatchPlan(requests)
        async with self.db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            try:
                await self._on_driver(raw.driver_connection, plan)
            except (*_DRIVER_ERRORS, UnicodeEncodeError) as error:
                raise _translated(error) from error
        return plan.outcomes()

    async def _on_driver(self, driver: Any, plan: BatchPlan) -> None:
        raise NotImplementedError


class SqliteWriter(_DriverWriter):
    async def _on_driver(self, driver: Any, plan: BatchPlan) -> None:
        # ``driver`` is an aiosqlite.Connection. It has no public "run this on your thread";
        # ``_execute`` is what all of its own methods use (tests/chats/test_append_batcher.py
        # covers it).
        await driver._execute(self._run, driver._conn, plan)

    def _run(self, db: sqlite3.Connection, plan: BatchPlan) -> None:
        """On aiosqlite's thread: the whole batch in one transaction."""
        db.execute("BEGIN IMMEDIATE")
        try:
            found = []
            for key in plan.keys:
                row = db.execute(_LOOKUP_SQLITE, key).fetchone()
                if row is not None:
                    found.append(self.times.message(row))
            plan.found(found)
            bumped: dict[str, Bumped] = {}
            for bump in plan.bumps:
                human_at = self.times.bind(bump.human_at)  # None stays None
                row = db.execute(
                    _BUMP_SQLITE, (bump.count, human_at, bump.conversation_id)
                ).fetchone()
                if row is not None:
                    bumped[bump.conversation_id] = self.times.bumped(row)
            rows = plan.numbered(bumped)
            for conversation_id in plan.unnumbered():
                exists = db.execute(_EXISTS_SQLITE, (conversation_id,)).fetchone() is not None
                plan.refused(conversation_id, exists)
            if rows:
                db.executemany(
                    _INSERT_SQLITE,
                    [
                        (
                            m.conversation_id,
                            m.seq,
                            m.author_kind,
                            row.author_id,
                            m.author_name,
                            m.body,
                            m.client_id,
                            self.times.bind(m.created_at),
                        )
                        for row in rows
                        for m in (row.message,)
                    ],
                )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


class PostgresWriter(_DriverWriter):
    async def _on_driver(self, pg: Any, plan: BatchPlan) -> None:
        """The whole batch in one transaction: three statements whatever its size."""
        async with pg.transaction():
            keys = plan.keys
            found = (
                await pg.fetch(_LOOKUP_PG, [k[0] for k in keys], [k[1] for k in keys])
                if keys
                else []
            )
            plan.found(self.times.message(row) for row in found)
            bumps = plan.bumps
            bumped = (
                await pg.fetch(
                    _BUMP_PG,
                    [b.conversation_id for b in bumps],
                    [b.count for b in bumps],
                    [self.times.bind(b.human_at) for b in bumps],
                )
                if bumps
                else []
            )
            rows = plan.numbered({row[0]: self.times.bumped(row[1:]) for row in bumped})
            unnumbered = plan.unnumbered()
            if unnumbered:
                existing = {row[0] for row in await pg.fetch(_EXISTS_PG, unnumbered)}
                for conversation_id in unnumbered:
                    plan.refused(conversation_id, conversation_id in existing)
            if rows:
                messages = [row.message for row in rows]
                await pg.execute(
                    _INSERT_PG,
                    [m.conversation_id for m in messages],
                    [m.seq for m in messages],
                    [m.author_kind for m in messages],
                    [row.author_id for row in rows],
                    [m.author_name for m in messages],
                    [m.body for m in messages],
                    [m.client_id for m in messages],
                    [self.times.bind(m.created_at) for m in messages],
                )
