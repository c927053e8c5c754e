"""Shoppers are known by a random bearer token the widget keeps; only its hash is stored.

The row is written lazily. Opening the widget (``hello``) only mints a token; the shopper's
row is inserted by their first message (or ``identify``), so the many sockets that never say
anything cost no write. A minted token carries a MAC under the server's secret key, so a
returning shopper whose token has no row yet keeps it (the same identity across reconnects
and tabs), while a token this deployment never minted for this dealership is replaced, as
before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.store.models import Conversation, Visitor

TOKEN_BYTES = 24  # 32 url-safe characters, as before the MAC
NONCE_BYTES = 16
MAC_DOMAIN = b"dealer-chat visitor token\x00"
# last_seen_at is refreshed on reconnect at most this often: a write per reconnect would
# make a reconnect storm a storm of write transactions.
LAST_SEEN_EVERY = timedelta(minutes=15)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def visitor_key(token: str) -> str:
    """The shopper's name on the broker (``chats.channels.visitor_channel``): half the hash."""
    return token_hash(token)[:32]


def _mac(secret: str, dealership_id: int, nonce: bytes) -> bytes:
    message = MAC_DOMAIN + str(dealership_id).encode() + b"\x00" + nonce
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()[: TOKEN_BYTES - NONCE_BYTES]


def mint_token(secret: str, dealership_id: int) -> str:
    """A new visitor token for one dealership: a random nonce and its MAC, 32 characters."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return base64.urlsafe_b64encode(nonce + _mac(secret, dealership_id, nonce)).decode()


def minted_here(token: str, secret: str, dealership_id: int) -> bool:
    """Whether ``token`` was minted for this dealership with ``secret`` (it may have no row)."""
    if len(token) != 32:
        return False
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except (binascii.Error, ValueError):
        return False
    nonce, mac = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    return len(raw) == TOKEN_BYTES and hmac.compare_digest(mac, _mac(secret, dealership_id, nonce))


async def recognise_visitor(
    session: AsyncSession, dealership_id: int, token: str | None, secret: str, at: datetime
) -> tuple[int | None, str]:
    """``(visitor id or None, token)`` for the token a hello presents; writes no row.

    The known visitor for ``token``; else, when this server minted it, the same token with
    no row yet; else (unknown, forged, or another dealership's shopper) a fresh token.
    Refreshes ``last_seen_at`` when it is older than ``LAST_SEEN_EVERY``.
    """
    if token and len(token) <= 64:
        row = (
            await session.execute(
                select(Visitor.id, Visitor.dealership_id, Visitor.last_seen_at).where(
                    Visitor.token_hash == token_hash(token)
                )
            )
        ).first()
        if row is None:
            if minted_here(token, secret, dealership_id):
                return None, token
        elif row.dealership_id == dealership_id:
            if at - row.last_seen_at >= LAST_SEEN_EVERY:
                await session.execute(
                    update(Visitor).where(Visitor.id == row.id).values(last_seen_at=at)
                )
            return row.id, token
    return None, mint_token(secret, dealership_id)


async def ensure_visitor(
    session: AsyncSession, dealership_id: int, token: str, at: datetime
) -> int:
    """The visitor id for ``token``, inserting its row if this is its first need of one.

    Two tabs of a new shopper may send their first messages at once: the insert does nothing
    on a conflict and both read back the one row. ``token`` must have passed
    :func:`recognise_visitor` for ``dealership_id``; a row of another dealership raises
    ``LookupError`` (it cannot happen with tokens minted per dealership).
    """
    hashed = token_hash(token)
    mine = select(Visitor.id, Visitor.dealership_id).where(Visitor.token_hash == hashed)
    found = (await session.execute(mine)).first()
    if found is None:
        values: dict[str, Any] = {
            "dealership_id": dealership_id,
            "token_hash": hashed,
            "created_at": at,
            "last_seen_at": at,
            "name": "",
            "email": "",
            "phone": "",
        }
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        await session.execute(
            insert(Visitor).values(**values).on_conflict_do_nothing(index_elements=["token_hash"])
        )
        found = (await session.execute(mine)).one()
    if found.dealership_id != dealership_id:
        raise LookupError("this visitor token belongs to another dealership")
    return int(found.id)


async def pick_conversation(
    session: AsyncSession, visitor_id: int, wanted: str | None
) -> Conversation | None:
    """The conversation a (re)connecting widget should show.

    The one it names, if it is this visitor's; otherwise the visitor's open one, so a second
    tab joins the conversation the first tab started.
    """
    if wanted:
        row = await session.get(Conversation, wanted)
        if row is not None and row.visitor_id == visitor_id:
            return row
    return await session.scalar(
        select(Conversation)
        .where(Conversation.visitor_id == visitor_id, Conversation.state != "closed")
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )
