"""``memory://`` rate limits: counters in this process (one node, or one test)."""

from __future__ import annotations

from chat_server.broker.limiter import ALLOWED, Decision, Limit
from chat_server.clock import Clock, SystemClock

# Expired windows are swept when the table has doubled since the last sweep, so memory
# follows the number of keys active within one window, whatever an attacker sprays.
MIN_SWEEP_SIZE = 1024


class MemoryRateLimiter:
    """A :class:`~chat_server.broker.limiter.RateLimiter` for a single process.

    ``clock`` is the seam for tests; windows are measured on its timestamps.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        # key -> (hits counted, end of the window in epoch seconds)
        self._windows: dict[str, tuple[int, float]] = {}
        self._sweep_at = MIN_SWEEP_SIZE

    async def hit(self, *limits: Limit) -> Decision:
        """Count one hit against every limit, all or nothing (see the interface)."""
        if not limits:
            return ALLOWED
        now = self._clock.now().timestamp()
        refused: Decision | None = None
        counts: list[int] = []
        for limit in limits:
            count, ends = self._windows.get(limit.key, (0, now))
            if ends <= now:
                count = 0
            counts.append(count)
            if count >= limit.limit:
                wait = ends - now
                if refused is None:
                    refused = Decision(False, wait, limit.key)
                elif wait > refused.retry_after_s:
                    refused = Decision(False, wait, refused.key)
        if refused is not None:
            return refused
        for limit, count in zip(limits, counts, strict=True):
            if count == 0:
                self._windows[limit.key] = (1, now + limit.window_s)
            else:
                self._windows[limit.key] = (count + 1, self._windows[limit.key][1])
        if len(self._windows) >= self._sweep_at:
            self._sweep(now)
        return ALLOWED

    def _sweep(self, now: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
        self._sweep_at = max(MIN_SWEEP_SIZE, 2 * len(self._windows))
