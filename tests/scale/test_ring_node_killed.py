"""``kill -9`` of the node that set a conversation's ring deadline: the ladder still climbs.

The shopper's first message reaches node 0, which starts the store ring and stores its
deadline (store window 3 s) in the database. Node 0 is then killed with SIGKILL before the
deadline. Node 1 must fire it: the pool ring reaches a receptionist's console on node 1 within
the stored deadline + 2 s, and a shopper who comes back (through node 1) sees ``ringing_pool``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from chat_server.chats.ladder_shell import deadline_key
from tests.scale.cluster import Cluster, cluster, seed_operators
from tests.scale.failure_kit import NO_VISITOR_LIMIT, deadline_of, open_console
from tests.support.clients import visitor
from tests.support.postgres_server import PostgresServer
from tests.support.redis_server import RedisServer

STORE_WINDOW_S = 3.0
LADDER = {"store_window": STORE_WINDOW_S, "pool_window": 20, "grace": 30}
SLACK_S = 2.0


async def _drive(world: Cluster, figures: Callable[[str], None]) -> None:
    sales, bdc = await seed_operators(world.database_url, salespeople=1, receptionists=1)
    node0, node1 = world.nodes
    salesperson = await open_console(node1.url, sales)
    receptionist = await open_console(node1.url, bdc)

    shopper, welcome = await visitor(node0.ws_url, world.nginx.url)
    await shopper.send({"type": "message", "client_id": "first", "body": "Is the RAV4 here?"})
    conv = (await shopper.expect_keeping("ack", client_id="first"))["conversation"]
    await shopper.expect("status", conversation=conv, state="ringing_store")
    store_ring = await salesperson.expect("ring", conversation=conv)
    fire_at = await deadline_of(world.database_url, deadline_key(conv))
    assert fire_at is not None, "the store ring stored no deadline"
    expires_at = datetime.fromisoformat(store_ring["expires_at"]).timestamp()
    assert abs(expires_at - fire_at) < 0.01, "the ring and the stored deadline disagree"

    world.kill(0)
    killed_before_s = fire_at - time.time()
    assert killed_before_s > 0.5, "node 0 died too late: the deadline may have fired already"

    pool_ring = await receptionist.expect("ring", conversation=conv, timeout=STORE_WINDOW_S + 10)
    delay = time.time() - fire_at
    assert -0.05 <= delay <= SLACK_S, f"pool ring {delay:.2f} s after the stored deadline"

    # The shopper's socket died with node 0; coming back through node 1 shows the pool ring.
    back, resumed = await visitor(
        node1.ws_url,
        world.nginx.url,
        token=welcome["visitor"],
        conversation=conv,
        last_seq=1,
    )
    assert resumed["conversation"] == conv
    assert resumed["state"] == "ringing_pool", resumed["state"]
    figures(
        f"store window {STORE_WINDOW_S:.0f} s; node holding the deadline killed "
        f"{killed_before_s:.2f} s before it; pool ring reached the receptionist on the other "
        f"node {delay:.2f} s after the stored deadline (bound {SLACK_S:.0f} s)"
    )
    for client in (back, salesperson, receptionist, shopper):
        await client.close()
    assert pool_ring["conversation"] == conv


def test_kill_of_the_node_that_set_a_ring_deadline_still_escalates(
    tmp_path: Path, pg: PostgresServer, redis_srv: RedisServer, figures: Callable[[str], None]
) -> None:
    database_url = pg.create_database("ring_node_killed")
    with cluster(tmp_path, database_url, redis_srv.url, 2, LADDER, env=NO_VISITOR_LIMIT) as world:
        asyncio.run(_drive(world, figures))
