"""The opening most tests here share: the store open, Alex available, a shopper asks and
Alex is rung; ``answered`` has Alex accept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tests.support.clients import FrameClient, console, visitor
from tests.support.inprocess import InProcessServer

Serve = Callable[..., Awaitable[InProcessServer]]
ALEX = "alex@demo-motors.test"
FIRST = {"type": "message", "client_id": "s-0", "body": "Is the RAV4 here?"}


@dataclass
class StoreChat:
    server: InProcessServer
    alex: FrameClient
    shopper: FrameClient
    welcome: dict[str, Any]  # the shopper's first welcome (its token is ``welcome["visitor"]``)
    conversation: str


async def rung_chat(serve_inprocess: Serve, ladder: dict[str, float]) -> StoreChat:
    """A shopper's first message (``FIRST``) has started a chat and rung Alex."""
    server = await serve_inprocess(ladder)
    await server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    alex, _ = await console(server.url, ALEX)
    await alex.send({"type": "presence", "status": "available"})
    await alex.expect("presence", status="available")
    shopper, welcome = await visitor(server.ws_url, server.url)
    await shopper.send(FIRST)
    conversation = (await shopper.expect_keeping("ack", client_id="s-0"))["conversation"]
    await alex.expect("ring", conversation=conversation)
    return StoreChat(server, alex, shopper, welcome, conversation)


async def answered(chat: StoreChat) -> dict[str, Any]:
    """Alex accepts; the shopper's ``connected`` status."""
    await chat.alex.send({"type": "accept", "conversation": chat.conversation})
    return await chat.shopper.expect("status", state="connected")
