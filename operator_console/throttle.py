"""Sign-in rate limiting per client address: a sliding window kept in this process.

The per-account lockout (``auth.py``) is the durable defence and spans nodes; this one slows
down a single address trying many accounts.
"""

from __future__ import annotations

from collections import deque


class SlidingWindow:
    """At most ``limit`` attempts per ``window_s`` seconds for each key."""

    def __init__(self, limit: int = 20, window_s: float = 300.0, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str, now: float) -> bool:
        """Record an attempt at ``now`` (monotonic seconds) and say whether it may proceed."""
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._forget_idle(now)
            hits = self._hits[key] = deque()
        while hits and now - hits[0] >= self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or now - h[-1] >= self.window_s]:
            del self._hits[key]
        if len(self._hits) >= self.max_keys:  # still full: start over rather than grow
            self._hits.clear()
