"""T2: chat latency and sustainable rate, open loop.

``conversations`` sender/receiver pairs are set up first. Then each rate is held for
``step_s``: message ``i`` of a step is *due* at ``start + i / rate`` and carries that due time
(not the moment it was actually written), so a sender that falls behind cannot hide the
delay (no coordinated omission). Messages go round-robin over the conversations; latency is
measured where the receiver gets the message. After a step the generator waits up to
``drain_s`` for stragglers; what never arrives counts as lost. Stepping stops after a rate
the target clearly cannot carry (p99 over 1 s or more than 10 % lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from websockets.exceptions import ConnectionClosed

from bench.drivers.base import CHAT, Driver, read_stamp, stamped
from bench.histogram import Latency
from bench.peer import Peer, close_all
from bench.scenarios.common import many

P99_TARGET_MS = 100.0
GIVE_UP_P99_MS = 1_000.0
GIVE_UP_LOSS = 0.10
PREFIX = "b"


class Step:
    """What was sent and received at one rate."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.sent = 0
        self.received = 0
        self.latency = Latency()
        self.all_in = asyncio.Event()
        self.closed = False  # summarised: anything arriving now is late

    def arrived(self, stamp_ns: int) -> None:
        self.latency.record_ns(time.perf_counter_ns() - stamp_ns)
        self.received += 1
        if self.received >= self.sent > 0:
            self.all_in.set()


async def run_chat(
    driver: Driver,
    conversations: int,
    rates: tuple[int, ...],
    step_s: float,
    drain_s: float,
    server_cpu: Callable[[], float] | None = None,
    around_step: Callable[[int], AbstractContextManager[Any]] | None = None,
) -> dict[str, Any]:
    """Set up the pairs, run every rate; ``server_cpu`` reads the server's CPU seconds.

    ``around_step(index)`` wraps the sending of one step (e.g. a profiler for one rate only).
    """
    pairs, errors = await many(conversations, lambda n: driver.chat_pair(f"conv{n}"))
    if not pairs:
        return {"conversations": 0, "steps": [], "errors": errors[:5]}
    steps: dict[int, Step] = {}
    late = 0

    def on_frame(kind: str, payload: Any) -> None:
        nonlocal late
        if kind != CHAT:
            return
        stamp = read_stamp(payload, PREFIX)
        if stamp is None:
            return
        step = steps.get(stamp[0] // 10_000_000)
        if step is None or step.closed:
            late += 1
            return
        step.arrived(stamp[1])

    for _, receiver in pairs:
        receiver.on_frame = on_frame

    results: list[dict[str, Any]] = []
    for index, rate in enumerate(rates):
        step = steps[index] = Step(rate)
        cpu_before = server_cpu() if server_cpu else 0.0
        with around_step(index) if around_step else contextlib.nullcontext():
            elapsed_s = await _send_at(driver, pairs, step, index, step_s)
        cpu = (server_cpu() - cpu_before) / elapsed_s if server_cpu and elapsed_s > 0 else None
        if step.received < step.sent:
            step.all_in.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(step.all_in.wait(), drain_s)
        step.closed = True
        summary = step.latency.summary()
        lost = step.sent - step.received
        results.append(
            {
                "rate": rate,
                "sent": step.sent,
                "delivered": step.received,
                "lost": lost,
                "send_rate": round(step.sent / elapsed_s, 1) if elapsed_s > 0 else None,
                "server_cpu": None if cpu is None else round(cpu, 3),
                **summary,
            }
        )
        p99 = summary["p99_ms"]
        if lost > GIVE_UP_LOSS * step.sent or (p99 is not None and p99 > GIVE_UP_P99_MS):
            break
    # Sockets the server closed during the run (e.g. as too slow) explain lost messages.
    dropped = sum(1 for pair in pairs for peer in pair if peer.closed.done())
    await close_all([peer for pair in pairs for peer in pair])
    return {
        "conversations": len(pairs),
        "sockets_closed_by_server": dropped,
        "steps": results,
        "max_rate_p99_under_100ms": max_rate_under(results, P99_TARGET_MS),
        "late": late,
        "errors": errors[:5],
    }


def max_rate_under(steps: list[dict[str, Any]], p99_ms: float) -> int | None:
    """The highest rate whose p99 stayed under ``p99_ms`` with (almost) nothing lost."""
    good = [
        s["rate"]
        for s in steps
        if s["p99_ms"] is not None and s["p99_ms"] < p99_ms and s["lost"] <= 0.001 * s["sent"]
    ]
    return max(good) if good else None


async def _send_at(
    driver: Driver, pairs: list[tuple[Peer, Peer]], step: Step, index: int, step_s: float
) -> float:
    """Send ``step.rate`` messages a second for ``step_s``; return the seconds it took."""
    total = max(1, int(step.rate * step_s))
    interval_ns = 1_000_000_000 / step.rate
    start = time.perf_counter_ns()
    for i in range(total):
        due = start + int(i * interval_ns)
        ahead = due - time.perf_counter_ns()
        if ahead > 0:
            await asyncio.sleep(ahead / 1e9)
        sender, _ = pairs[i % len(pairs)]
        seq = index * 10_000_000 + i
        step.sent += 1
        try:
            await sender.send(driver.chat_text(sender, stamped(PREFIX, seq, due), seq))
        except (ConnectionError, ConnectionClosed):
            step.sent -= 1
    return (time.perf_counter_ns() - start) / 1e9
