"""PostgreSQL stops and starts again while a shopper and a salesperson talk without pause.

Each send must end acked (then stored exactly once, with the acked seq, and delivered to
both sides) or refused with ``unavailable`` (then absent from the database), within a bound:
never a hang, never acked and lost. A retry with the same ``client_id`` stores nothing twice.
Once PostgreSQL is back, sends succeed again on the same nodes, which are never restarted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from chat_server.store.database import COMMAND_TIMEOUT_S
from tests.scale.cluster import Cluster, cluster, seed_operators
from tests.scale.failure_kit import (
    NO_VISITOR_LIMIT,
    Outcome,
    Peer,
    connected_chat,
    open_console,
    stored_messages,
)
from tests.support.postgres_server import PostgresServer
from tests.support.redis_server import RedisServer

LADDER = {"store_window": 60, "pool_window": 60, "grace": 60}
OUTAGE_S = 3.0
# A send may wait out a statement and its rollback (COMMAND_TIMEOUT_S each) before refusal.
ANSWER_BOUND_S = 3 * COMMAND_TIMEOUT_S
FREEZE_S = ANSWER_BOUND_S + 5  # longer than the bound: only a timeout can answer in time
RECOVERY_BOUND_S = 10.0  # after PostgreSQL accepts again, a send must be acked within this

Ledger = list[tuple[str, str, Outcome, float]]  # client_id, body, outcome, sent at


async def _talk(
    peer: Peer, make: Callable[[str, str], dict[str, Any]], ledger: Ledger, stop: asyncio.Event
) -> None:
    """Send a fresh message every 0.1 s (well under the rate limit) until ``stop``."""
    n = 0
    while not stop.is_set():
        client_id, body = f"{peer.label}-{n}", f"{peer.label} line {n}"
        n += 1
        sent_at = time.monotonic()
        ledger.append(
            (client_id, body, await peer.send(make(client_id, body), ANSWER_BOUND_S), sent_at)
        )
        await asyncio.sleep(0.1)


async def _wait_seen(peer: Peer, count: int, timeout: float) -> None:
    end = time.monotonic() + timeout
    while len(set(peer.seqs())) < count and time.monotonic() < end:
        await asyncio.sleep(0.05)


async def _drive(
    world: Cluster,
    outage: Callable[[dict[str, float]], Awaitable[None]],
    what: str,
    figures: Callable[[str], None],
) -> None:
    """Talk, run ``outage`` (it returns once PostgreSQL answers again, having noted in
    ``marks["fault"]`` when PostgreSQL was fully gone), then check every send."""
    (email,) = await seed_operators(world.database_url, salespeople=1, receptionists=0)
    node0, node1 = world.nodes
    operator = await open_console(node1.url, email)
    chat = await connected_chat(node0.ws_url, world.nginx.url, operator)
    conv = chat.conversation

    def from_shopper(client_id: str, body: str) -> dict[str, Any]:
        return {"type": "message", "client_id": client_id, "body": body}

    def from_staff(client_id: str, body: str) -> dict[str, Any]:
        return {"type": "message", "conversation": conv, "client_id": client_id, "body": body}

    ledgers: dict[str, Ledger] = {"shopper": [], "operator": []}
    stop = asyncio.Event()
    talkers = [
        asyncio.create_task(_talk(chat.shopper, from_shopper, ledgers["shopper"], stop)),
        asyncio.create_task(_talk(chat.operator, from_staff, ledgers["operator"], stop)),
    ]
    await asyncio.sleep(2)
    down_at = time.monotonic()
    marks: dict[str, float] = {}
    await outage(marks)
    up_at = time.monotonic()  # PostgreSQL answers again
    end = up_at + RECOVERY_BOUND_S
    recovered: dict[str, float] = {}
    while len(recovered) < 2 and time.monotonic() < end:
        for side, ledger in ledgers.items():
            after = [(o, t) for _, _, o, t in ledger if t >= up_at and o.kind == "acked"]
            if after and side not in recovered:
                recovered[side] = after[0][1] + after[0][0].latency - up_at
        await asyncio.sleep(0.05)
    await asyncio.sleep(1)
    stop.set()
    await asyncio.gather(*talkers)

    everything = [entry for ledger in ledgers.values() for entry in ledger]
    kinds = [outcome.kind for _, _, outcome, _ in everything]
    assert "timeout" not in kinds, "a send was never answered (hung on the database)"
    assert "lost" not in kinds, "a socket closed during the outage"
    refused = [(cid, o) for cid, _, o, _ in everything if o.kind == "refused"]
    assert {o.code for _, o in refused} <= {"unavailable"}, refused
    assert refused, "the outage refused nothing: it was not exercised"
    # The console is told which chat's reply was refused (it retries that one).
    operator_refused = [o for _, _, o, _ in ledgers["operator"] if o.kind == "refused"]
    assert operator_refused, "the console's replies went through the outage: not exercised"
    assert all(o.conversation == conv for o in operator_refused), operator_refused
    assert set(recovered) == {"shopper", "operator"}, (
        f"no ack within {RECOVERY_BOUND_S} s of PostgreSQL coming back: {recovered}"
    )

    # Acked: stored once with its seq and body. Refused: not stored at all.
    stored = await stored_messages(world.database_url, conv)
    by_client: dict[str, list[tuple[int, str]]] = {}
    for seq, client_id, body in stored:
        by_client.setdefault(client_id, []).append((seq, body))
    acked = {cid: (o.seq, body) for cid, body, o, _ in everything if o.kind == "acked"}
    for client_id, (seq, body) in acked.items():
        assert by_client.get(client_id) == [(seq, body)], (client_id, by_client.get(client_id))
    # Refused: not stored. The one exception is inherent: a send in flight when the database
    # went away may have committed before its answer was lost; the same-client_id retry
    # below then gets the stored message back instead of storing it again.
    in_flight = {
        cid
        for cid, _, o, sent in everything
        if sent <= marks["fault"] and sent + o.latency >= down_at
    }
    ambiguous = [cid for cid, _ in refused if cid in by_client]
    assert set(ambiguous) <= in_flight, f"refused but stored: {set(ambiguous) - in_flight}"
    assert [seq for seq, _, _ in stored] == list(range(1, len(stored) + 1))

    # Both sides received every stored message exactly once, in order (one socket each).
    for peer in (chat.shopper, chat.operator):
        await _wait_seen(peer, len(stored), 10)
        assert peer.sessions == 1
        assert peer.seqs() == list(range(1, len(stored) + 1)), (peer.label, peer.seqs())

    # Retrying refused ones (and resending acked ones) with the same client_id: each ends
    # stored exactly once, and an acked one gets its original seq back.
    bodies = {cid: body for cid, body, _, _ in everything}
    retried = [cid for cid, _ in refused] + list(acked)[-3:]
    for client_id in retried:
        peer = chat.shopper if client_id.startswith("shopper") else chat.operator
        make = from_shopper if peer is chat.shopper else from_staff
        outcome = await peer.send(make(client_id, bodies[client_id]), ANSWER_BOUND_S)
        assert outcome.kind == "acked", (client_id, outcome)
        if client_id in acked:
            assert outcome.seq == acked[client_id][0]
    stored_after = await stored_messages(world.database_url, conv)
    client_ids = [cid for _, cid, _ in stored_after]
    assert len(client_ids) == len(set(client_ids)), "a retry stored a message twice"
    assert set(retried) <= set(client_ids)
    assert len(stored_after) == len(stored) + len(refused) - len(ambiguous)

    latencies = [o.latency for _, _, o, _ in everything]
    figures(
        f"PostgreSQL {what} for {up_at - down_at:.1f} s: {len(everything)} sends, "
        f"{len(acked)} acked, {len(refused)} refused "
        f"'unavailable', 0 hung, 0 lost; slowest answer {max(latencies):.2f} s; first ack after "
        f"PostgreSQL accepted: shopper {recovered['shopper']:.2f} s, operator "
        f"{recovered['operator']:.2f} s; {len(refused)} refused retried once: stored once each "
        f"({len(ambiguous)} in flight at the fault had committed)"
    )
    await chat.shopper.close()
    await chat.operator.close()


def test_postgres_restart_mid_chat_acks_or_refuses_every_send(
    tmp_path: Path, pg: PostgresServer, redis_srv: RedisServer, figures: Callable[[str], None]
) -> None:
    async def restart(marks: dict[str, float]) -> None:
        await asyncio.to_thread(pg.stop)
        marks["fault"] = time.monotonic()
        await asyncio.sleep(OUTAGE_S)
        await asyncio.to_thread(pg.start)

    database_url = pg.create_database("pg_restart")
    with cluster(tmp_path, database_url, redis_srv.url, 2, LADDER, env=NO_VISITOR_LIMIT) as world:
        asyncio.run(_drive(world, restart, "stopped and started", figures))


def test_postgres_freeze_mid_chat_answers_every_send_in_bounded_time(
    tmp_path: Path, pg: PostgresServer, redis_srv: RedisServer, figures: Callable[[str], None]
) -> None:
    """A database that neither answers nor refuses (SIGSTOP: a hang, a partition)."""

    async def freeze(marks: dict[str, float]) -> None:
        pg.freeze()
        marks["fault"] = time.monotonic()
        try:
            await asyncio.sleep(FREEZE_S)
        finally:
            pg.thaw()

    database_url = pg.create_database("pg_freeze")
    with cluster(tmp_path, database_url, redis_srv.url, 2, LADDER, env=NO_VISITOR_LIMIT) as world:
        asyncio.run(_drive(world, freeze, "frozen (SIGSTOP)", figures))
