"""Client-side pacing under the server's per-socket frame limit (transport/connection.py).

A real console or widget sends at human speed; a scripted client that bursts past the limit
gets its socket closed (1008, "too many frames") and measures the limiter instead of what
the test is about. The server's own token bucket, with a margin, decides when to send.
"""

from __future__ import annotations

import asyncio

from chat_server.transport.connection import TokenBucket

RATE_PER_S, BURST = 15.0, 30.0  # below the server's 20/s, burst 40


class Pacer:
    """``await pacer.wait()`` before each frame of one socket; a new socket needs a new one."""

    def __init__(self, rate: float = RATE_PER_S, burst: float = BURST) -> None:
        self.bucket = TokenBucket(rate, burst)

    async def wait(self) -> None:
        while not self.bucket.take():
            await asyncio.sleep((1 - self.bucket.tokens) / self.bucket.rate)
