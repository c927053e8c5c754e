"""Redis restarts while a shopper (node 0) and a salesperson (node 1) talk without pause.

Pub/sub is fire-and-forget, so frames published during the outage are lost in transit; the
database is the record. After Redis accepts connections again, a new message must reach the
other node's participant within 5 s, without restarting any node, and every acked message
must in the end have reached both sides exactly once (live, or replayed after a resync).
A send the outage left unanswered is resent with the same ``client_id``, as the widget does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.scale.cluster import Cluster, cluster, seed_operators
from tests.scale.failure_kit import (
    NO_VISITOR_LIMIT,
    Chat,
    Outcome,
    Peer,
    assert_gapless_sessions,
    connected_chat,
    open_console,
    reconnect_console,
    reconnect_shopper,
    stored_messages,
)
from tests.support.postgres_server import PostgresServer
from tests.support.redis_server import RedisServer

LADDER = {"store_window": 60, "pool_window": 60, "grace": 60}
OUTAGE_S = 2.0
RESUME_BOUND_S = 5.0
AFTER_S = 8.0  # keep talking this long after Redis is back
ANSWER_BOUND_S = 12.0

Ledger = list[tuple[str, str, Outcome, float]]  # client_id, body, final outcome, first sent at


async def _talk(
    peer: Peer,
    make: Callable[[str, str], dict[str, Any]],
    reconnect: Callable[[], Awaitable[None]],
    ledger: Ledger,
    stop: asyncio.Event,
    counts: dict[str, int],
) -> None:
    """Send a fresh message every 0.15 s; reconnect when the socket closes, resend if unanswered."""
    n = 0
    while not stop.is_set():
        client_id, body = f"{peer.label}-{n}", f"{peer.label} line {n}"
        n += 1
        first_sent = time.monotonic()
        while True:
            if peer.closed.is_set():
                counts["reconnects"] += 1
                await reconnect()
            outcome = await peer.send(make(client_id, body), ANSWER_BOUND_S)
            if outcome.kind != "lost":
                break
            counts["resends"] += 1
        ledger.append((client_id, body, outcome, first_sent))
        await asyncio.sleep(0.15)


async def _drive(world: Cluster, redis: RedisServer, figures: Callable[[str], None]) -> None:
    (email,) = await seed_operators(world.database_url, salespeople=1, receptionists=0)
    node0, node1 = world.nodes
    origin = world.nginx.url
    chat: Chat = await connected_chat(node0.ws_url, origin, await open_console(node1.url, email))
    conv = chat.conversation

    def from_shopper(client_id: str, body: str) -> dict[str, Any]:
        return {"type": "message", "client_id": client_id, "body": body}

    def from_staff(client_id: str, body: str) -> dict[str, Any]:
        return {"type": "message", "conversation": conv, "client_id": client_id, "body": body}

    async def shopper_back() -> None:
        await reconnect_shopper(chat, node0.ws_url, origin, timeout=15)

    async def console_back() -> None:
        await reconnect_console(chat, node1.url, email, timeout=15)

    ledgers: dict[str, Ledger] = {"shopper": [], "operator": []}
    counts = {"reconnects": 0, "resends": 0}
    stop = asyncio.Event()
    talkers = [
        asyncio.create_task(
            _talk(chat.shopper, from_shopper, shopper_back, ledgers["shopper"], stop, counts)
        ),
        asyncio.create_task(
            _talk(chat.operator, from_staff, console_back, ledgers["operator"], stop, counts)
        ),
    ]
    await asyncio.sleep(1.5)
    await asyncio.to_thread(redis.stop)
    await asyncio.sleep(OUTAGE_S)
    await asyncio.to_thread(redis.start)
    up_at = time.monotonic()  # Redis answers PING again
    await asyncio.sleep(AFTER_S)
    stop.set()
    await asyncio.gather(*talkers)
    # Whatever a closed socket missed comes back on its reconnect's welcome.
    for peer, back in ((chat.shopper, shopper_back), (chat.operator, console_back)):
        if peer.closed.is_set():
            counts["reconnects"] += 1
            await back()

    everything = [entry for ledger in ledgers.values() for entry in ledger]
    kinds = {outcome.kind for _, _, outcome, _ in everything}
    assert kinds <= {"acked", "refused"}, kinds
    refused = [(cid, o.code) for cid, _, o, _ in everything if o.kind == "refused"]
    assert {code for _, code in refused} <= {"unavailable"}, refused
    stored = await stored_messages(world.database_url, conv)
    count = len(stored)
    by_client = {client_id: (seq, body) for seq, client_id, body in stored}
    assert len(by_client) == count, "a client_id was stored twice"
    acked = [(cid, o.seq, body) for cid, body, o, _ in everything if o.kind == "acked"]
    for client_id, seq, body in acked:
        assert by_client.get(client_id) == (seq, body), client_id
    for client_id, _ in refused:
        assert client_id not in by_client, f"{client_id} refused but stored"

    # Delivery: the shopper resumes after its last seq, so across all its sockets it saw each
    # message exactly once, in order; each console socket saw a gapless run, and together
    # everything. Give the last frames a moment to land.
    end = time.monotonic() + 10
    while time.monotonic() < end and (
        len(chat.shopper.seqs()) < count or set(chat.operator.seqs()) != set(range(1, count + 1))
    ):
        await asyncio.sleep(0.05)
    assert chat.shopper.seqs() == list(range(1, count + 1)), chat.shopper.seqs()
    assert_gapless_sessions(chat.operator)
    assert set(chat.operator.seqs()) == set(range(1, count + 1))

    # Resume: the first message sent after Redis came back reaches the other side within 5 s.
    other = {"shopper": chat.operator, "operator": chat.shopper}
    seq_of = {cid: seq for cid, seq, _ in acked}
    resume = []
    for side, ledger in ledgers.items():
        after = [cid for cid, _, o, sent in ledger if sent >= up_at and o.kind == "acked"]
        assert after, f"{side}: nothing acked after Redis came back"
        arrival = other[side].first_arrival(seq_of[after[0]])
        assert arrival is not None
        resume.append(arrival.at - up_at)
    assert max(resume) <= RESUME_BOUND_S, f"delivery resumed {max(resume):.2f} s after Redis"
    # And afterwards it is live again: late messages arrive within a second of their send.
    late = [
        (cid, sent, side)
        for side, ledger in ledgers.items()
        for cid, _, o, sent in ledger
        if sent >= up_at + RESUME_BOUND_S and o.kind == "acked"
    ]
    assert late
    lag = [other[side].first_arrival(seq_of[cid]).at - sent for cid, sent, side in late]  # type: ignore[union-attr]
    assert max(lag) < 1.0, f"delivery still lagging {max(lag):.2f} s after resuming"

    codes = sorted({c for p in (chat.shopper, chat.operator) for c in p.close_codes if c})
    figures(
        f"Redis down {OUTAGE_S:.0f} s: {len(everything)} sends, {len(acked)} acked, "
        f"{len(refused)} refused; {counts['reconnects']} reconnects (close codes {codes}), "
        f"{counts['resends']} resends; first message sent after Redis accepted again delivered "
        f"after {resume[0]:.2f} s (shopper->operator), {resume[1]:.2f} s (operator->shopper); "
        f"from then on max lag {max(lag) * 1000:.0f} ms"
    )
    await chat.shopper.close()
    await chat.operator.close()


def test_redis_restart_resumes_delivery_and_loses_nothing_acked(
    tmp_path: Path, pg: PostgresServer, redis_srv: RedisServer, figures: Callable[[str], None]
) -> None:
    database_url = pg.create_database("redis_restart")
    with cluster(tmp_path, database_url, redis_srv.url, 2, LADDER, env=NO_VISITOR_LIMIT) as world:
        asyncio.run(_drive(world, redis_srv, figures))
