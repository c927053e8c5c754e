"""T4: reconnect storm. Sockets vanish at once (TCP reset, like a lost network) and all come
back at once; the load generator keeps ``in_flight`` handshakes going (its ``Dialer``).

Figures: handshakes per second over the whole recovery, and time to recover (from the drop
to the last socket ready again: welcomed or joined). A handshake here is the full
application-level one (websocket upgrade plus hello/welcome or join/joined).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.drivers.base import Driver
from bench.histogram import Latency
from bench.peer import close_all
from bench.scenarios.common import many


async def run_storm(driver: Driver, count: int, settle_s: float) -> dict[str, Any]:
    peers, setup_errors = await many(count, lambda n: driver.visitor(f"storm{n}"))
    await asyncio.sleep(settle_s)
    each = Latency()
    started = time.perf_counter_ns()
    for peer in peers:
        peer.drop()

    async def back(n: int) -> Any:
        fresh = await driver.reconnect(peers[n])
        each.record_ns(time.perf_counter_ns() - started)
        return fresh

    fresh, errors = await many(len(peers), back)
    recovered_s = (time.perf_counter_ns() - started) / 1e9
    await close_all(fresh)
    await asyncio.gather(*(p.close() for p in peers))
    return {
        "sockets": len(peers),
        "reconnected": len(fresh),
        "time_to_recover_s": round(recovered_s, 3),
        "handshakes_per_s": round(len(fresh) / recovered_s, 1) if recovered_s > 0 else None,
        "ready_after": each.summary(),
        "errors": (setup_errors + errors)[:5],
    }
