"""``redis://``: the broker for several server processes, on Redis pub/sub.

Each broker (one per node) holds three things: a normal client, used to ping and to announce
resyncs; a :class:`~chat_server.broker.redis_publisher.RedisPublisher`, which sends every
publish of the node as pipelined batches on one connection; and one pub/sub connection, read
by a background task that feeds :meth:`messages`.

Failure behaviour, by design:

* Every socket operation has a timeout (2 s by default), so :meth:`RedisBroker.publish`
  raises :class:`~chat_server.broker.base.BrokerUnavailable` within about that long when
  Redis is down instead of hanging. A publish that is merely slow to be confirmed (an
  overloaded node) returns after ~3 s with its frame still queued: late, not lost.
* A frame the publisher drops (its batch failed or timed out, or the queue stayed full) was
  stored in the database but reached no node. Once Redis takes publishes again the broker
  announces, on ``dealer-chat:resync``, the channels of the dropped frames only: every node
  resyncs the sockets on those channels, and no other. (A Redis outage also breaks every
  node's pub/sub connection, and each node resyncs all its own sockets on reconnecting.)
* When the pub/sub connection drops, :meth:`RedisBroker.messages` does not end: the reader
  reconnects with backoff (0.1 s doubling to 2 s) and re-subscribes every channel.
* Redis pub/sub is fire-and-forget, so messages published while this node's pub/sub
  connection is down are lost for this node. That is acceptable: the database is the
  record and clients resync from their last sequence number.
* Half-open TCP connections (a peer that vanished without closing) are detected by TCP
  keepalive, not by this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from chat_server.broker.base import RESYNC_CHANNEL, BrokerUnavailable
from chat_server.broker.closing import ClosedOnExit
from chat_server.broker.redis_publisher import RedisPublisher

logger = logging.getLogger(__name__)

# Errors that mean "Redis is unreachable or misbehaving"; anything else is a bug.
_REDIS_ERRORS = (RedisError, OSError, TimeoutError)
# What redis-py raises when the reader tears the shared pub/sub connection down (Redis went
# away) while a (un)subscribe is being written on it: its writer is already None
# (AttributeError: ... 'writelines'), or uvloop's transport is closed (RuntimeError: unable to
# perform operation on <TCPTransport closed=True>). Both mean "the connection is down".
_TORN_DOWN = (AttributeError, RuntimeError)


def _torn_down(pubsub: Any) -> bool:
    """Whether the pub/sub connection was closed under a command (see ``_TORN_DOWN``)."""
    connection = pubsub.connection
    if connection is None or not connection.is_connected:
        return True
    writer = getattr(connection, "_writer", None)
    return writer is None or writer.transport.is_closing()


INITIAL_BACKOFF = 0.1
# After a dropped publish (the frame is lost for every node), the broker announces on this
# channel, once Redis takes it, which channels' sockets must resync from the database (one
# name a line; an empty message means every socket, as sent by a node starting).
RESYNC_BROADCAST = "dealer-chat:resync"
MAX_BACKOFF = 2.0


def redact(url: str) -> str:
    """Return ``url`` with any password replaced, for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class RedisBroker(ClosedOnExit):
    """A :class:`~chat_server.broker.base.Broker` on Redis pub/sub.

    Use it as an async context manager. Entering checks that Redis answers (so a wrong URL
    fails at startup) and starts the reader task; leaving stops it, closes the connections
    and ends :meth:`messages`.
    """

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        self._url = url
        self._timeout = timeout
        # One retry without delay: after a Redis restart the first use of a pooled
        # connection fails at once, the retry then opens a fresh one. More retries would
        # only delay BrokerUnavailable when Redis is really gone.
        self._client: Redis = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1),
        )
        # The publisher's own client: only its drain task uses it, so it holds one connection.
        self._publisher = RedisPublisher(
            Redis.from_url(
                url,
                decode_responses=True,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 1),
            ),
            timeout=timeout * 1.5,
            on_lost=self._frames_lost,
        )
        # Channels whose frames the publisher dropped, not yet announced.
        self._lost: set[str] = set()
        # The reader owns reconnection (with backoff and a fresh PubSub); redis-py's own
        # retry would reconnect behind its back, so it is disabled here.
        self._subscriber: Redis = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),
        )
        self._channels: set[str] = {RESYNC_BROADCAST}
        self._resync_task: asyncio.Task[None] | None = None
        # Subscriptions sent but not yet confirmed by Redis, by channel.
        self._pending: dict[str, asyncio.Future[None]] = {}
        # The live pub/sub connection, or None while (re)connecting.
        self._pubsub: PubSub | None = None
        self._connected = asyncio.Event()  # set while _pubsub is not None
        self._queue: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._closed = False

    async def __aenter__(self) -> RedisBroker:
        self._reader = asyncio.create_task(self._read_forever(), name="redis-broker-reader")
        self._publisher.start()
        try:
            async with asyncio.timeout(self._timeout * 1.5):
                await self._client.ping()
                # Wait for the pub/sub connection too, so the broker is fully up (and
                # ping() is True) when the app starts serving.
                await self._connected.wait()
                # A node starting may replace one killed between a commit and its publish:
                # those frames were never sent, so every node's sockets resync once.
                await self._client.publish(RESYNC_BROADCAST, "")
        except _REDIS_ERRORS as exc:
            await self.aclose()
            raise BrokerUnavailable(f"cannot reach Redis at {redact(self._url)}: {exc!r}") from exc
        except BaseException:
            await self.aclose()  # e.g. cancelled during startup: do not leak the reader
            raise
        return self

    async def aclose(self) -> None:
        """Stop the reader, close both connections and end :meth:`messages`. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._resync_task is not None:
            await _cancel_and_wait(self._resync_task)
        if self._reader is not None:
            await _cancel_and_wait(self._reader)
        await self._publisher.aclose()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BrokerUnavailable("Redis broker is closed"))
        self._pending.clear()
        self._channels.clear()
        await self._close_clients()
        self._queue.put_nowait(None)

    async def publish(self, channel: str, message: str) -> None:
        """Publish on ``channel`` through the node's pipelined publisher.

        Returns once Redis took the frame, or after ~3 s with the frame still queued (sent
        late, in order). Raises ``BrokerUnavailable`` when the frame was dropped, e.g. Redis
        is down; its channel is then resynced on every node once Redis is back.
        """
        self._check_open()
        await self._publisher.publish(channel, message)

    def _frames_lost(self, channels: set[str]) -> None:
        """Once Redis takes publishes again, tell every node which channels lost a frame."""
        if self._closed:
            return
        self._lost |= channels
        if self._resync_task is None or self._resync_task.done():
            self._resync_task = asyncio.create_task(self._broadcast_resync())

    async def _broadcast_resync(self) -> None:
        # Losses while an announcement is in flight are taken by the next round.
        while self._lost and not self._closed:
            await asyncio.sleep(0.5)
            channels, self._lost = self._lost, set()
            try:
                # Its own connection, not the publisher's queue: the announcement must not
                # wait behind (or be dropped with) the backlog that caused it.
                async with asyncio.timeout(self._timeout * 1.5):
                    await self._client.publish(RESYNC_BROADCAST, "\n".join(sorted(channels)))
            except _REDIS_ERRORS:
                self._lost |= channels

    async def subscribe(self, channel: str) -> None:
        """Subscribe to ``channel`` and wait until Redis confirms it.

        Raises ``BrokerUnavailable`` (and leaves the channel unsubscribed) when Redis does not
        confirm within the timeout. While the connection is being re-established the channel
        is subscribed by the reconnection itself, so a call during a short outage succeeds.
        """
        self._check_open()
        future = self._pending.get(channel)
        if future is None:
            if channel in self._channels:
                return
            future = asyncio.get_running_loop().create_future()
            self._pending[channel] = future
            self._channels.add(channel)
            await self._send_on_live_connection("SUBSCRIBE", channel)
        try:
            async with asyncio.timeout(self._timeout):
                # Shielded: the future is shared by concurrent callers for this channel.
                await asyncio.shield(future)
        except TimeoutError:
            if self._pending.get(channel) is future:
                del self._pending[channel]
                self._channels.discard(channel)
                # The SUBSCRIBE may still reach Redis; undo it. Stray messages are
                # filtered out anyway because the channel is no longer in _channels.
                await self._send_on_live_connection("UNSUBSCRIBE", channel)
            raise BrokerUnavailable(
                f"Redis did not confirm the subscription to {channel!r}"
            ) from None

    async def unsubscribe(self, channel: str) -> None:
        """Stop delivering ``channel`` at once; tell Redis when it is reachable."""
        self._channels.discard(channel)
        future = self._pending.pop(channel, None)
        if future is not None and not future.done():
            # A concurrent subscribe() returns normally; the later unsubscribe wins.
            future.set_result(None)
        if not self._closed:
            await self._send_on_live_connection("UNSUBSCRIBE", channel)

    async def messages(self) -> AsyncIterator[tuple[str, str]]:
        """Yield ``(channel, message)`` across reconnections, until the broker is closed."""
        while True:
            item = await self._queue.get()
            if item is None:
                # Put the marker back so any other iterator ends as well.
                self._queue.put_nowait(None)
                return
            yield item

    async def ping(self) -> bool:
        """True when Redis answers and this node's pub/sub connection is up."""
        if self._closed or self._pubsub is None:
            return False
        try:
            async with asyncio.timeout(self._timeout):
                return bool(await self._client.ping())
        except _REDIS_ERRORS:
            return False

    async def _send_on_live_connection(self, *command: str) -> None:
        """Send a (un)subscribe command if the pub/sub connection is up; else do nothing.

        When the connection is down the reader's next (re)connect subscribes exactly
        ``_channels``, so nothing is lost by not sending. The check and redis-py's own
        "is it connected" test run without an await in between, so redis-py never opens a
        connection here behind the reader's back.
        """
        pubsub = self._pubsub
        if pubsub is None or pubsub.connection is None or not pubsub.connection.is_connected:
            return
        try:
            await pubsub.execute_command(*command)
        except _REDIS_ERRORS as exc:
            # The reader sees the same failure on its next read and reconnects.
            logger.debug("redis broker: %s failed: %r", command[0], exc)
        except _TORN_DOWN as exc:
            if not _torn_down(pubsub):
                raise  # the connection is fine: a bug, let it show
            logger.debug("redis broker: %s on a closed connection: %r", command[0], exc)

    async def _read_forever(self) -> None:
        delay = INITIAL_BACKOFF
        outage = False
        while True:
            pubsub = self._subscriber.pubsub()
            try:
                await pubsub.connect()
                # Publish the connection and snapshot the channels with no await in
                # between: a subscribe() after this point sends its own SUBSCRIBE.
                self._pubsub = pubsub
                self._connected.set()
                channels = sorted(self._channels)
                if channels:
                    await pubsub.execute_command("SUBSCRIBE", *channels)
                if outage:
                    logger.info(
                        "redis broker: reconnected to %s, %d channel(s) re-subscribed",
                        redact(self._url),
                        len(channels),
                    )
                    # Publishes during the outage are gone: tell the hub so sockets resync.
                    self._queue.put_nowait((RESYNC_CHANNEL, ""))
                outage = False
                delay = INITIAL_BACKOFF
                while True:
                    self._handle(await pubsub.get_message(timeout=None))
            except _REDIS_ERRORS as exc:
                if not outage:
                    logger.warning(
                        "redis broker: pub/sub connection to %s lost (%r); reconnecting",
                        redact(self._url),
                        exc,
                    )
                outage = True
            except Exception:
                # Never let the reader die: a dead reader silently stops all delivery.
                logger.exception("redis broker: unexpected error in the reader")
                outage = True
            finally:
                self._pubsub = None
                self._connected.clear()
                with contextlib.suppress(_REDIS_ERRORS):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)

    def _handle(self, message: dict[str, Any] | None) -> None:
        if message is None:
            return
        kind = message["type"]
        channel = message["channel"]
        if kind == "message" and channel == RESYNC_BROADCAST:
            self._queue.put_nowait((RESYNC_CHANNEL, message["data"]))
        elif kind == "message":
            # Filter: an UNSUBSCRIBE may still be in flight, and unsubscribe() promises
            # that delivery stops when it returns.
            if channel in self._channels:
                self._queue.put_nowait((channel, message["data"]))
        elif kind == "subscribe":
            future = self._pending.pop(channel, None)
            if future is not None and not future.done():
                future.set_result(None)

    async def _close_clients(self) -> None:
        for client in (self._client, self._subscriber):
            with contextlib.suppress(_REDIS_ERRORS):
                await client.aclose()

    def _check_open(self) -> None:
        if self._closed:
            raise BrokerUnavailable("Redis broker is closed")


async def _cancel_and_wait(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` and wait for it to end, cancelling again if a cancellation is lost.

    On Python 3.11 ``asyncio.wait_for`` (used inside redis-py's connect) can swallow a
    cancellation that races with the completion of what it waits for; the reader would
    then block in its next read forever. Repeating the cancel makes closing reliable.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=0.1)
    if not task.cancelled() and task.exception() is not None:
        logger.error("redis broker: reader ended with %r", task.exception())
