"""A shopper tab that stops reading cannot stall anyone else, nor make the server hoard memory.

One shopper has several tabs open on a busy conversation. One tab (a socket with a 4 KiB
receive buffer) stops reading right after its welcome. Other tabs then push more than the
per-connection inbox holds (1,000 frames) of 4,000-character messages. The server must close
the stuck socket at the TCP level while the test still is not reading it, the salesperson's
console must receive every message with no gap and a bounded delay, and the server's memory
must stop growing once the stuck socket is gone.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

from chat_server.broker.hub import Inbox
from chat_server.demo_world import DEMO_SITE_KEY
from tests.scale.cluster import Cluster, cluster, seed_operators
from tests.scale.failure_kit import (
    NO_VISITOR_LIMIT,
    Chat,
    connected_chat,
    open_console,
    stored_messages,
)
from tests.support.clients import visitor
from tests.support.postgres_server import PostgresServer
from tests.support.redis_server import RedisServer

LADDER = {"store_window": 60, "pool_window": 60, "grace": 60}
INBOX = Inbox().maxsize
# The inbox, the ~3 MiB the kernel takes on loopback and the grace before the reset is about
# 2,500 messages; the flood stops at CAP, or AFTER_CLOSE messages after the close.
CAP = 6000
AFTER_CLOSE = 600
BODY = "x" * 3990
SENDERS = 4
BURST = 35  # under the per-socket burst allowance (40): each sender tab sends this many
CLOSED_BOUND_S = 15.0
DELAY_BOUND_S = 3.0
TCP_ESTABLISHED = 1


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _tcp_state(client: ClientConnection) -> int:
    raw = client.transport.get_extra_info("socket")
    return raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


async def _stuck_tab(port: int, origin: str, chat: Chat, last_seq: int) -> ClientConnection:
    """A tab that reads its welcome and then nothing: a tiny receive buffer, max_queue 1."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: small window
    raw.connect(("127.0.0.1", port))
    raw.setblocking(False)
    client = await connect(
        f"ws://127.0.0.1:{port}/ws/visitor?site={DEMO_SITE_KEY}",
        sock=raw,
        origin=origin,  # type: ignore[arg-type]
        max_queue=1,
    )
    await client.send(
        json.dumps(
            {
                "type": "hello",
                "visitor": chat.visitor_token,
                "conversation": chat.conversation,
                "last_seq": last_seq,
                "page": {"url": origin + "/", "title": "RAV4", "referrer": ""},
                "vehicle": None,
            }
        )
    )
    welcome = json.loads(await client.recv())
    assert welcome["type"] == "welcome" and welcome["conversation"] == chat.conversation
    return client


async def _sender(
    ws_url: str, origin: str, chat: Chat, index: int, sent: dict[str, float], quota: list[int]
) -> None:
    """Open a tab, send a burst of messages, read until all are acked, close; repeat."""
    round_ = 0
    while quota[0] > 0:
        tab, _ = await visitor(
            ws_url, origin, token=chat.visitor_token, conversation=chat.conversation, last_seq=10**9
        )
        ids = []
        for k in range(min(BURST, quota[0])):
            quota[0] -= 1
            client_id = f"s{index}-{round_}-{k}"
            ids.append(client_id)
            sent[client_id] = time.monotonic()
            await tab.send({"type": "message", "client_id": client_id, "body": BODY})
        for client_id in ids:
            await tab.expect_keeping("ack", client_id=client_id, timeout=30)
        await tab.close()
        round_ += 1


async def _drive(world: Cluster, figures: Callable[[str], None]) -> None:
    (email,) = await seed_operators(world.database_url, salespeople=1, receptionists=0)
    (node,) = world.nodes
    assert node.process is not None
    origin = world.nginx.url
    chat = await connected_chat(node.ws_url, origin, await open_console(node.url, email))
    stuck = await _stuck_tab(node.port, origin, chat, last_seq=1)
    await asyncio.sleep(0.5)
    rss_before = _rss_kib(node.process.pid)

    sent: dict[str, float] = {}
    quota = [CAP]
    flood_started = time.monotonic()
    senders = [
        asyncio.create_task(_sender(node.ws_url, origin, chat, i, sent, quota))
        for i in range(SENDERS)
    ]
    closed_at: float | None = None
    sent_at_close = 0
    rss_at_close = 0
    while not all(task.done() for task in senders):
        if closed_at is None and _tcp_state(stuck) != TCP_ESTABLISHED:
            closed_at = time.monotonic()
            rss_at_close = _rss_kib(node.process.pid)
            sent_at_close = len(sent)
            quota[0] = AFTER_CLOSE  # then show the memory stays put
        await asyncio.sleep(0.05)
    await asyncio.gather(*senders)
    flood_s = time.monotonic() - flood_started
    if closed_at is None:
        end = time.monotonic() + CLOSED_BOUND_S
        while _tcp_state(stuck) == TCP_ESTABLISHED and time.monotonic() < end:
            await asyncio.sleep(0.1)
        state = _tcp_state(stuck)
        raise AssertionError(
            f"the stuck tab was not closed while it was not reading (TCP state {state} "
            f"{CLOSED_BOUND_S:.0f} s after {len(sent)} messages of {len(BODY)} chars)"
        )
    rss_after = _rss_kib(node.process.pid)

    # The console (and the first shopper tab) received every message, once, in order.
    stored = await stored_messages(world.database_url, chat.conversation)
    count = len(stored)
    assert count == len(sent) + 1
    end = time.monotonic() + 10
    while len(chat.operator.seqs()) < count and time.monotonic() < end:
        await asyncio.sleep(0.05)
    for peer in (chat.operator, chat.shopper):
        assert peer.seqs() == list(range(1, count + 1)), (peer.label, len(peer.seqs()))
    seq_of = {client_id: seq for seq, client_id, _ in stored}
    delays = sorted(
        chat.operator.first_arrival(seq_of[cid]).at - at  # type: ignore[union-attr]
        for cid, at in sent.items()
    )
    p99 = delays[int(len(delays) * 0.99)]
    assert delays[-1] < DELAY_BOUND_S, f"the console lagged {delays[-1]:.2f} s behind"

    # What the stuck tab got: at most what fits in the buffers, never the whole flood.
    stuck.transport.resume_reading()
    got = 0
    try:
        async for raw in stuck:
            got += json.loads(raw)["type"] == "message"
    except Exception:  # a reset connection: nothing more to read
        pass
    assert got < len(sent) - AFTER_CLOSE, f"the stuck tab still got {got} messages"
    close_s = closed_at - flood_started
    figures(
        f"{len(sent)} messages of {len(BODY)} chars pushed in {flood_s:.1f} s "
        f"({len(sent) / flood_s:.0f}/s) through a conversation with a stuck tab: stuck tab closed "
        f"{close_s:.1f} s into the flood (after {sent_at_close} messages; it had read "
        f"{got}); console got all {count}, delay p99 {p99 * 1000:.0f} ms, max "
        f"{delays[-1] * 1000:.0f} ms; server RSS {rss_before // 1024} MiB before, "
        f"{rss_at_close // 1024} MiB at the close, {rss_after // 1024} MiB after {AFTER_CLOSE} more"
    )
    assert rss_at_close - rss_before < 64 * 1024, "the stuck tab cost more than its bounds"
    assert rss_after - rss_at_close < 16 * 1024, "memory kept growing after the close"
    await chat.shopper.close()
    await chat.operator.close()


def test_a_tab_that_stops_reading_is_closed_and_stalls_nobody(
    tmp_path: Path, pg: PostgresServer, redis_srv: RedisServer, figures: Callable[[str], None]
) -> None:
    database_url = pg.create_database("slow_reader")
    with cluster(tmp_path, database_url, redis_srv.url, 1, LADDER, env=NO_VISITOR_LIMIT) as world:
        asyncio.run(_drive(world, figures))
