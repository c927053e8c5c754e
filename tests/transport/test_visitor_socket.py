"""The visitor socket on an in-process server: acks after storage, resume, errors, origins."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat_server.store.database import open_database
from chat_server.store.models import Message
from tests.support.clients import new_client_id, visitor
from tests.support.inprocess import InProcessServer

SLOW = {"store_window": 30, "pool_window": 30}


@pytest.fixture
async def server(serve_inprocess: Callable[..., Awaitable[InProcessServer]]) -> InProcessServer:
    return await serve_inprocess(SLOW)


async def stored_messages(server: InProcessServer, conversation: str) -> list[tuple[int, str]]:
    async with open_database(server.database_url) as db, db.sessions() as session:
        rows = await session.execute(
            select(Message.seq, Message.body)
            .where(Message.conversation_id == conversation)
            .order_by(Message.seq)
        )
        return [(seq, body) for seq, body in rows.all()]


async def test_ack_means_stored_and_resend_is_idempotent(server: InProcessServer) -> None:
    shopper, welcome = await visitor(server.ws_url, server.url)
    assert welcome["conversation"] is None and welcome["visitor"]
    client_id = new_client_id()
    await shopper.send({"type": "message", "client_id": client_id, "body": "Is the RAV4 here?"})
    ack = await shopper.expect_keeping("ack", client_id=client_id)
    assert ack["seq"] == 1
    assert await stored_messages(server, ack["conversation"]) == [(1, "Is the RAV4 here?")]
    # The same client id again (a lost ack, a resend): same seq, nothing stored twice.
    await shopper.send({"type": "message", "client_id": client_id, "body": "Is the RAV4 here?"})
    again = await shopper.expect_keeping("ack", client_id=client_id)
    assert again["seq"] == 1
    assert len(await stored_messages(server, ack["conversation"])) == 1
    await shopper.close()


async def test_resume_replays_exactly_what_came_after_last_seq(server: InProcessServer) -> None:
    shopper, welcome = await visitor(server.ws_url, server.url)
    token = welcome["visitor"]
    conversation = None
    for n in range(1, 8):
        await shopper.send({"type": "message", "client_id": f"m{n}", "body": f"message {n}"})
        ack = await shopper.expect_keeping("ack", client_id=f"m{n}")
        conversation = ack["conversation"]
        assert ack["seq"] == n
    await shopper.close()

    total = 7
    for last_seq in (0, 3, 7):
        again, welcome = await visitor(
            server.ws_url, server.url, token=token, conversation=conversation, last_seq=last_seq
        )
        assert welcome["visitor"] == token
        assert welcome["conversation"] == conversation
        seqs = [m["seq"] for m in welcome["messages"]]
        assert seqs == list(range(last_seq + 1, total + 1)), (last_seq, seqs)
        # Live messages continue the sequence with no duplicate of the replay.
        await again.send({"type": "message", "client_id": f"live{last_seq}", "body": "more"})
        live = await again.expect("message")
        total += 1
        assert live["seq"] == total
        await again.close()


async def test_malformed_frames_get_errors_and_the_socket_stays_open(
    server: InProcessServer,
) -> None:
    shopper, _ = await visitor(server.ws_url, server.url)
    bad_frames = [
        ("not json", "bad_frame"),
        ("[1, 2]", "bad_frame"),
        (json.dumps({"no": "type"}), "bad_frame"),
        (json.dumps({"type": "launch_rockets"}), "unknown_type"),
        (json.dumps({"type": "message", "body": "hi"}), "bad_field"),
        (json.dumps({"type": "message", "client_id": "x", "body": 5}), "bad_field"),
        (json.dumps({"type": "message", "client_id": "x", "body": "a" * 4001}), "too_long"),
        (json.dumps({"type": "contact", "name": "Ann"}), "bad_field"),
        (json.dumps({"type": "typing"}), "bad_field"),
    ]
    for text, code in bad_frames:
        await shopper.socket.send(text)
        error = await shopper.expect("error")
        assert error["code"] == code, (text, error)
    await shopper.send({"type": "message", "client_id": "ok", "body": "still here"})
    assert (await shopper.expect_keeping("ack", client_id="ok"))["seq"] == 1
    await shopper.close()


async def test_foreign_origin_and_unknown_site_are_refused(server: InProcessServer) -> None:
    for site, origin in (("demo-motors-site", "http://evil.example"), ("nope", server.url)):
        async with connect(f"{server.ws_url}/ws/visitor?site={site}", origin=origin) as socket:  # type: ignore[arg-type]
            with pytest.raises(ConnectionClosed) as closed:
                await socket.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_oversized_frame_closes_with_1009(server: InProcessServer) -> None:
    shopper, _ = await visitor(server.ws_url, server.url)
    with pytest.raises(ConnectionClosed) as closed:
        await shopper.socket.send("x" * (70 * 1024))
        await shopper.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
