"""T1: memory per idle visitor connection, from the server's PSS (/proc/PID/smaps_rollup).

The server is warmed up first (a few sockets opened and closed, so one-time caches are not
charged to the connections), then its idle PSS is read; after each count of idle visitors
is reached and has settled, (PSS - idle PSS) / count is the cost of one connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.drivers.base import Driver
from bench.peer import Peer, close_all
from bench.scenarios.common import many
from bench.system import pss_kib

WARM_UP = 20


def _opener(driver: Driver, offset: int) -> Callable[[int], Awaitable[Peer]]:
    return lambda n: driver.visitor(f"idle{offset + n}")


async def run_idle(
    driver: Driver, pid: int, counts: tuple[int, ...], settle_s: float
) -> dict[str, Any]:
    """Open idle visitors up to each of ``counts`` and read the server's PSS at each."""
    warm, _ = await many(WARM_UP, lambda n: driver.visitor(f"warm{n}"))
    await close_all(warm)
    await asyncio.sleep(settle_s)
    idle_kib = pss_kib(pid)
    peers: list[Peer] = []
    steps: list[dict[str, Any]] = []
    errors: list[str] = []
    for count in counts:
        started = time.perf_counter()
        opened, failed = await many(count - len(peers), _opener(driver, len(peers)))
        elapsed = time.perf_counter() - started
        peers += opened
        errors += failed
        await asyncio.sleep(settle_s)
        alive = sum(1 for p in peers if not p.closed.done())
        total_kib = pss_kib(pid)
        steps.append(
            {
                "target_connections": count,
                "connections": alive,
                "server_pss_kib": total_kib,
                "kib_per_connection": round((total_kib - idle_kib) / alive, 2) if alive else None,
                "connects_per_s": round(len(opened) / elapsed, 1) if elapsed > 0 else None,
            }
        )
    await close_all(peers)
    return {"idle_server_pss_kib": idle_kib, "steps": steps, "errors": errors[:5]}
