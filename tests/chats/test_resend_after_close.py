"""A client id belongs to exactly one conversation, whenever its resend arrives.

Found by the chaos test on a busy machine (issue 12): a shopper's message was stored and its
ack lost with the socket; the reconnect took longer than the grace period, so the chat had
closed (outcome ``up``) by the time the widget resent the message. The welcome said
"closed", the socket took the resend for the first message of a new chat, and the message
was stored twice: at seq 4 of the shopper's chat and at seq 1 of a phantom conversation that
then rang the store. The server now recognises a client id this shopper already stored
before it starts anything (``chats.conversations.sent_before``).

The server runs in the test's event loop on a clock the test moves (tests/support/inprocess.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import func, select

from chat_server.store.database import open_database
from chat_server.store.models import Conversation, Message
from tests.support.clients import visitor
from tests.support.inprocess import InProcessServer

Serve = Callable[..., Awaitable[InProcessServer]]


async def _stored(server: InProcessServer, client_id: str) -> list[tuple[str, int]]:
    async with open_database(server.database_url) as db, db.sessions() as session:
        rows = await session.execute(
            select(Message.conversation_id, Message.seq).where(Message.client_id == client_id)
        )
        return [(conversation, seq) for conversation, seq in rows]


async def _conversations(server: InProcessServer) -> int:
    async with open_database(server.database_url) as db, db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Conversation)) or 0)


async def test_a_resend_after_the_chat_closed_starts_no_second_conversation(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 20, "pool_window": 25, "grace": 5})
    await server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    shopper, welcome = await visitor(server.ws_url, server.url)
    token = welcome["visitor"]
    await shopper.send({"type": "message", "client_id": "s-0", "body": "Is the RAV4 here?"})
    first = await shopper.expect_keeping("ack", client_id="s-0")
    conversation = first["conversation"]
    await shopper.send({"type": "message", "client_id": "s-1", "body": "In blue?"})
    second = await shopper.expect_keeping("ack", client_id="s-1")
    assert (second["conversation"], second["seq"]) == (conversation, 2)

    # The socket drops as if before that ack; the shopper is away past the grace period.
    await shopper.close()
    await server.advance(60)
    async with open_database(server.database_url) as db, db.sessions() as session:
        assert (await session.get_one(Conversation, conversation)).state == "closed"

    # The widget reconnects and resends what it never saw acked.
    shopper, welcome = await visitor(
        server.ws_url, server.url, token=token, conversation=conversation, last_seq=1
    )
    assert welcome["state"] == "closed"
    await shopper.send({"type": "message", "client_id": "s-1", "body": "In blue?"})
    again = await shopper.expect_keeping("ack", client_id="s-1")
    assert (again["conversation"], again["seq"]) == (conversation, 2)
    assert await _stored(server, "s-1") == [(conversation, 2)]
    assert await _conversations(server) == 1

    # Something new from the same shopper does start a new chat, as before.
    await shopper.send({"type": "message", "client_id": "s-2", "body": "Still there?"})
    fresh = await shopper.expect_keeping("ack", client_id="s-2")
    assert fresh["conversation"] != conversation and fresh["seq"] == 1
    assert await _conversations(server) == 2
    await shopper.close()
