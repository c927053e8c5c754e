"""Local fan-out: many sockets of this process share one broker subscription per channel.

The broker delivers each message once per node; the :class:`Hub` hands it to every local
:class:`Inbox` (one per websocket) that joined the channel. Delivery never waits for a
socket: the pump only calls :meth:`Inbox.put_nowait`, and an inbox that cannot keep up is
marked overflowed so its owner closes the socket (the client reconnects and resyncs from
its last sequence number). One slow shopper therefore never delays anyone else.

Channels with a *shared* prefix (``Hub(broker, shared=("visitor:",))``) have no broker
subscription of their own: all of them travel over one broker channel (the prefix plus
``*``), each message prefixed with its channel name and a newline, and the hub hands it to
the local members of that name. Joining one is a dictionary insert, with no round trip to
Redis; every node receives every such message, so this suits families of many channels
that are mostly silent (one per shopper, told only when another tab starts a chat).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterator
from types import TracebackType

from chat_server.broker.base import RESYNC_CHANNEL, Broker, BrokerUnavailable

logger = logging.getLogger(__name__)

SHARED_SUFFIX = "*"


class InboxOverflow(Exception):
    """The inbox fell more than ``maxsize`` messages behind; close the connection."""


class Inbox:
    """A bounded queue of ``(channel, message)`` for one websocket connection.

    Read it with :meth:`get`, or with :meth:`get_nowait` from a reader that ``on_ready``
    starts: that hook is called (synchronously, from the hub's pump) whenever something
    arrives, so an idle connection needs no task waiting on its inbox. An idle inbox holds
    no buffer either: the queue exists only while it has items. ``on_overflow`` is called
    (synchronously, once) when the inbox overflows.
    """

    __slots__ = ("_items", "_waiter", "joined", "maxsize", "on_overflow", "on_ready", "overflowed")

    def __init__(
        self,
        maxsize: int = 1000,
        on_ready: Callable[[], None] | None = None,
        on_overflow: Callable[[], None] | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self.maxsize = maxsize
        self.overflowed = False
        self.on_ready = on_ready
        self.on_overflow = on_overflow  # called once, when the inbox overflows
        self._items: deque[tuple[str, str]] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self.joined: list[str] = []  # channels joined through the hub; kept by the hub

    def __len__(self) -> int:
        return len(self._items) if self._items is not None else 0

    def put_nowait(self, channel: str, message: str) -> None:
        """Queue a message; never blocks or raises.

        When the inbox is full it is marked overflowed, the backlog is dropped (the client
        resyncs from the database anyway) and a waiting :meth:`get` wakes up to raise.
        """
        if self.overflowed:
            return
        items = self._items
        if items is None:
            items = self._items = deque()
        if len(items) >= self.maxsize:
            self.overflowed = True
            self._items = None
            if self.on_overflow is not None:
                self.on_overflow()
        else:
            items.append((channel, message))
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self.on_ready is not None:
            self.on_ready()

    def get_nowait(self) -> tuple[str, str] | None:
        """The next ``(channel, message)``, or None when empty. Raises :class:`InboxOverflow`."""
        if self.overflowed:
            raise InboxOverflow(f"inbox fell more than {self.maxsize} messages behind")
        items = self._items
        if not items:
            return None
        item = items.popleft()
        if not items:
            self._items = None  # an idle inbox keeps no buffer
        return item

    async def get(self) -> tuple[str, str]:
        """Wait for the next ``(channel, message)``.

        Raises :class:`InboxOverflow` once the inbox has overflowed.
        """
        while True:
            item = self.get_nowait()
            if item is not None:
                return item
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None


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
    hub must be the only reader of its broker's messages, and an inbox joins one hub only.
    """

    def __init__(self, broker: Broker, shared: tuple[str, ...] = ()) -> None:
        self._broker = broker
        self._channels: dict[str, _Channel] = {}
        # Shared-prefix channels: name -> its one member, or a set when there are several
        # (one shopper with several tabs); most have exactly one.
        self._shared_prefixes = shared
        self._shared: dict[str, Inbox | set[Inbox]] = {}
        self._shared_subscribed: set[str] = set()
        self._shared_lock = asyncio.Lock()
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
        channels = [*self._channels, *self._shared_subscribed]
        for inbox in list(self._inboxes()):
            inbox.joined.clear()
        self._channels.clear()
        self._shared.clear()
        self._shared_subscribed.clear()
        for channel in channels:
            # The broker may already be closed or unreachable; the subscription dies with it.
            with contextlib.suppress(BrokerUnavailable):
                await self._broker.unsubscribe(channel)

    def _shared_channel(self, channel: str) -> str | None:
        """The broker channel that carries ``channel``, if it has a shared prefix."""
        for prefix in self._shared_prefixes:
            if channel.startswith(prefix):
                return prefix + SHARED_SUFFIX
        return None

    async def join(self, channel: str, inbox: Inbox) -> None:
        """Deliver ``channel`` to ``inbox``; the first local joiner subscribes on the broker.

        Returns once the subscription is in effect. Raises ``BrokerUnavailable`` (and the
        inbox is not joined) when the broker cannot subscribe.
        """
        carrier = self._shared_channel(channel)
        if carrier is not None:
            await self._join_shared(carrier, channel, inbox)
            return
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
                if channel not in inbox.joined:
                    inbox.joined.append(channel)
                return

    async def _join_shared(self, carrier: str, channel: str, inbox: Inbox) -> None:
        if carrier not in self._shared_subscribed:
            async with self._shared_lock:
                if carrier not in self._shared_subscribed:
                    await self._broker.subscribe(carrier)
                    self._shared_subscribed.add(carrier)
        members = self._shared.get(channel)
        if members is None:
            self._shared[channel] = inbox
        elif isinstance(members, set):
            members.add(inbox)
        elif members is not inbox:
            self._shared[channel] = {members, inbox}
        if channel not in inbox.joined:
            inbox.joined.append(channel)

    async def leave(self, channel: str, inbox: Inbox) -> None:
        """Stop delivering ``channel`` to ``inbox``; the last leaver unsubscribes. Idempotent."""
        if self._shared_channel(channel) is not None:
            self._leave_shared(channel, inbox)
            return
        state = self._channels.get(channel)
        if state is None:
            return
        async with state.lock:
            if self._channels.get(channel) is not state or inbox not in state.members:
                return
            state.members.discard(inbox)
            with contextlib.suppress(ValueError):
                inbox.joined.remove(channel)
            if state.members:
                return
            try:
                await self._broker.unsubscribe(channel)
            finally:
                # Retired under the lock: joiners queued on it see the state is gone
                # and subscribe afresh, strictly after this unsubscribe.
                del self._channels[channel]

    def _leave_shared(self, channel: str, inbox: Inbox) -> None:
        members = self._shared.get(channel)
        if members is None:
            return
        if isinstance(members, set):
            members.discard(inbox)
            if len(members) == 1:
                self._shared[channel] = next(iter(members))
            elif not members:
                del self._shared[channel]
        elif members is inbox:
            del self._shared[channel]
        else:
            return
        with contextlib.suppress(ValueError):
            inbox.joined.remove(channel)

    async def leave_all(self, inbox: Inbox) -> None:
        """Leave every channel ``inbox`` joined (when its socket closes)."""
        for channel in list(inbox.joined):
            await self.leave(channel, inbox)

    async def publish(self, channel: str, message: str) -> None:
        """Publish through the broker; local members receive it like everyone else."""
        carrier = self._shared_channel(channel)
        if carrier is not None:
            await self._broker.publish(carrier, f"{channel}\n{message}")
        else:
            await self._broker.publish(channel, message)

    def channels_of(self, inbox: Inbox) -> frozenset[str]:
        """The channels ``inbox`` has joined."""
        return frozenset(inbox.joined)

    def _inboxes(self) -> Iterator[Inbox]:
        """Every inbox that joined anything, once each."""
        seen: set[int] = set()
        groups: list[Inbox | set[Inbox]] = [s.members for s in self._channels.values()]
        groups += self._shared.values()
        for group in groups:
            for inbox in group if isinstance(group, set) else (group,):
                if id(inbox) not in seen:
                    seen.add(id(inbox))
                    yield inbox

    def resync(self, names: str = "") -> None:
        """Tell local sockets that frames may have been lost: the members of the channels
        named (one a line), or every socket when ``names`` is empty. Each catches up from
        the database or reconnects (``Connection.on_resync``)."""
        targets = self._resync_targets(names) if names else self._inboxes()
        for inbox in list(targets):
            inbox.put_nowait(RESYNC_CHANNEL, names)

    def _resync_targets(self, names: str) -> dict[Inbox, None]:
        """The local members of the channels named (one a line) by a scoped resync.

        A shared carrier (``visitor:*``) has no members of its own and is skipped: its frames
        only tell a shopper's other tabs that a chat started, and resyncing every shopper
        would be the storm that naming channels avoids.
        """
        targets: dict[Inbox, None] = {}
        for name in names.split("\n"):
            state = self._channels.get(name)
            if state is not None:
                targets.update(dict.fromkeys(state.members))
        return targets

    async def _run_pump(self) -> None:
        try:
            async for channel, message in self._broker.messages():
                if channel == RESYNC_CHANNEL:
                    self.resync(message)
                    continue
                if channel in self._shared_subscribed:
                    channel, _, message = message.partition("\n")
                    members = self._shared.get(channel)
                    if members is None:
                        continue
                    if isinstance(members, Inbox):
                        members.put_nowait(channel, message)
                        continue
                else:
                    state = self._channels.get(channel)
                    if state is None:
                        continue
                    members = state.members
                # put_nowait never blocks, so one full inbox cannot delay the others.
                for inbox in members:
                    inbox.put_nowait(channel, message)
        except Exception:
            logger.exception("hub: the broker's message stream failed; delivery stopped")
            raise
