"""Keeping the search documents: a background indexer, never the chat's own write path.

Why not database triggers on ``messages``: every chat message is appended on the hot path that
bench/ measures (chats/append_writers.py, group-committed batches); a trigger would re-tokenise
the conversation, or at least update the full-text index, inside each of those transactions,
and on SQLite (one writer) everything else would wait for it. Instead, each conversation has a
row in ``conversation_search`` that records the ``last_seq`` and ``version`` it was built from.
Any difference (a new message bumps ``last_seq``; contact details, outcome or owner bump the
ORM's ``version``) means "build it again". :class:`SearchIndexer`, one poll-and-wake worker
(background.py) per node, looks every second at the open and recently closed conversations,
so a chat is searchable a second or two after it changes, and every ten minutes (and at start,
which indexes a database migrated from before 0010) at all of them.

A live conversation is rebuilt at most every ``LIVE_EVERY_S`` seconds, so a busy chat costs
the indexer one rebuild per half minute rather than one per message. Documents are read in one
short session, built in Python with no connection held, and written in another; two nodes
indexing the same conversation write the same document, and one that wrote an older one is
corrected at its next look (the stored ``seq`` still differs).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.background import PollingWorker
from chat_server.clock import Clock
from chat_server.history.document import DocumentSource, document_text
from chat_server.store.database import Database
from chat_server.store.models import (
    Conversation,
    ConversationSearch,
    Dealership,
    Message,
    Visitor,
)

log = logging.getLogger(__name__)

BATCH = 200  # conversations per read and per write transaction: short, so chats never wait
LIVE_EVERY_S = 30.0
RECENT_S = 300.0  # closed this recently: still looked at every tick
FULL_EVERY_S = 600.0


def _stale() -> Any:
    return or_(
        ConversationSearch.id.is_(None),
        ConversationSearch.seq != Conversation.last_seq,
        ConversationSearch.version != Conversation.version,
    )


def _not_busy(now: datetime) -> Any:
    """Not a live conversation whose document is younger than ``LIVE_EVERY_S``."""
    # Spelled out rather than NOT(...): a missing document's NULL indexed_at would make the
    # negation NULL, and the row would never be picked.
    return or_(
        Conversation.closed_at.is_not(None),
        ConversationSearch.indexed_at.is_(None),
        ConversationSearch.indexed_at <= now - timedelta(seconds=LIVE_EVERY_S),
    )


async def _sources(
    session: AsyncSession, ids: Sequence[str]
) -> dict[str, tuple[int, int, DocumentSource]]:
    """conversation id -> (last_seq, version, what its document is made of)."""
    rows = (
        await session.execute(
            select(
                Conversation.id,
                Conversation.last_seq,
                Conversation.version,
                Conversation.contact,
                Conversation.vehicle,
                Conversation.page,
                Dealership.country,
                Visitor.name,
                Visitor.email,
                Visitor.phone,
            )
            .join(Dealership, Dealership.id == Conversation.dealership_id)
            .join(Visitor, Visitor.id == Conversation.visitor_id)
            .where(Conversation.id.in_(ids))
        )
    ).all()
    bodies: dict[str, list[str]] = defaultdict(list)
    for conversation_id, body in await session.execute(
        select(Message.conversation_id, Message.body)
        .where(Message.conversation_id.in_(ids))
        .order_by(Message.conversation_id, Message.seq)
    ):
        bodies[conversation_id].append(body)
    return {
        r.id: (
            r.last_seq,
            r.version,
            DocumentSource(
                region=r.country,
                contact=r.contact,
                visitor_name=r[7],
                visitor_email=r[8],
                visitor_phone=r[9],
                vehicle=r.vehicle,
                page_title=str((r.page or {}).get("title") or ""),
                messages=bodies.get(r.id, []),
            ),
        )
        for r in rows
    }


def _documents(
    sources: dict[str, tuple[int, int, DocumentSource]], now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "conversation_id": conversation_id,
            "document": document_text(source),
            "seq": seq,
            "version": version,
            "indexed_at": now,
        }
        for conversation_id, (seq, version, source) in sources.items()
    ]


async def _upsert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    statement = insert(ConversationSearch)
    statement = statement.on_conflict_do_update(
        index_elements=[ConversationSearch.conversation_id],
        set_={
            name: getattr(statement.excluded, name)
            for name in ("document", "seq", "version", "indexed_at")
        },
    )
    await session.execute(statement, rows)


async def index_in_session(session: AsyncSession, ids: Sequence[str], now: datetime) -> int:
    """(Re)build the documents of ``ids`` inside the caller's transaction (the seed and the
    ``reindex-history`` command); returns how many were written."""
    written = 0
    for start in range(0, len(ids), BATCH):
        rows = _documents(await _sources(session, list(ids[start : start + BATCH])), now)
        if rows:
            await _upsert(session, rows)
            written += len(rows)
    return written


async def index_conversations(db: Database, ids: Sequence[str], now: datetime) -> int:
    """(Re)build the documents of ``ids``, each batch read in one short session and written in
    another, with no connection held while the words are built; returns how many."""
    written = 0
    for start in range(0, len(ids), BATCH):
        async with db.sessions() as session:
            sources = await _sources(session, list(ids[start : start + BATCH]))
        rows = _documents(sources, now)
        if rows:
            async with db.sessions() as session, session.begin():
                await _upsert(session, rows)
            written += len(rows)
        await asyncio.sleep(0)  # let the chats in between batches
    return written


def _stale_query(now: datetime, *, since: datetime | None, after: str | None) -> Any:
    query = (
        select(Conversation.id)
        .outerjoin(ConversationSearch, ConversationSearch.conversation_id == Conversation.id)
        .where(_stale(), _not_busy(now))
    )
    if since is not None:
        query = query.where(or_(Conversation.closed_at.is_(None), Conversation.closed_at >= since))
    if after is not None:  # the full pass walks the table in id order, one batch at a time
        query = query.where(Conversation.id > after).order_by(Conversation.id)
    return query.limit(BATCH)


async def index_stale(db: Database, now: datetime, *, since: datetime | None = None) -> int:
    """Index every conversation whose document is missing or out of date (only those open or
    closed after ``since`` when given); returns how many were written."""
    written = 0
    after = "" if since is None else None
    while True:
        async with db.sessions() as session:
            ids = list(await session.scalars(_stale_query(now, since=since, after=after)))
        if not ids:
            return written
        written += await index_conversations(db, ids, now)
        if after is None and len(ids) < BATCH:
            return written
        after = ids[-1] if after is not None else None


async def reindex_all(session: AsyncSession, now: datetime) -> int:
    """:func:`index_stale` over every conversation, in the caller's transaction."""
    written = 0
    after = ""
    while ids := list(await session.scalars(_stale_query(now, since=None, after=after))):
        written += await index_in_session(session, ids, now)
        after = ids[-1]
    return written


class SearchIndexer(PollingWorker):
    """Keeps the search documents current on this node (see the module docstring)."""

    name = "history-indexer"
    failure_message = "indexing conversations for search failed; retrying"

    def __init__(self, db: Database, clock: Clock, interval_s: float = 1.0) -> None:
        super().__init__(interval_s)
        self.db = db
        self.clock = clock
        self._full_at: float | None = None

    async def tick(self) -> None:
        now = self.clock.now()
        if self._full_at is None or time.monotonic() - self._full_at >= FULL_EVERY_S:
            written = await index_stale(self.db, now)
            self._full_at = time.monotonic()
            if written:
                log.info("indexed %d conversations for search", written)
            return
        await index_stale(self.db, now, since=now - timedelta(seconds=RECENT_S))
