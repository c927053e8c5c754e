"""Dealerships by site key, cached for the visitor socket's handshake.

Every widget socket names its dealership by site key, and reading that row (with its JSON
hours and theme) on every connect cost a database round trip and a few KiB of parsed copies
per socket. The cache keeps one shared :class:`DealershipView` per site key for
``SITE_TTL_S`` seconds, and concurrent misses for one key share one read (a reconnect storm
reads each dealership once, not once per socket).

Staleness: a change made elsewhere (``dealer-chat admin ...``, another node) reaches new
sockets within ``SITE_TTL_S`` seconds; a change made through this process can call
:meth:`SiteCache.forget` to take effect at once. The first message of a conversation reads
the row afresh (``fresh=True``), so the ladder never starts on hours or timings older than
that message. Unknown site keys are not cached.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import select

from chat_server.store.database import Database
from chat_server.store.models import Dealership
from chat_server.store.records import DealershipView, dealership_view

SITE_TTL_S = 5.0
MAX_SITES = 10_000
MAX_SITE_KEY = 64


class SiteCache:
    """Site key → dealership view, for ``ttl_s`` seconds; one read per key at a time."""

    def __init__(
        self,
        ttl_s: float = SITE_TTL_S,
        max_sites: int = MAX_SITES,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_sites = max_sites
        self._now = now
        self._entries: dict[str, tuple[float, DealershipView]] = {}
        self._reads: dict[str, asyncio.Task[DealershipView | None]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def get(
        self, db: Database, site_key: str | None, *, fresh: bool = False
    ) -> DealershipView | None:
        """The dealership for ``site_key``, or None when there is none.

        ``fresh`` reads the row now (and refreshes the cache) instead of trusting an entry.
        """
        if not site_key or len(site_key) > MAX_SITE_KEY:
            return None
        if fresh:
            return self._keep(site_key, await _read(db, site_key))
        entry = self._entries.get(site_key)
        if entry is not None and entry[0] > self._now():
            return entry[1]
        read = self._reads.get(site_key)
        if read is None:
            read = asyncio.ensure_future(self._read_and_keep(db, site_key))
            self._reads[site_key] = read
            read.add_done_callback(lambda _t: self._reads.pop(site_key, None))
        # Shielded: one waiter going away must not cancel the read the others wait for.
        return await asyncio.shield(read)

    def forget(self, site_key: str | None = None) -> None:
        """Drop one site key's entry (or all of them): the next socket reads the row."""
        if site_key is None:
            self._entries.clear()
        else:
            self._entries.pop(site_key, None)

    async def _read_and_keep(self, db: Database, site_key: str) -> DealershipView | None:
        return self._keep(site_key, await _read(db, site_key))

    def _keep(self, site_key: str, view: DealershipView | None) -> DealershipView | None:
        if view is None:
            self._entries.pop(site_key, None)
            return None
        if site_key not in self._entries and len(self._entries) >= self.max_sites:
            self._evict()
        self._entries[site_key] = (self._now() + self.ttl_s, view)
        return view

    def _evict(self) -> None:
        now = self._now()
        for key in [k for k, (expires, _v) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) >= self.max_sites:
            del self._entries[next(iter(self._entries))]  # the oldest insertion


async def _read(db: Database, site_key: str) -> DealershipView | None:
    async with db.sessions() as session:
        row = await session.scalar(select(Dealership).where(Dealership.site_key == site_key))
        return dealership_view(row) if row is not None else None


async def dealership_by_slug(db: Database, slug: str) -> DealershipView | None:
    """The dealership with this slug, read now (not cached: only the demo page asks)."""
    async with db.sessions() as session:
        row = await session.scalar(select(Dealership).where(Dealership.slug == slug))
        return dealership_view(row) if row is not None else None
