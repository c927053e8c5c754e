"""Local fan-out: many sockets of this process share one broker subscription per channel.

The broker delivers each message once per node; the :class:`Hub` hands it to every local
:class:`Inbox` (one per websocket) that joined the channel. Delivery never waits for a
socket: the pump only calls :meth:`Inbox.put_nowait`, and an inbox that cannot keep up is
marked overflowed so its owner closes the socket (the client reconnects and resyncs from
its last sequence number). One slow shopper therefore never delays anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from types import TracebackType

from chat_server.broker.base import RESYNC_CHANNEL, Broker, BrokerUnavailable

logger = logging.getLogger(__name__)


class InboxOverflow(Exception):
    """The inbox fell more than ``maxsize`` messages behind; close the connection."""


class Inbox:
    """A bounded queue of ``(channel, message)`` for one websocket connection."""

    def __init__(self, maxsize: int = 1000) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self.maxsize = maxsize
        self.overflowed = False
        self._items: deque[tuple[str, str]] = deque()
        # Set whenever there is something for get() to do: an item or an overflow.
        self._wakeup = asyncio.Event()

    def __len__(self) -> int:
        return len(self._items)

    def put_nowait(self, channel: str, message: str) -> None:
        """Queue a message; never blocks or raises.

        When the inbox is full it is marked overflowed, the backlog is dropped (the client
        resyncs from the database anyway) and a waiting :meth:`get` wakes up to raise.
        """
        if self.overflowed:
            return
        if len(self._items) >= self.maxsize:
            self.overflowed = True
            self._items.clear()
        else:
            self._items.append((channel, message))
        self._wakeup.set()

    async def get(self) -> tuple[str, str]:
        """Wait for the next ``(channel, message)``.

        Raises :class:`InboxOverflow` once the inbox has overflowed.
        """
        while True:
            if self.overflowed:
                raise InboxOverflow(f"inbox fell more than {self.maxsize} messages behind")
            if self._items:
                return self._items.popleft()
            self._wakeup.clear()
            await self._wakeup.wait()


class _Channel:
    """Local state of one channel: its members and the lock that orders (un)subscribes."""

    __slots__ = ("lock", "members", "subscribed")

    def __init__(self) -> None:
        self.members: set[Inbox] = set()
        self.lock = asyncio.Lock()
        self.subscribed = False


class Hub:
    """Shares one broker subscription per channel among the local inboxes that joined it.

    Use it as an async context manager: entering starts the pump task that reads
    :meth:`Broker.messages`, leaving stops it and drops the remaining subscriptions. The
    hub must be the only reader of its broker's messages.
    """

    def __init__(self, broker: Broker) -> None:
        self._broker = broker
        self._channels: dict[str, _Channel] = {}
        self._memberships: dict[Inbox, set[str]] = {}
        self._pump: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Hub:
        self._pump = asyncio.create_task(self._run_pump(), name="hub-pump")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
            self._pump = None
        channels = list(self._channels)
        self._channels.clear()
        self._memberships.clear()
        for channel in channels:
            # The broker may already be closed or unreachable; the subscription dies with it.
            with contextlib.suppress(BrokerUnavailable):
                await self._broker.unsubscribe(channel)

    async def join(self, channel: str, inbox: Inbox) -> None:
        """Deliver ``channel`` to ``inbox``; the first local joiner subscribes on the broker.

        Returns once the subscription is in effect. Raises ``BrokerUnavailable`` (and the
        inbox is not joined) when the broker cannot subscribe.
        """
        while True:
            state = self._channels.get(channel)
            if state is None:
                state = self._channels[channel] = _Channel()
            async with state.lock:
                if self._channels.get(channel) is not state:
                    # The last member left (or a subscribe failed) while we waited for the
                    # lock; start over with a fresh state so we subscribe again.
                    continue
                if not state.subscribed:
                    try:
                        await self._broker.subscribe(channel)
                    except BaseException:
                        del self._channels[channel]
                        raise
                    state.subscribed = True
                state.members.add(inbox)
                self._memberships.setdefault(inbox, set()).add(channel)
                return

    async def leave(self, channel: str, inbox: Inbox) -> None:
        """Stop delivering ``channel`` to ``inbox``; the last leaver unsubscribes. Idempotent."""
        state = self._channels.get(channel)
        if state is None:
            return
        async with state.lock:
            if self._channels.get(channel) is not state or inbox not in state.members:
                return
            state.members.discard(inbox)
            joined = self._memberships.get(inbox)
            if joined is not None:
                joined.discard(channel)
                if not joined:
                    del self._memberships[inbox]
            if state.members:
                return
            try:
                await self._broker.unsubscribe(channel)
            finally:
                # Retired under the lock: joiners queued on it see the state is gone
                # and subscribe afresh, strictly after this unsubscribe.
                del self._channels[channel]

    async def leave_all(self, inbox: Inbox) -> None:
        """Leave every channel ``inbox`` joined (when its socket closes)."""
        for channel in list(self._memberships.get(inbox, ())):
            await self.leave(channel, inbox)

    async def publish(self, channel: str, message: str) -> None:
        """Publish through the broker; local members receive it like everyone else."""
        await self._broker.publish(channel, message)

    def channels_of(self, inbox: Inbox) -> frozenset[str]:
        """The channels ``inbox`` has joined."""
        return frozenset(self._memberships.get(inbox, ()))

    async def _run_pump(self) -> None:
        try:
            async for channel, message in self._broker.messages():
                if channel == RESYNC_CHANNEL:
                    for inbox in list(self._memberships):
                        inbox.put_nowait(channel, message)
                    continue
                state = self._channels.get(channel)
                if state is None:
                    continue
                # put_nowait never blocks, so one full inbox cannot delay the others.
                for inbox in state.members:
                    inbox.put_nowait(channel, message)
        except Exception:
            logger.exception("hub: the broker's message stream failed; delivery stopped")
            raise
