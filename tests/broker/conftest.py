"""Fixtures for the broker tests: every backend on its real service.

The session-wide ``redis_srv`` (a real redis-server) comes from ``tests/conftest.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack

import pytest

from chat_server.broker import Broker, MemoryBroker, open_broker

BACKENDS = ["memory", "redis"]


class Collector:
    """Reads a broker's :meth:`messages` in the background so tests can wait on them."""

    def __init__(self, broker: Broker) -> None:
        self.items: list[tuple[str, str]] = []
        self.ended = False
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._collect(broker))

    async def _collect(self, broker: Broker) -> None:
        async for item in broker.messages():
            self.items.append(item)
            self._changed.set()
        self.ended = True
        self._changed.set()

    def on(self, channel: str) -> list[str]:
        """Messages received so far on ``channel``, in arrival order."""
        return [message for ch, message in self.items if ch == channel]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds; fail the test after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def wait_count(self, channel: str, count: int, timeout: float = 5.0) -> list[str]:
        await self.wait_for(lambda: len(self.on(channel)) >= count, timeout)
        return self.on(channel)

    async def aclose(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


class Node:
    """One broker (one "server process") plus the collector reading it."""

    def __init__(self, broker: Broker, collector: Collector) -> None:
        self.broker = broker
        self.received = collector


class Backend:
    """Opens brokers ("nodes") that share one backend: a memory bus or a Redis server."""

    def __init__(self, name: str, url: str, stack: AsyncExitStack) -> None:
        self.name = name
        self.url = url
        self._stack = stack
        self._first: Broker | None = None

    def _open(self) -> AbstractAsyncContextManager[Broker]:
        if self.name == "memory" and isinstance(self._first, MemoryBroker):
            # memory:// brokers share nothing unless attached to the same bus.
            return MemoryBroker(self._first.bus)
        return open_broker(self.url)

    async def broker(self) -> Broker:
        """A new broker on this backend, closed at the end of the test."""
        broker = await self._stack.enter_async_context(self._open())
        if self._first is None:
            self._first = broker
        return broker

    async def node(self) -> Node:
        """A new broker whose messages are collected in the background."""
        broker = await self.broker()
        collector = Collector(broker)
        self._stack.push_async_callback(collector.aclose)
        return Node(broker, collector)


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """Each contract test runs once per backend, against the real service."""
    url = "memory://" if request.param == "memory" else request.getfixturevalue("redis_srv").url
    async with AsyncExitStack() as stack:
        yield Backend(request.param, url, stack)


@pytest.fixture
async def node(backend: Backend) -> Node:
    return await backend.node()
