"""T3: ring latency. ``consoles`` staff sockets are ready; then, one after another, a new
shopper connects and sends a first message stamped with the moment it was written, and the
delay to that chat's ring (dealer-chat: a ``ring`` frame; the relays: the message relayed to
a room of consoles) is recorded at every console.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from bench.drivers.base import CHAT, RING, Driver, read_stamp, stamped
from bench.histogram import Latency
from bench.peer import close_all

PREFIX = "r"
TRIAL_TIMEOUT_S = 10.0


async def run_ring(driver: Driver, consoles: int, trials: int) -> dict[str, Any]:
    staff = await driver.consoles(consoles)
    latency = Latency()
    rung: dict[int, int] = {}
    complete: dict[int, asyncio.Event] = {}

    def on_frame(kind: str, payload: Any) -> None:
        if kind not in (RING, CHAT):
            return
        stamp = read_stamp(payload, PREFIX)
        if stamp is None or stamp[0] not in complete:
            return
        latency.record_ns(time.perf_counter_ns() - stamp[1])
        rung[stamp[0]] = rung.get(stamp[0], 0) + 1
        if rung[stamp[0]] >= len(staff):
            complete[stamp[0]].set()

    for console in staff:
        console.on_frame = on_frame
    missed = 0
    for trial in range(trials):
        shopper = await driver.visitor(f"shopper{trial}")
        complete[trial] = asyncio.Event()
        await driver.start_chat(shopper, stamped(PREFIX, trial, time.perf_counter_ns()), trial)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(complete[trial].wait(), TRIAL_TIMEOUT_S)
        missed += len(staff) - rung.get(trial, 0)
        await shopper.close()
        await asyncio.sleep(0.02)
    await close_all(staff)
    return {"consoles": len(staff), "trials": trials, "missed": missed, **latency.summary()}
