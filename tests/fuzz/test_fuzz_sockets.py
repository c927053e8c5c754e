"""Fuzz both socket protocols of a real server with hypothesis.

At least 100,000 hostile frames: the server must not crash, no socket may get stuck (each one
answers a probe after its share of every batch), every error is a documented error frame, and
no socket is closed for frames that are merely malformed or carry text no database can hold.

It runs in the PostgreSQL + Redis pass; ``DEALER_CHAT_FUZZ=1`` runs it in the embedded pass
too (SQLite and the memory broker), to compare the two stores on the same hostile text.

The sockets live on an event loop in a thread of their own, and one batch is played while
hypothesis draws the next: drawing is most of the client's work, and the server answers the
batch in flight meanwhile on the other core. Consecutive batches use different sockets
(tests/fuzz/pool.py), so two in flight never share one.
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat_server.demo_world import DEMO_LOGINS
from tests.fuzz.frames import console_frames, visitor_frames
from tests.fuzz.pool import FuzzPool
from tests.support.clients import sign_in_cookie
from tests.support.server_process import ServerProcess

VISITOR_SOCKETS, CONSOLE_SOCKETS = 60, 16
VISITOR_BATCH, CONSOLE_BATCH = 60, 20
EXAMPLES = 1300  # x 80 frames = 104,000 frames, plus one probe per socket share
MIN_FRAMES = 100_000
T = TypeVar("T")


def test_fuzz_both_socket_protocols(
    tmp_path: Path,
    database_url: str,
    broker_url: str,
    figures: Callable[[str], None],
) -> None:
    server = ServerProcess(
        tmp_path / "node",
        database_url=database_url,
        broker_url=broker_url,
        ladder={"store_window": 2, "pool_window": 2, "capture_window": 2, "grace": 2},
        # Sixty sockets of one "shopper site" at 15 frames/s exceed the abuse limits
        # (chat_server/limits/); like the flood limit, they are not what is fuzzed here.
        env={
            "DEALER_CHAT_LIMIT_VISITOR_MESSAGES": "off",
            "DEALER_CHAT_LIMIT_SITE_MESSAGES": "off",
        },
    )
    server.start(timeout=60)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzz-sockets", daemon=True)
    thread.start()

    def run(coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, loop)

    try:
        cookies = [run(sign_in_cookie(server.url, login.email)).result() for login in DEMO_LOGINS]
        pool = FuzzPool(server.url, cookies, VISITOR_SOCKETS, CONSOLE_SOCKETS)
        run(pool.open()).result()
        started = time.monotonic()
        in_flight: list[Future[None]] = []

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            st.lists(visitor_frames, min_size=VISITOR_BATCH, max_size=VISITOR_BATCH),
            st.lists(console_frames, min_size=CONSOLE_BATCH, max_size=CONSOLE_BATCH),
        )
        def batch(visitor: list[str], console: list[str]) -> None:
            # Wait for the batch before last, so at most two are in flight.
            while len(in_flight) > 1:
                in_flight.pop(0).result()
            in_flight.append(run(pool.round(visitor, console)))

        batch()
        for round_ in in_flight:
            round_.result()
        elapsed = time.monotonic() - started
        stats = pool.stats
        assert server.process is not None and server.process.poll() is None, "server died"
        with urllib.request.urlopen(server.url + "/healthz", timeout=5) as response:
            assert response.status == 200
        figures(
            f"fuzz ({database_url.split(':', 1)[0]}): "
            f"{stats.frames} frames (+{stats.probes} probes) over "
            f"{VISITOR_SOCKETS} visitor and {CONSOLE_SOCKETS} console sockets in {elapsed:.0f} s; "
            f"{stats.error_frames} error frames, {stats.other_frames} other frames, "
            f"{stats.reconnects} reconnects; findings: {len(stats.findings)}"
        )
        for finding in stats.findings[:20]:
            figures(f"finding: {finding}")
        assert stats.frames >= MIN_FRAMES
        assert not stats.findings, stats.findings[:10]
        run(pool.close()).result(timeout=60)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
        server.stop()
