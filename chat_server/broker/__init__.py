"""Publish/subscribe between server processes, with backends chosen by URL.

``memory://`` (the embedded default, one process) and ``redis://host:port/db`` (several
processes sharing one Redis) implement the same :class:`Broker` interface and pass the same
contract tests. The app's lifespan opens one broker with :func:`open_broker` and wraps it
in a :class:`Hub` that fans messages out to the local websockets.

The same URL picks the rate-limit counters (:class:`RateLimiter`, opened with
:func:`open_rate_limiter`): in this process for ``memory://``, in Redis for ``redis://``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from chat_server.broker.base import Broker, BrokerUnavailable
from chat_server.broker.hub import Hub, Inbox, InboxOverflow
from chat_server.broker.limiter import Decision, Limit, RateLimiter
from chat_server.broker.memory import MemoryBroker, MemoryBus
from chat_server.broker.memory_limiter import MemoryRateLimiter
from chat_server.broker.redis import RedisBroker, redact
from chat_server.broker.redis_limiter import RedisRateLimiter
from chat_server.clock import Clock

__all__ = [
    "Broker",
    "BrokerUnavailable",
    "Decision",
    "Hub",
    "Inbox",
    "InboxOverflow",
    "Limit",
    "MemoryBroker",
    "MemoryBus",
    "MemoryRateLimiter",
    "RateLimiter",
    "RedisBroker",
    "RedisRateLimiter",
    "open_broker",
    "open_rate_limiter",
]


@asynccontextmanager
async def open_broker(url: str) -> AsyncIterator[Broker]:
    """Open the broker named by ``url`` for the duration of the ``async with`` block.

    ``memory://`` gives an in-process broker with a private bus. ``redis://host:port/db``
    connects to Redis and raises :class:`BrokerUnavailable` if it does not answer. Any other
    scheme raises ``ValueError``.
    """
    if url.startswith("memory://"):
        async with MemoryBroker() as memory_broker:
            yield memory_broker
    elif url.startswith("redis://"):
        async with RedisBroker(url) as redis_broker:
            yield redis_broker
    else:
        raise ValueError(f"broker URL must start with memory:// or redis://, got {redact(url)!r}")


@asynccontextmanager
async def open_rate_limiter(url: str, clock: Clock | None = None) -> AsyncIterator[RateLimiter]:
    """Open the rate-limit counters of the backend named by ``url`` (the broker's URL).

    ``memory://`` counts in this process; ``redis://`` counts in Redis, shared by every node,
    and fails open while Redis is unreachable (it never raises for that, not even here).
    """
    if url.startswith("memory://"):
        yield MemoryRateLimiter(clock)
    elif url.startswith("redis://"):
        async with RedisRateLimiter(url, clock=clock) as limiter:
            yield limiter
    else:
        raise ValueError(f"broker URL must start with memory:// or redis://, got {redact(url)!r}")
