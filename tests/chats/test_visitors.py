"""Visitor tokens and lazy visitor rows (chat_server/chats/visitors.py), on the real database."""

from __future__ import annotations

import asyncio
import base64
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from chat_server import admin
from chat_server.chats.visitors import (
    LAST_SEEN_EVERY,
    ensure_visitor,
    mint_token,
    minted_here,
    recognise_visitor,
    token_hash,
)
from chat_server.store.database import Database
from chat_server.store.models import Visitor

SECRET = "test-secret"
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


async def two_dealerships(db: Database) -> tuple[int, int]:
    async with db.sessions() as session, session.begin():
        ids = []
        for slug in ("north-motors", "south-motors"):
            row = await admin.create_dealership(
                session, slug=slug, name=slug, time_zone="UTC", origins=["http://x.example"]
            )
            await session.flush()
            ids.append(row.id)
    return ids[0], ids[1]


async def count_visitors(db: Database) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Visitor)) or 0)


def test_minted_tokens_are_recognised_for_their_dealership_only() -> None:
    token = mint_token(SECRET, 1)
    assert len(token) == 32 and token.replace("-", "").replace("_", "").isalnum()
    assert minted_here(token, SECRET, 1)
    assert not minted_here(token, SECRET, 2)  # another dealership
    assert not minted_here(token, "another-secret", 1)  # another deployment
    assert mint_token(SECRET, 1) != token
    forged = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode()
    for bad in (
        forged,
        "short",
        "x" * 32,
        "!" * 32,
        token[:-1] + ("A" if token[-1] != "A" else "B"),
    ):
        assert not minted_here(bad, SECRET, 1), bad


async def test_recognising_writes_no_row_and_keeps_a_minted_token(database: Database) -> None:
    north, _ = await two_dealerships(database)
    async with database.sessions() as session, session.begin():
        visitor_id, token = await recognise_visitor(session, north, None, SECRET, T0)
        assert visitor_id is None and minted_here(token, SECRET, north)
        # The same token again (a reconnect, a second tab): kept, still no row.
        again_id, again = await recognise_visitor(session, north, token, SECRET, T0)
        assert (again_id, again) == (None, token)
        # A token this server never minted is replaced.
        _, replaced = await recognise_visitor(session, north, "made-up-token", SECRET, T0)
        assert replaced != "made-up-token" and minted_here(replaced, SECRET, north)
    assert await count_visitors(database) == 0


async def test_ensure_visitor_inserts_once_and_is_then_recognised(database: Database) -> None:
    north, south = await two_dealerships(database)
    token = mint_token(SECRET, north)
    async with database.sessions() as session, session.begin():
        first = await ensure_visitor(session, north, token, T0)
    async with database.sessions() as session, session.begin():
        assert await ensure_visitor(session, north, token, T0) == first
        assert await recognise_visitor(session, north, token, SECRET, T0) == (first, token)
        # Presented to another dealership, a shopper's token gets a fresh identity there.
        other_id, other = await recognise_visitor(session, south, token, SECRET, T0)
        assert other_id is None and other != token and minted_here(other, SECRET, south)
    async with database.sessions() as session:
        row = await session.scalar(select(Visitor).where(Visitor.id == first))
        assert row is not None and row.token_hash == token_hash(token)
        assert row.dealership_id == north and row.name == ""
    assert await count_visitors(database) == 1


async def test_first_messages_racing_from_two_tabs_share_one_row(database: Database) -> None:
    north, _ = await two_dealerships(database)
    token = mint_token(SECRET, north)

    async def tab() -> int:
        async with database.sessions() as session, session.begin():
            return await ensure_visitor(session, north, token, T0)

    ids = await asyncio.gather(*(tab() for _ in range(5)))
    assert len(set(ids)) == 1
    assert await count_visitors(database) == 1


async def test_last_seen_is_refreshed_only_when_old(database: Database) -> None:
    north, _ = await two_dealerships(database)
    token = mint_token(SECRET, north)
    async with database.sessions() as session, session.begin():
        visitor_id = await ensure_visitor(session, north, token, T0)

    async def last_seen() -> datetime:
        async with database.sessions() as session:
            value = await session.scalar(
                select(Visitor.last_seen_at).where(Visitor.id == visitor_id)
            )
            assert value is not None
            return value

    for at, expected in (
        (T0 + LAST_SEEN_EVERY - timedelta(seconds=1), T0),  # recent enough: no write
        (T0 + LAST_SEEN_EVERY, T0 + LAST_SEEN_EVERY),
    ):
        async with database.sessions() as session, session.begin():
            await recognise_visitor(session, north, token, SECRET, at)
        assert await last_seen() == expected
