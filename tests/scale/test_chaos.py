"""Chaos: three nodes behind nginx, 200 shoppers and 20 operators chatting, while nodes are
killed with SIGKILL and Redis is restarted. Nothing acked may be lost, doubled or reordered,
and every conversation must end in exactly one outcome.

``DEALER_CHAT_CHAOS_HOG=1`` runs the same test on a deliberately busy machine: one busy-loop
process per CPU core for the whole run (tests/scale/cpu_hog.py), stopped at the end whatever
happens. Under contention frames arrive late, commits and reconnects take seconds and grace
periods expire mid-reconnect; the invariants must hold all the same::

    DEALER_CHAT_TEST_BACKEND=pg-redis DEALER_CHAT_CHAOS_HOG=1 \\
        .venv/bin/python -m pytest tests/scale/test_chaos.py -x -q
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import sqlalchemy as sa

from chat_server.store.database import open_database
from chat_server.store.models import Conversation, LeadConversation, Message
from tests.scale.chaos_clients import Ledger, Operator, Shopper
from tests.scale.cluster import Cluster, cluster, seed_operators, unhandled_errors
from tests.support.postgres_server import PostgresServer
from tests.support.redis_server import RedisServer

NODES = 3
SHOPPERS = 200
SALESPEOPLE, RECEPTIONISTS = 14, 6
ARRIVALS_S = 30.0  # shoppers arrive spread over this long
LADDER = {"store_window": 6, "pool_window": 8, "grace": 5, "capture_window": 4}
OUTCOMES = {"up", "pool", "missed", "abandoned"}


async def _chaos(world: Cluster, redis: RedisServer, rng: random.Random) -> None:
    """Kill a random node three times (restarting it) and restart Redis once."""
    plan = ["kill", "kill", "redis", "kill"]
    for step in plan:
        await asyncio.sleep(rng.uniform(4, 7))
        if step == "redis":
            world.log.append(f"{time.strftime('%X')} redis stop")
            await asyncio.to_thread(redis.stop)
            await asyncio.sleep(1.5)
            await asyncio.to_thread(redis.start)
            world.log.append(f"{time.strftime('%X')} redis back")
            continue
        victim = rng.randrange(len(world.nodes))
        world.kill(victim)
        await asyncio.sleep(rng.uniform(1.5, 3))
        await asyncio.to_thread(world.revive, victim)


async def _wait_all_closed(database_url: str, timeout: float) -> list[tuple[str, str, str | None]]:
    async with open_database(database_url) as db:
        end = time.monotonic() + timeout
        while True:
            async with db.sessions() as session:
                rows = (
                    await session.execute(
                        sa.select(Conversation.id, Conversation.state, Conversation.outcome)
                    )
                ).all()
            if all(state == "closed" for _, state, _ in rows) or time.monotonic() > end:
                return [tuple(row) for row in rows]  # type: ignore[misc]
            await asyncio.sleep(0.5)


async def _dump_tasks_if_stalled(
    world: Cluster, shoppers: list[Shopper], calm: asyncio.Event
) -> None:
    """Half-way through the shoppers' last wait (calm + 15 s of 30), if some chat has still not
    closed, make every node log where its tasks wait (observability/task_dump.py): the state
    of a stall while it lasts, not after the shoppers gave up and released it."""
    await calm.wait()
    await asyncio.sleep(15)
    if all(s.finished or s.state == "closed" for s in shoppers):
        return
    world.log.append(f"{time.strftime('%X')} task dump: a close is late")
    for node in world.nodes:
        if node.process is not None and node.process.poll() is None:
            node.process.send_signal(signal.SIGUSR1)


async def _drive(
    world: Cluster, redis: RedisServer, figures: Callable[[str], None], hogs: int
) -> None:
    rng = random.Random(6)
    ledger = Ledger()
    emails = await seed_operators(world.database_url, SALESPEOPLE, RECEPTIONISTS)
    operators = [Operator(email, world.nginx.url, ledger) for email in emails]
    # One at a time: password hashing is deliberately slow.
    cookies = [await op.sign_in() for op in operators]
    operator_tasks = [
        asyncio.create_task(op.run(cookie)) for op, cookie in zip(operators, cookies, strict=True)
    ]
    await asyncio.sleep(2)  # consoles up and available before the first shopper

    started = time.monotonic()
    calm = asyncio.Event()  # the faults have stopped
    shoppers = [Shopper(i, world.nginx.ws_url, world.nginx.url, ledger) for i in range(SHOPPERS)]
    shopper_tasks = [
        asyncio.create_task(s.run(ARRIVALS_S * i / SHOPPERS, calm)) for i, s in enumerate(shoppers)
    ]
    chaos = asyncio.create_task(_chaos(world, redis, rng))
    chaos.add_done_callback(lambda _: calm.set())
    stall_watch = asyncio.create_task(_dump_tasks_if_stalled(world, shoppers, calm))
    results = await asyncio.gather(*shopper_tasks, return_exceptions=True)
    await chaos
    stall_watch.cancel()
    load_s = time.monotonic() - started
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, f"shopper scripts failed: {failures[:5]}"

    for op in operators:
        await op.end_shift()
    await asyncio.gather(*operator_tasks)
    rows = await _wait_all_closed(world.database_url, 30)

    async with open_database(world.database_url) as db, db.sessions() as session:
        messages = (
            await session.execute(
                sa.select(Message.conversation_id, Message.seq, Message.client_id, Message.body)
            )
        ).all()
        owners = dict(
            (await session.execute(sa.select(Conversation.id, Conversation.owner_id))).all()
        )
        leads_per_conversation = Counter(
            (await session.scalars(sa.select(LeadConversation.conversation_id))).all()
        )

    # 1. Every acked message is stored exactly once, with the seq and body of its ack.
    stored: dict[str, list[tuple[str, int, str]]] = {}
    for conv, seq, client_id, body in messages:
        if client_id:
            stored.setdefault(client_id, []).append((conv, seq, body))
    for client_id, (conv, seq, body) in ledger.acked.items():
        assert stored.get(client_id) == [(conv, seq, body)], (client_id, stored.get(client_id))
    seqs_in_db: dict[str, list[int]] = {}
    for conv, seq, _, _ in messages:
        seqs_in_db.setdefault(conv, []).append(seq)
    for conv, seqs in seqs_in_db.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"{conv}: gap in stored seqs"
    acked_by_conv: dict[str, set[int]] = {}
    for conv, seq, _ in ledger.acked.values():
        acked_by_conv.setdefault(conv, set()).add(seq)
    body_of = {(conv, seq): body for conv, seq, _, body in messages}

    # 2. Shopper side: across every reconnect, each conversation's messages arrived exactly
    #    once and in order (1, 2, 3, ... with no repeat and no gap), and every acked one is there.
    state_of = {conv: (state, outcome) for conv, state, outcome in rows}

    def operator_side(conv: str) -> str:
        # Which console owned the chat and whether it closed it on the bye or at shift end.
        for op in operators:
            if conv in op.sessions:
                return (
                    f"{op.email}: closing={conv in op.closing} shift={conv in op.shift_closed} "
                    f"seen_closed={conv in op.closed_seen} seqs={op.sessions[conv]} "
                    f"errors={op.errors.get(conv)} unattributed={op.errors.get('')} "
                    f"drops={op.drops}"
                )
        return "no console had it"

    unfinished = [
        (s.index, s.conversation, s.welcomes, s.state, s.bye_acked_at,
         state_of.get(s.conversation or ""),
         s.seqs.get(s.conversation or ""), operator_side(s.conversation or ""))
        for s in shoppers
        if not s.finished
    ]  # fmt: skip
    if unfinished:
        # Where each node's tasks wait (chat_server/observability/task_dump.py), in its log.
        for node in world.nodes:
            if node.process is not None:
                node.process.send_signal(signal.SIGUSR1)
        await asyncio.sleep(2)
    assert not unfinished, (
        f"{len(unfinished)} shoppers never saw their chat close: {unfinished}; chaos: {world.log}"
    )
    for shopper in shoppers:
        for conv, seqs in shopper.seqs.items():
            assert seqs == list(range(1, len(seqs) + 1)), (
                f"shopper {shopper.index}: {seqs}; {shopper.trace}; chaos: {world.log}"
            )
            missed = acked_by_conv.get(conv, set()) - set(seqs)
            assert not missed, f"shopper {shopper.index} never saw {sorted(missed)} of {conv}"
            for seq in seqs:
                assert shopper.bodies[(conv, seq)] == body_of[(conv, seq)]

    # 3. Operator side: every socket's view of a chat is 1..n in order with no repeat, and the
    #    owner who closed a chat saw every acked message of it.
    checked_owner_views = 0
    for op in operators:
        for conv, sessions in op.sessions.items():
            for seqs in sessions:
                assert seqs == list(range(1, len(seqs) + 1)), f"{op.email} {conv}: {seqs}"
            if conv in op.closed_seen and owners.get(conv) == op.id:
                seen = {seq for seqs in sessions for seq in seqs}
                assert acked_by_conv.get(conv, set()) <= seen, f"{op.email} missed in {conv}"
                checked_owner_views += 1

    # 4. Every conversation ended, in exactly one outcome, with at most one lead.
    open_ones = [conv for conv, state, _ in rows if state != "closed"]
    assert not open_ones, f"{len(open_ones)} conversations never closed"
    outcomes = Counter(outcome for _, _, outcome in rows)
    assert set(outcomes) <= OUTCOMES, outcomes
    assert all(count == 1 for count in leads_per_conversation.values())
    assert not ledger.odd_errors, ledger.odd_errors[:5]

    # 5. No node crashed a request or a socket on the way: every failure was handled.
    crashes = [crash for node in world.nodes for crash in unhandled_errors(node.log_path)]
    assert not crashes, f"{len(crashes)} unhandled exceptions in node logs: {crashes[:5]}"

    shift_closed = sum(len(op.shift_closed) for op in operators)
    figures(
        f"chaos: {NODES} nodes behind nginx, {SHOPPERS} shoppers, {len(operators)} operators, "
        f"load {load_s:.0f} s, CPU hog processes: {hogs}\n"
        f"  messages acked: {len(ledger.acked)} (stored in total: {len(messages)}), "
        f"conversations: {len(rows)}\n"
        f"  kills: {world.kills} (kill -9), redis restarts: 1, reconnects: {ledger.reconnects}, "
        f"resends: {ledger.resends}, unavailable refusals: {ledger.unavailable}\n"
        f"  rings seen by consoles: {ledger.rings}, accepts sent: {ledger.accepts}, "
        f"rings left at capacity: {ledger.at_capacity}\n"
        f"  outcomes: {dict(outcomes)}; closed at end of shift: {shift_closed}; "
        f"shoppers who saw their close only after the faults stopped: "
        f"{sum(s.closed_after_calm for s in shoppers)}; "
        f"owner views checked: {checked_owner_views}\n  " + "\n  ".join(world.log)
    )
    assert world.kills >= 2


def test_chaos_nodes_and_redis_fail_nothing_acked_is_lost(
    tmp_path: Path,
    pg: PostgresServer,
    redis_srv: RedisServer,
    figures: Callable[[str], None],
    chaos_hog: int,
) -> None:
    database_url = pg.create_database("chaos")
    with cluster(tmp_path, database_url, redis_srv.url, NODES, LADDER) as world:
        asyncio.run(_drive(world, redis_srv, figures, chaos_hog))
        _metrics_stay_private(world)


def _metrics_stay_private(world: Cluster) -> None:
    """The shipped nginx file hides /metrics from the public side; each node still serves it."""
    assert httpx.get(world.nginx.url + "/metrics").status_code == 404
    assert httpx.get(world.nginx.url + "/healthz").status_code == 200
    live = [n for n in world.nodes if n.process is not None and n.process.poll() is None]
    assert live, "no node left alive after the chaos run"
    scraped = httpx.get(live[0].url + "/metrics")
    assert scraped.status_code == 200
    assert "dealer_chat_open_connections" in scraped.text
