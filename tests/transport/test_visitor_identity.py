"""Who a shopper is, over the visitor socket: tokens kept across reconnects and tabs, and the
visitor row written by the first message rather than by opening the widget."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select

from chat_server.chats.visitors import token_hash
from chat_server.store.database import open_database
from chat_server.store.models import Conversation, Visitor
from tests.support.clients import new_client_id, visitor
from tests.support.inprocess import InProcessServer

SLOW = {"store_window": 30, "pool_window": 30}


@pytest.fixture
async def server(serve_inprocess: Callable[..., Awaitable[InProcessServer]]) -> InProcessServer:
    return await serve_inprocess(SLOW)


async def visitor_rows(server: InProcessServer) -> list[tuple[str, str, str]]:
    async with open_database(server.database_url) as db, db.sessions() as session:
        rows = await session.execute(select(Visitor.token_hash, Visitor.name, Visitor.email))
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def conversations(server: InProcessServer) -> int:
    async with open_database(server.database_url) as db, db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Conversation)) or 0)


async def test_hello_writes_no_row_and_the_first_message_does(server: InProcessServer) -> None:
    before = await visitor_rows(server)
    shopper, welcome = await visitor(server.ws_url, server.url)
    token = welcome["visitor"]
    await shopper.close()
    # Reconnecting with the token keeps it, though the shopper has no row yet.
    again, rewelcome = await visitor(server.ws_url, server.url, token=token)
    assert rewelcome["visitor"] == token and rewelcome["conversation"] is None
    assert await visitor_rows(server) == before

    await again.send({"type": "message", "client_id": "first", "body": "Is it still there?"})
    ack = await again.expect_keeping("ack", client_id="first")
    assert [r for r in await visitor_rows(server) if r not in before] == [
        (token_hash(token), "", "")
    ]
    await again.close()
    # Back again: the same identity, and the conversation it started.
    third, welcome3 = await visitor(server.ws_url, server.url, token=token)
    assert welcome3["visitor"] == token and welcome3["conversation"] == ack["conversation"]
    assert [m["body"] for m in welcome3["messages"]] == ["Is it still there?"]
    await third.close()


async def test_tabs_of_a_shopper_without_a_row_share_the_conversation(
    server: InProcessServer,
) -> None:
    tab_a, welcome = await visitor(server.ws_url, server.url)
    token = welcome["visitor"]
    tab_b, welcome_b = await visitor(server.ws_url, server.url, token=token)
    assert welcome_b["visitor"] == token
    await tab_a.send({"type": "message", "client_id": new_client_id(), "body": "hello from A"})
    ack = await tab_a.expect_keeping("ack")
    started = await tab_b.expect("conversation_started")
    assert started["conversation"] == ack["conversation"]
    # Tab B writes into the same conversation, and tab A sees it.
    await tab_b.send({"type": "message", "client_id": "from-b", "body": "and from B"})
    ack_b = await tab_b.expect_keeping("ack", client_id="from-b")
    assert ack_b["conversation"] == ack["conversation"] and ack_b["seq"] == 2
    assert (await tab_a.expect("message", seq=2))["body"] == "and from B"
    assert await conversations(server) == 1
    await tab_a.close()
    await tab_b.close()


async def test_tokens_it_never_minted_are_replaced(server: InProcessServer) -> None:
    for presented in ("made-up", "A" * 32):
        shopper, welcome = await visitor(server.ws_url, server.url, token=presented)
        assert welcome["visitor"] not in (presented, None)
        await shopper.close()


async def test_identify_before_any_message_writes_the_row(server: InProcessServer) -> None:
    shopper, welcome = await visitor(server.ws_url, server.url)
    token = welcome["visitor"]
    # A shopper's address (a reserved .test name would be refused, as email-validator does).
    ann = {"name": "Ann Lee", "email": "ann@lee.example"}
    await shopper.send({"type": "context", "visitor": ann})
    # A message after it proves the context frame was handled (frames are handled in order).
    await shopper.send({"type": "message", "client_id": "after", "body": "hi"})
    await shopper.expect_keeping("ack", client_id="after")
    rows = [r for r in await visitor_rows(server) if r[0] == token_hash(token)]
    assert rows == [(token_hash(token), "Ann Lee", "ann@lee.example")]
    await shopper.close()
