"""The dealership cache by site key (chat_server/store/sites.py), on the real database."""

from __future__ import annotations

import asyncio

from sqlalchemy import event

from chat_server import admin
from chat_server.store.database import Database
from chat_server.store.sites import SiteCache

SITE = "north-site"


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def seed(db: Database) -> None:
    async with db.sessions() as session, session.begin():
        await admin.create_dealership(
            session,
            slug="north-motors",
            name="North Motors",
            time_zone="UTC",
            origins=["http://north.example"],
            site_key=SITE,
        )


async def allow(db: Database, origin: str) -> None:
    async with db.sessions() as session, session.begin():
        await admin.allow_origin(session, "north-motors", origin)


def count_selects(db: Database) -> list[str]:
    seen: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _count(_c: object, _cur: object, statement: str, *_args: object) -> None:
        if "FROM dealerships" in statement:
            seen.append(statement)

    return seen


async def test_cached_for_the_ttl_then_read_again(database: Database) -> None:
    await seed(database)
    clock = FakeTime()
    cache = SiteCache(ttl_s=5.0, now=clock)
    reads = count_selects(database)
    first = await cache.get(database, SITE)
    assert first is not None and first.allowed_origins == ("http://north.example",)
    await allow(database, "http://www.north.example")
    reads.clear()
    clock.now += 4.9
    assert await cache.get(database, SITE) is first  # shared, not re-read
    assert reads == []
    clock.now += 0.2  # past the TTL: the new origin is seen
    again = await cache.get(database, SITE)
    assert again is not None and "http://www.north.example" in again.allowed_origins
    assert len(reads) == 1


async def test_forget_and_fresh_read_at_once(database: Database) -> None:
    await seed(database)
    cache = SiteCache(ttl_s=3600.0)
    await cache.get(database, SITE)
    await allow(database, "http://a.example")
    fresh = await cache.get(database, SITE, fresh=True)
    assert fresh is not None and "http://a.example" in fresh.allowed_origins
    cached = await cache.get(database, SITE)
    assert cached is fresh  # the fresh read refreshed the entry
    await allow(database, "http://b.example")
    cache.forget(SITE)
    after = await cache.get(database, SITE)
    assert after is not None and "http://b.example" in after.allowed_origins


async def test_concurrent_misses_share_one_read(database: Database) -> None:
    await seed(database)
    cache = SiteCache()
    reads = count_selects(database)
    views = await asyncio.gather(*(cache.get(database, SITE) for _ in range(50)))
    assert len(reads) == 1
    assert all(v is views[0] for v in views)


async def test_unknown_and_absurd_keys_are_not_cached(database: Database) -> None:
    await seed(database)
    cache = SiteCache()
    assert await cache.get(database, "nope") is None
    assert await cache.get(database, None) is None
    assert await cache.get(database, "x" * 65) is None
    assert len(cache) == 0


async def test_bounded(database: Database) -> None:
    await seed(database)
    cache = SiteCache(max_sites=1)
    async with database.sessions() as session, session.begin():
        await admin.create_dealership(
            session, slug="south", name="South", time_zone="UTC", origins=[], site_key="south-site"
        )
    assert await cache.get(database, SITE) is not None
    assert await cache.get(database, "south-site") is not None
    assert len(cache) == 1
