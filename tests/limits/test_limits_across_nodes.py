"""Two real nodes sharing one database and one Redis: the limits hold in total, not per node.

It needs Redis, which both passes have (the broker contract runs on it too), and a database
both nodes share: the SQLite file in the embedded pass, PostgreSQL in the pg-redis pass.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.limits.helpers import conversation_count, shopper, stored_bodies
from tests.support.redis_server import RedisServer
from tests.support.server_process import ServerProcess

SLOW = {"store_window": 30, "pool_window": 30}
LIMITS = {
    "DEALER_CHAT_LIMIT_VISITOR_MESSAGES": "6/60s",
    "DEALER_CHAT_LIMIT_ADDRESS_CONVERSATIONS": "2/hour",
}


@pytest.fixture
def nodes(
    tmp_path: Path, database_url: str, redis_srv: RedisServer
) -> Iterator[list[ServerProcess]]:
    env = {"DEALER_CHAT_SECRET_KEY": secrets.token_urlsafe(48), **LIMITS}
    started = [
        ServerProcess(
            tmp_path / f"node{i}",
            database_url=database_url,
            broker_url=redis_srv.url,
            ladder=SLOW,
            env=env,
        )
        for i in (1, 2)
    ]
    try:
        for node in started:  # one after the other: each start migrates and seeds
            node.start(timeout=60)
        yield started
    finally:
        for node in started:
            node.stop()


async def test_a_visitor_alternating_nodes_gets_the_total_not_twice_it(
    nodes: list[ServerProcess],
) -> None:
    one, two = nodes
    origin = one.url  # the demo dealership allows the first node's origin
    # The test connects from loopback, a trusted proxy by default, so X-Forwarded-For names
    # the client: an address of its own, unseen by the session's shared Redis so far.
    address = f"198.51.100.{random.randrange(1, 255)}"
    tab1, welcome = await shopper(one.ws_url, origin, forwarded_for=address)
    tab2, _ = await shopper(two.ws_url, origin, token=welcome["visitor"], forwarded_for=address)
    await tab1.send({"type": "message", "client_id": "m1", "body": "message 1"})
    conversation = (await tab1.expect_keeping("ack", client_id="m1"))["conversation"]
    await tab2.expect("conversation_started", conversation=conversation)

    outcomes = []
    for n in range(2, 11):
        tab = tab2 if n % 2 == 0 else tab1  # node 2, node 1, node 2, ...
        await tab.send({"type": "message", "client_id": f"m{n}", "body": f"message {n}"})
        while True:
            frame = await tab.recv()
            if frame.get("type") == "ack" and frame["client_id"] == f"m{n}":
                outcomes.append("ack")
                break
            if frame.get("type") == "error" and frame.get("client_id") == f"m{n}":
                assert frame["code"] == "rate_limited" and frame["limit"] == "visitor"
                outcomes.append("refused")
                break
    # Six in all (m1..m6, three through each node), then refusals on both nodes.
    assert outcomes == ["ack"] * 5 + ["refused"] * 4
    assert await stored_bodies(one.database_url, conversation) == [
        f"message {n}" for n in range(1, 7)
    ]

    # New conversations per address: two an hour across both nodes (tab1 started one).
    second, _ = await shopper(two.ws_url, origin, forwarded_for=address)
    await second.send({"type": "message", "client_id": "c2", "body": "hello from node 2"})
    await second.expect_keeping("ack", client_id="c2")
    third, _ = await shopper(one.ws_url, origin, forwarded_for=address)
    await third.send({"type": "message", "client_id": "c3", "body": "hello from node 1"})
    refused = await third.expect("error", code="rate_limited")
    assert refused["limit"] == "conversations" and refused["client_id"] == "c3"
    assert await conversation_count(one.database_url) == 2
    for client in (tab1, tab2, second, third):
        await client.close()
