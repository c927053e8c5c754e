"""Publish/subscribe between server processes, with backends chosen by URL.

``memory://`` (the embedded default, one process) and ``redis://host:port/db`` (several
processes sharing one Redis) implement the same :class:`Broker` interface and pass the same
contract tests. The app's lifespan opens one broker with :func:`open_broker` and wraps it
in a :class:`Hub` that fans messages out to the local websockets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from chat_server.broker.base import Broker, BrokerUnavailable
from chat_server.broker.hub import Hub, Inbox, InboxOverflow
from chat_server.broker.memory import MemoryBroker, MemoryBus
from chat_server.broker.redis import RedisBroker, redact

__all__ = [
    "Broker",
    "BrokerUnavailable",
    "Hub",
    "Inbox",
    "InboxOverflow",
    "MemoryBroker",
    "MemoryBus",
    "RedisBroker",
    "open_broker",
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
