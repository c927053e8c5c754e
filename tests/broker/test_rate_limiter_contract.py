"""The rate-limiter contract, run against every backend on its real service with a fake clock.

"Two nodes" are two limiters on one backend: two ``RedisRateLimiter`` on one redis-server, or
for ``memory://`` (one process by definition) the same limiter twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest

from chat_server.broker import Limit, RateLimiter, RedisRateLimiter, open_rate_limiter
from tests.broker.conftest import BACKENDS
from tests.support.ports import free_port
from tests.support.redis_server import redis_server


class FakeClock:
    """A clock that moves only when told to (starts at the real time, so Redis TTLs are sane)."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class Limiters:
    """Opens limiters ("nodes") on one backend, all reading one fake clock."""

    def __init__(self, name: str, url: str, stack: AsyncExitStack) -> None:
        self.name, self.url, self.stack = name, url, stack
        self.clock = FakeClock()
        self._first: RateLimiter | None = None
        # Keys unique to this test: the redis-server is shared by the whole session.
        self.prefix = f"t{uuid.uuid4().hex[:10]}:"

    async def node(self, redis_timeout: float | None = None) -> RateLimiter:
        """A limiter on this backend; ``redis_timeout`` overrides how long a Redis limiter
        waits before it fails open (tests of counting, not of outages, on a busy machine)."""
        if self.name == "memory" and self._first is not None:
            return self._first
        if self.name == "redis" and redis_timeout is not None:
            opened = RedisRateLimiter(self.url, clock=self.clock, timeout=redis_timeout)
        else:
            opened = open_rate_limiter(self.url, self.clock)
        limiter = await self.stack.enter_async_context(opened)
        self._first = self._first or limiter
        return limiter

    def limit(self, name: str, limit: int, window_s: float = 60.0) -> Limit:
        return Limit(self.prefix + name, limit, window_s)


@pytest.fixture(params=BACKENDS)
async def limiters(request: pytest.FixtureRequest) -> AsyncIterator[Limiters]:
    url = "memory://" if request.param == "memory" else request.getfixturevalue("redis_srv").url
    async with AsyncExitStack() as stack:
        yield Limiters(request.param, url, stack)


async def allowed(limiter: RateLimiter, *limits: Limit, times: int = 1) -> list[bool]:
    return [(await limiter.hit(*limits)).allowed for _ in range(times)]


async def test_allows_exactly_limit_then_refuses_with_the_wait(limiters: Limiters) -> None:
    node = await limiters.node()
    per_minute = limiters.limit("visitor:1", 3)
    assert await allowed(node, per_minute, times=3) == [True, True, True]
    limiters.clock.advance(20)
    refused = await node.hit(per_minute)
    assert not refused.allowed
    assert refused.key == per_minute.key
    assert refused.retry_after_s == pytest.approx(40, abs=0.01)


async def test_the_window_is_anchored_at_the_first_hit(limiters: Limiters) -> None:
    node = await limiters.node()
    two = limiters.limit("addr:1", 2)
    assert await allowed(node, two) == [True]
    limiters.clock.advance(30)
    assert await allowed(node, two) == [True]
    limiters.clock.advance(29.5)
    assert (await node.hit(two)).retry_after_s == pytest.approx(0.5, abs=0.01)
    limiters.clock.advance(0.5)
    # The window opened by the first hit is over: a fresh one starts with this hit.
    assert await allowed(node, two, times=3) == [True, True, False]


async def test_a_refused_hit_counts_nowhere(limiters: Limiters) -> None:
    node = await limiters.node()
    tight, loose = limiters.limit("visitor:2", 1), limiters.limit("site:2", 5, 120)
    assert await allowed(node, tight, loose) == [True]
    refused = await node.hit(tight, loose)
    assert not refused.allowed and refused.key == tight.key
    # The refused hit did not use up the loose limit: four more fit in it, not three.
    assert await allowed(node, loose, times=5) == [True, True, True, True, False]


async def test_the_wait_covers_every_full_limit(limiters: Limiters) -> None:
    node = await limiters.node()
    short, long = limiters.limit("a", 1, 10), limiters.limit("b", 1, 100)
    await node.hit(short, long)
    refused = await node.hit(short, long)
    assert refused.key == short.key
    assert refused.retry_after_s == pytest.approx(100, abs=0.01)
    limiters.clock.advance(100)
    assert await allowed(node, short, long) == [True]


async def test_keys_are_independent_and_no_limits_means_allowed(limiters: Limiters) -> None:
    node = await limiters.node()
    assert await allowed(node, limiters.limit("x", 1), times=2) == [True, False]
    assert await allowed(node, limiters.limit("y", 1)) == [True]
    assert await allowed(node) == [True]


async def test_two_nodes_share_one_count(limiters: Limiters) -> None:
    first, second = await limiters.node(), await limiters.node()
    five = limiters.limit("visitor:shared", 5)
    results = []
    for i in range(8):
        results += await allowed(first if i % 2 else second, five)
    assert results == [True] * 5 + [False] * 3


async def test_racing_hits_never_overshoot(limiters: Limiters) -> None:
    # What races here is the count (one atomic script per hit), not Redis's speed: on a busy
    # machine 60 hits opening connections at once can pass the 0.5 s production timeout, and
    # a limiter that times out lets hits through on purpose (tested below). A long timeout
    # keeps this test about atomicity.
    nodes = [await limiters.node(redis_timeout=10), await limiters.node(redis_timeout=10)]
    ten = limiters.limit("site:race", 10)
    results = await asyncio.gather(*(nodes[i % 2].hit(ten) for i in range(60)))
    assert sum(result.allowed for result in results) == 10


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="limit"):
        Limit("k", 0, 60)
    with pytest.raises(ValueError, match="window"):
        Limit("k", 1, 0)


# --- Redis only: failing open -------------------------------------------------------------


async def test_redis_limiter_fails_open_when_redis_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "chat_server.broker.redis_limiter")
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    async with RedisRateLimiter(nobody, timeout=0.2, cooldown_s=0) as limiter:
        one = Limit("down:1", 1, 60)
        assert await allowed(limiter, one, times=3) == [True, True, True]
    warnings = [r for r in caplog.records if "NOT enforced" in r.getMessage()]
    assert len(warnings) == 1  # once per outage, not once per hit


async def test_redis_limiter_enforces_again_after_an_outage() -> None:
    with redis_server() as server:
        clock = FakeClock()
        async with RedisRateLimiter(server.url, clock=clock, cooldown_s=0.2) as limiter:
            two = Limit("outage:1", 2, 60)
            assert await allowed(limiter, two) == [True]
            server.stop()
            assert await allowed(limiter, two, times=3) == [True, True, True]
            server.start()
            await asyncio.sleep(0.3)  # past the cooldown
            # Redis lost its data in the restart (no persistence): a fresh window.
            assert await allowed(limiter, two, times=3) == [True, True, False]
