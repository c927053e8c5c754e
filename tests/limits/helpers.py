"""Shopper sockets with chosen proxy headers, and reading what the database stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat_server.demo_world import DEMO_SITE_KEY
from chat_server.store.database import open_database
from chat_server.store.models import Conversation, Message
from tests.support.clients import FrameClient


def hello(token: str | None = None, conversation: str | None = None) -> dict[str, Any]:
    page = {"url": "/", "title": "limits", "referrer": ""}
    return {
        "type": "hello",
        "visitor": token,
        "conversation": conversation,
        "last_seq": 0,
        "page": page,
        "vehicle": None,
    }


async def shopper(
    ws_url: str,
    origin: str,
    *,
    forwarded_for: str | None = None,
    token: str | None = None,
) -> tuple[FrameClient, dict[str, Any]]:
    """A welcomed visitor socket, optionally claiming to come from ``forwarded_for``."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
    socket = await connect(
        f"{ws_url}/ws/visitor?site={DEMO_SITE_KEY}",
        origin=origin,  # type: ignore[arg-type]
        additional_headers=headers,
    )
    client = FrameClient(socket)
    await client.send(hello(token))
    return client, await client.expect("welcome")


async def refused_with(
    ws_url: str, origin: str, *, forwarded_for: str | None = None
) -> tuple[int, str]:
    """Open a visitor socket that the server is expected to close; its close code and reason."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
    socket = await connect(
        f"{ws_url}/ws/visitor?site={DEMO_SITE_KEY}",
        origin=origin,  # type: ignore[arg-type]
        additional_headers=headers,
    )
    try:
        await socket.send('{"type":"hello","visitor":null,"conversation":null,"last_seq":0}')
        while True:
            frame = await socket.recv(decode=True)
            assert '"welcome"' not in frame, "the socket was welcomed, not refused"
    except ConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code, closed.rcvd.reason
    finally:
        await socket.close()


async def stored_bodies(database_url: str, conversation: str) -> list[str]:
    """The shopper's messages stored in ``conversation``, in order."""
    async with open_database(database_url) as db, db.sessions() as session:
        rows = await session.scalars(
            select(Message.body)
            .where(Message.conversation_id == conversation, Message.author_kind == "visitor")
            .order_by(Message.seq)
        )
        return list(rows)


async def conversation_count(database_url: str) -> int:
    async with open_database(database_url) as db, db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Conversation)) or 0)
