"""``memory://``: an in-process broker for the embedded, single-process deployment.

A :class:`MemoryBus` plays the part of the Redis server: brokers attached to the same bus
see each other's publishes. ``open_broker("memory://")`` creates a private bus, so two
``memory://`` brokers opened separately do not share messages (there is no module-level
bus on purpose); tests that need two "nodes" attach a second :class:`MemoryBroker` to the
first one's :attr:`MemoryBroker.bus`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from chat_server.broker.base import BrokerUnavailable
from chat_server.broker.closing import ClosedOnExit


class MemoryBus:
    """The shared medium of a group of :class:`MemoryBroker` instances in one process."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[MemoryBroker]] = {}

    def publish(self, channel: str, message: str) -> None:
        """Hand ``message`` to every broker subscribed to ``channel``; never blocks."""
        for broker in self._subscribers.get(channel, ()):
            broker._deliver(channel, message)

    def subscribe(self, channel: str, broker: MemoryBroker) -> None:
        """Register ``broker`` for ``channel``."""
        self._subscribers.setdefault(channel, set()).add(broker)

    def unsubscribe(self, channel: str, broker: MemoryBroker) -> None:
        """Unregister ``broker`` from ``channel``; a no-op when it was not registered."""
        brokers = self._subscribers.get(channel)
        if brokers is None:
            return
        brokers.discard(broker)
        if not brokers:
            del self._subscribers[channel]


class MemoryBroker(ClosedOnExit):
    """A :class:`~chat_server.broker.base.Broker` that lives inside this process.

    Each broker has an unbounded queue: publishing never waits for a slow consumer, and
    because everything happens on one event loop, per-channel order is the publish order.
    Use it as an async context manager; closing it ends :meth:`messages`.
    """

    def __init__(self, bus: MemoryBus | None = None) -> None:
        self.bus = bus if bus is not None else MemoryBus()
        self._channels: set[str] = set()
        # None is the end-of-stream marker put there by aclose().
        self._queue: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
        self._closed = False

    async def aclose(self) -> None:
        """Detach from the bus and end :meth:`messages`. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for channel in self._channels:
            self.bus.unsubscribe(channel, self)
        self._channels.clear()
        self._queue.put_nowait(None)

    async def publish(self, channel: str, message: str) -> None:
        """Deliver ``message`` to every broker on the bus subscribed to ``channel``."""
        self._check_open()
        self.bus.publish(channel, message)

    async def subscribe(self, channel: str) -> None:
        """Receive ``channel`` from now on. Idempotent."""
        self._check_open()
        self._channels.add(channel)
        self.bus.subscribe(channel, self)

    async def unsubscribe(self, channel: str) -> None:
        """Stop receiving ``channel``. Idempotent."""
        self._channels.discard(channel)
        self.bus.unsubscribe(channel, self)

    async def messages(self) -> AsyncIterator[tuple[str, str]]:
        """Yield ``(channel, message)`` until the broker is closed."""
        while True:
            item = await self._queue.get()
            if item is None:
                # Put the marker back so any other iterator ends as well.
                self._queue.put_nowait(None)
                return
            yield item

    async def ping(self) -> bool:
        """True while the broker is open."""
        return not self._closed

    def _deliver(self, channel: str, message: str) -> None:
        if channel in self._channels:
            self._queue.put_nowait((channel, message))

    def _check_open(self) -> None:
        if self._closed:
            raise BrokerUnavailable("memory broker is closed")
