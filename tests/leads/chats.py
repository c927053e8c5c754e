"""Driving real chats to a lead, and waiting on the store, for the lead and API tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from chat_server.store.database import open_database
from chat_server.store.models import Conversation
from tests.support.clients import new_client_id, visitor
from tests.support.inprocess import InProcessServer
from tests.support.server_process import ServerProcess

# A short grace too: a shopper who closes the tab of a captured chat ends it (``missed``) soon.
FAST_LADDER = {"store_window": 0.3, "pool_window": 0.3, "grace": 1}
# The default store and pool windows (20 s + 25 s) and then some: what ``unanswered_chat``
# lets pass on an in-process server's clock.
LADDER_SPAN_S = 60.0
# The default capture window: how long a captured chat stays open after the details.
CAPTURE_WINDOW_S = 300.0
FAST_RETRIES = {
    "DEALER_CHAT_DELIVERY_RETRY_FIRST": "0.3",
    "DEALER_CHAT_DELIVERY_RETRY_CAP": "0.6",
    "DEALER_CHAT_DELIVERY_POLL": "0.1",
}


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0) -> Any:
    """Poll ``check`` until it returns something truthy (a protocol wait, not a timing test)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > end:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.1)


async def unanswered_chat(server: ServerProcess | InProcessServer, contact: dict[str, Any]) -> str:
    """A shopper nobody answers leaves contact details: the lead at once, then the ``missed``
    outcome once the capture window passes (in-process) or the shopper's tab closes.

    On an in-process server the store and pool windows pass by advancing its clock (up to
    ``LADDER_SPAN_S``); a real server's must be short (``FAST_LADDER``).
    """
    shopper, _ = await visitor(server.ws_url, server.url)
    await shopper.send({"type": "message", "client_id": new_client_id(), "body": "Is it there?"})
    conversation = (await shopper.expect_keeping("ack"))["conversation"]
    if isinstance(server, InProcessServer):
        await server.advance(LADDER_SPAN_S)
    await shopper.expect("status", state="lead_capture", timeout=10)
    await shopper.send({"type": "contact", "consent": True, **contact})
    await shopper.expect_keeping("contact_saved")
    # The lead goes out with the details; the chat stays open (captured) for the capture
    # window, so the shopper's next word continues it. In-process, let the window pass.
    await shopper.expect("status", state="captured")
    if isinstance(server, InProcessServer):
        await server.advance(CAPTURE_WINDOW_S)
        await shopper.expect("status", state="closed")
        await shopper.close()
        return conversation
    # A real server: the shopper closes the tab, and the grace period ends it. Waited for
    # only when that is short (FAST_LADDER): other callers need the lead, not the outcome.
    await shopper.close()
    if float(server.ladder.get("grace", 60)) > 5:
        return conversation

    async def closed() -> bool:
        return any(
            row.id == conversation and row.outcome is not None
            for row in await rows(server, Conversation)
        )

    await eventually(closed)
    return conversation


async def rows(server: ServerProcess | InProcessServer, model: type) -> list[Any]:
    async with open_database(server.database_url) as db, db.sessions() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


DANA = {
    "name": "Dana Shopper",
    "phone": "(312) 555-0100",
    "email": "dana@example.com",
    "preferred_time": "evening",
}
