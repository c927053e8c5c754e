"""After frames may have been lost, a shopper's socket catches up in place.

A node starting (it may replace one killed between a commit and its publish) or a Redis
outage tells every socket to resync. Closing every shopper's socket made each one reconnect,
be welcomed and step the ladder twice (departed, arrived): after each node restart in the
chaos test hundreds did at once, and the storm starved the nodes. A shopper in an open chat
now reads what it missed (messages and the current status) from the database and stays
connected; a console, whose rings and chats are more than one conversation, reconnects.
"""

from __future__ import annotations

import asyncio

from websockets.exceptions import ConnectionClosed

from chat_server.chats.ladder_shell import advance
from chat_server.chats.messages import append_message
from chat_server.ladder.types import Close
from tests.chats.store_chat import Serve, answered, rung_chat


async def test_a_shopper_catches_up_in_place_and_a_console_reconnects(
    serve_inprocess: Serve,
) -> None:
    chat = await rung_chat(serve_inprocess, {"store_window": 30, "pool_window": 30})
    await answered(chat)
    server, alex, shopper, conversation = chat.server, chat.alex, chat.shopper, chat.conversation

    # A reply committed by a node that died before publishing it, then the resync a node
    # start announces.
    async with server.runtime.db.sessions() as session, session.begin():
        await append_message(
            session, conversation, author_kind="staff", author_id=None,
            author_name="Alex Rivera", body="Yes, in blue.", client_id="a-1",
            at=server.clock.now(),
        )  # fmt: skip
    hub = server.runtime.hub
    hub.resync()
    reply = await shopper.expect("message", seq=2)
    assert reply["body"] == "Yes, in blue."
    # The console was closed for a fresh welcome (1012); the shopper's socket stays open.
    assert await _closed_code(alex) == 1012
    await shopper.send({"type": "message", "client_id": "s-1", "body": "Great, thanks"})
    assert (await shopper.expect("ack", client_id="s-1"))["seq"] == 3

    # Now the close is lost the same way: the shopper is told the chat closed, then its
    # socket reconnects (it follows no open chat, and a chat another tab started meanwhile
    # would be known only to a welcome).
    publish = hub.publish

    async def lost(channel: str, message: str) -> None:
        return None

    hub.publish = lost  # type: ignore[method-assign]
    try:
        await advance(server.runtime, conversation, lambda now, _r: Close(now))
    finally:
        hub.publish = publish  # type: ignore[method-assign]
    hub.resync()
    closing = await shopper.expect("status")
    assert (closing["state"], closing["last_seq"]) == ("closed", 3)
    assert await _closed_code(shopper) == 1012


async def _closed_code(client: object) -> int | None:
    socket = client.socket  # type: ignore[attr-defined]
    try:
        async with asyncio.timeout(10):
            while True:
                await socket.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
