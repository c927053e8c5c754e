"""Frames that reach a socket late, or never, must not cost anyone a message.

Between nodes a frame can be late (a publisher backlog) or lost (a node killed between its
commit and its publish). The database is the record; these tests check the three places where
the server reconciles with it:

* a ``conversation`` frame handing a chat to its owner carries the transcript as it is on
  delivery, not as it was when the accept committed;
* a resent message is published again, and every socket drops the copy it already has;
* a ``status`` (or a console's closing ``conversation`` frame) first sends the messages the
  socket missed up to the frame's ``last_seq``.

Late and resent frames are observed or injected on Redis, the transport between nodes, so
these tests run on a real ``redis-server`` in both passes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from chat_server.chats.messages import append_message
from chat_server.delivery.channels import conversation_channel, operator_channel
from chat_server.delivery.fanout import encode
from chat_server.store.database import open_database
from tests.support.clients import FrameClient
from tests.support.inprocess import InProcessServer
from tests.support.redis_server import RedisServer
from tests.transport.test_console_socket import (
    ALEX,
    Serve,
    available,
    open_store,
    shopper_says,
)


@pytest.fixture
def broker_url(redis_srv: RedisServer) -> str:
    return redis_srv.url


async def _accepted(server: InProcessServer) -> tuple[FrameClient, FrameClient, dict, int]:
    alex = await available(ALEX, server)
    shopper, conversation = await shopper_says(server, "Is the Tacoma still there?")
    await alex.expect("ring", conversation=conversation)
    await alex.send({"type": "accept", "conversation": conversation})
    owned = await alex.expect("conversation", id=conversation)
    assert [m["seq"] for m in owned["messages"]] == [1]
    return alex, shopper, owned, owned["owner"]["id"]


async def test_a_late_hand_over_frame_carries_the_transcript_as_it_is_now(
    serve_inprocess: Serve, redis_srv: RedisServer
) -> None:
    server = await serve_inprocess({"store_window": 30, "pool_window": 30})
    await open_store(server)
    alex, shopper, owned, alex_id = await _accepted(server)
    conversation = owned["id"]
    await alex.send(
        {"type": "message", "conversation": conversation, "client_id": "a1", "body": "Yes!"}
    )
    await alex.expect_keeping("ack", client_id="a1")
    await alex.expect("message", seq=2)

    # The accept's frame again, as a node with a backlog would deliver it: transcript [1].
    async with Redis.from_url(redis_srv.url) as redis:
        await redis.publish(operator_channel(alex_id), encode(owned))
    late = await alex.expect("conversation", id=conversation)
    assert [m["seq"] for m in late["messages"]] == [1, 2]
    assert late["last_seq"] == 2

    # Live delivery goes on after the fresh transcript, each message once.
    await shopper.send({"type": "message", "client_id": "s2", "body": "Can I see it today?"})
    heard = await alex.expect("message")
    assert heard["seq"] == 3 and heard["body"] == "Can I see it today?"
    for client in (alex, shopper):
        await client.close()


async def test_a_resent_message_is_published_again_and_delivered_once(
    serve_inprocess: Serve, redis_srv: RedisServer
) -> None:
    """A node may store a message and die before publishing it; the resend publishes it.

    Sockets that already have it drop the copy by sequence number, so nobody sees it twice.
    """
    server = await serve_inprocess({"store_window": 30, "pool_window": 30})
    await open_store(server)
    alex, shopper, owned, _ = await _accepted(server)
    conversation = owned["id"]
    reply = {"type": "message", "conversation": conversation, "client_id": "a1", "body": "Yes"}
    await alex.send(reply)
    assert (await alex.expect_keeping("ack", client_id="a1"))["seq"] == 2
    await alex.expect("message", seq=2)
    await shopper.expect("message", seq=2)

    async with Redis.from_url(redis_srv.url, decode_responses=True) as redis:
        pubsub = redis.pubsub()
        await pubsub.subscribe(conversation_channel(conversation))
        await alex.send(reply)  # the ack was lost, say: the console sends it again
        assert (await alex.expect_keeping("ack", client_id="a1"))["seq"] == 2
        published = None
        for _ in range(50):
            item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if item is not None:
                published = json.loads(item["data"])
                break
        await pubsub.aclose()
    assert published is not None, "the resend was not published"
    assert (published["type"], published["seq"], published["body"]) == ("message", 2, "Yes")

    await shopper.send({"type": "message", "client_id": "s2", "body": "Great"})
    # The next message either side sees is seq 3: the republished seq 2 was dropped as seen.
    assert (await shopper.expect("message"))["seq"] == 3
    assert (await alex.expect("message"))["seq"] == 3
    for client in (alex, shopper):
        await client.close()


async def _frames_until(client: FrameClient, kind: str, **fields: object) -> list[dict]:
    """Every frame up to and including the first ``kind`` whose fields match."""
    frames = []
    while True:
        frame = await client.expect_any()
        frames.append(frame)
        if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
            return frames


async def test_a_message_never_published_arrives_before_the_close(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 30, "pool_window": 30})
    await open_store(server)
    alex, shopper, owned, alex_id = await _accepted(server)
    conversation = owned["id"]
    # Stored and committed, never published: what a node killed between the two leaves.
    async with (
        open_database(server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        lost, _ = await append_message(
            session,
            conversation,
            author_kind="staff",
            author_id=alex_id,
            author_name="Alex Rivera",
            body="Here is the window sticker.",
            client_id="lost-1",
            at=datetime.now(UTC),
        )
    assert lost.seq == 2

    await alex.send({"type": "close", "conversation": conversation})
    seen_by_shopper = await _frames_until(shopper, "status", state="closed")
    messages = [
        (f["seq"], f["author"]["kind"], f["body"])
        for f in seen_by_shopper
        if f["type"] == "message"
    ]
    # The lost message, then the closing message the shopper is told the chat ended with.
    assert messages[-2] == (2, "staff", "Here is the window sticker.")
    assert messages[-1][:2] == (3, "system")
    assert seen_by_shopper[-1]["last_seq"] == 3
    seen_by_owner = await _frames_until(alex, "conversation", id=conversation, state="closed")
    assert [f["seq"] for f in seen_by_owner if f["type"] == "message"] == [2, 3]
    for client in (alex, shopper):
        await client.close()
