"""The demo world, migrated and seeded once per run and backend, copied for each test server;
and the bare migrated schema, copied for each test's ``database`` fixture.

Migrating a new database and seeding the demo world costs a second or more of CPU on every
server start; a copy of a database that already holds it costs milliseconds. SQLite copies the
file; PostgreSQL creates the database from a template. Both the in-process servers
(inprocess.py) and the server subprocesses (server_process.py) start from it.

The template's demo logins carry argon2id hashes made with argon2-cffi's ``CHEAPEST`` profile,
the one argon2-cffi provides for tests. Verifying reads the cost from the hash itself, so every
sign-in of a test goes through the server's real argon2 verification, only without the 0.2 s
of CPU a production-strength hash costs on purpose: the suite signs in hundreds of times. New
passwords (sign-up links, password changes, ``admin create-operator``) are hashed by the
product's own hasher at full strength, and tests/transport/test_console_auth.py checks that.

Callable from any thread, with or without a running event loop: the async work runs on a loop
of its own in a worker thread.

A PostgreSQL test database can be *deferred* (``defer_creation``): it is created when first
needed, straight from the template the first caller wants (one ``CREATE DATABASE ... TEMPLATE``)
instead of empty and then dropped and created again from the template; ``ensure_created``
creates it empty for a test that opens it itself.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy import make_url, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from chat_server.demo_world import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
from chat_server.store.database import open_database
from chat_server.store.migrate import migrate
from chat_server.store.models import Operator

T = TypeVar("T")
PG_TEMPLATE = "dealer_chat_seeded_template"
PG_MIGRATED = "dealer_chat_migrated_template"

_templates: dict[str, str] = {}
_lock = threading.Lock()
# A deferred database's URL -> the function that creates it (from a template's name, or empty).
_deferred: dict[str, Callable[[str | None], None]] = {}
_template_dir: Path | None = None


def defer_creation(database_url: str, create: Callable[[str | None], None]) -> None:
    """Create the database at ``database_url`` only when first needed, with ``create``."""
    with _lock:
        _deferred[database_url] = create


def ensure_created(database_url: str) -> None:
    """Create a deferred database now, empty; nothing for one that exists already."""
    with _lock:
        create = _deferred.pop(database_url, None)
    if create is not None:
        create(None)


def forget_deferred(database_url: str) -> bool:
    """Drop ``database_url`` from the deferred ones; True if it was never created."""
    with _lock:
        return _deferred.pop(database_url, None) is not None


def materialise_seeded(database_url: str) -> bool:
    """Fill the new, empty database at ``database_url`` with the migrated demo world.

    Returns False (and changes nothing) when the database is not empty (a restarted server,
    or a test that seeded its own): the server then migrates and seeds it as it always does.
    """
    return _materialise(database_url, seeded=True)


def materialise_migrated(database_url: str) -> bool:
    """Fill the new, empty database at ``database_url`` with the schema alone (no rows), as
    ``dealer-chat migrate`` leaves it; False (changing nothing) when it is not empty."""
    return _materialise(database_url, seeded=False)


def _materialise(database_url: str, *, seeded: bool) -> bool:
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        target = Path(url.database or "")
        if not url.database or target.exists():
            return False
        make = _make_sqlite_template if seeded else _make_sqlite_migrated
        template = _template(f"sqlite:{seeded}", database_url, make)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
        return True
    if backend == "postgresql":
        return _run(_copy_pg_template(database_url, seeded=seeded))
    return False


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


def _template(key: str, database_url: str, make: Callable[[str], Awaitable[str]]) -> str:
    with _lock:
        if key not in _templates:
            _templates[key] = _run(make(database_url))  # type: ignore[arg-type]
        return _templates[key]


def cheap_hash(password: str) -> str:
    """An argon2id hash of ``password`` at argon2-cffi's test profile (see the module doc)."""
    return PasswordHasher.from_parameters(CHEAPEST).hash(password)


async def _seed_world(database_url: str) -> None:
    await asyncio.to_thread(migrate, database_url)
    cheap = cheap_hash(DEMO_PASSWORD)
    async with open_database(database_url) as db, db.sessions() as session, session.begin():
        await seed_demo(session, [])
        await session.execute(
            update(Operator)
            .where(Operator.email.in_([login.email for login in DEMO_LOGINS]))
            .values(password_hash=cheap)
        )


async def _migrate_only(database_url: str) -> None:
    await asyncio.to_thread(migrate, database_url)


def _sqlite_template_path(name: str) -> Path:
    global _template_dir
    if _template_dir is None:
        _template_dir = Path(tempfile.mkdtemp(prefix="dealer-chat-template-"))
        atexit.register(shutil.rmtree, _template_dir, True)
    return _template_dir / name


async def _make_sqlite(path: Path, fill: Callable[[str], Awaitable[None]]) -> str:
    await fill(f"sqlite+aiosqlite:///{path}")
    # The last connection closed, so the write-ahead log is checkpointed into the file.
    assert not path.with_name(path.name + "-wal").exists(), "template still has a WAL"
    return str(path)


async def _make_sqlite_template(database_url: str) -> str:
    return await _make_sqlite(_sqlite_template_path("seeded.sqlite3"), _seed_world)


async def _make_sqlite_migrated(database_url: str) -> str:
    return await _make_sqlite(_sqlite_template_path("migrated.sqlite3"), _migrate_only)


def _pg_maker(name: str, fill: Callable[[str], Awaitable[None]]) -> Callable[[str], Awaitable[str]]:
    async def make(database_url: str) -> str:
        url = make_url(database_url)
        async with _pg_maintenance(database_url) as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await connection.execute(text(f'CREATE DATABASE "{name}" OWNER "{url.username}"'))
        await fill(url.set(database=name).render_as_string(hide_password=False))
        return name

    return make


async def _copy_pg_template(database_url: str, *, seeded: bool) -> bool:
    url = make_url(database_url)
    name, fill = (PG_TEMPLATE, _seed_world) if seeded else (PG_MIGRATED, _migrate_only)

    async def template_name() -> str:
        return await asyncio.to_thread(
            _template, f"pg:{url.host}:{url.port}:{seeded}", database_url, _pg_maker(name, fill)
        )

    with _lock:
        create = _deferred.pop(database_url, None)
    if create is not None:
        create(await template_name())
        return True
    if not await _pg_is_empty(database_url):
        return False
    template = await template_name()
    async with _pg_maintenance(database_url) as connection:
        await connection.execute(text(f'DROP DATABASE "{url.database}"'))
        await connection.execute(
            text(f'CREATE DATABASE "{url.database}" TEMPLATE "{template}" OWNER "{url.username}"')
        )
    return True


async def _pg_is_empty(database_url: str) -> bool:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            tables = await connection.scalar(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
        return tables == 0
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def _pg_maintenance(database_url: str) -> AsyncIterator[AsyncConnection]:
    """A connection to the cluster's ``postgres`` database, outside any transaction."""
    url = make_url(database_url).set(database="postgres")
    engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()
