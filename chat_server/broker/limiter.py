"""The rate-limit counter every broker backend offers beside publish/subscribe.

Rate limits must hold across nodes: a shopper whose messages are balanced over two nodes may
send the configured number in total, not that number on each node. So the counters live
where the broker lives and are chosen by the same URL: ``memory://`` counts in this process,
``redis://`` counts in Redis (see :func:`chat_server.broker.open_rate_limiter`).

The algorithm, identical on every backend, is a fixed window anchored at a key's first hit:
the first allowed hit opens a window of ``window_s`` seconds, the next ``limit - 1`` hits in
it are allowed too, and later ones are refused until it ends. It costs one small record per
key and one round trip per check, and a fresh key refuses at exactly ``limit + 1``. The price
is that two windows back to back can let ``2 * limit`` hits through around a reset; these
limits are ceilings against abuse, not billing, so that is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` hits on ``key`` per window of ``window_s`` seconds."""

    key: str
    limit: int
    window_s: float

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"limit must be at least 1, got {self.limit}")
        if self.window_s <= 0:
            raise ValueError(f"window_s must be positive, got {self.window_s}")


@dataclass(frozen=True)
class Decision:
    """The answer to :meth:`RateLimiter.hit`.

    When refused, ``retry_after_s`` is how long until every refusing window has ended (so
    the same hit would then be allowed) and ``key`` names the first limit that refused.
    """

    allowed: bool
    retry_after_s: float = 0.0
    key: str | None = None


ALLOWED = Decision(True)


class RateLimiter(Protocol):
    """Counters shared by every node on one backend."""

    async def hit(self, *limits: Limit) -> Decision:
        """Count one hit against every limit, all or nothing.

        If every limit has room, each counter goes up by one and the hit is allowed. If any
        limit is full, nothing is counted anywhere (a refused message uses up no quota, so
        the client may send it again once ``retry_after_s`` has passed). With no limits the
        hit is allowed.

        Never raises for an unreachable backend: a limiter that cannot count allows the hit
        (fails open), because refusing real shoppers is worse than letting abuse through
        for the length of an outage.
        """
        ...
