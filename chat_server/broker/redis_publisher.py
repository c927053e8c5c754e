"""One publisher per node: every ``PUBLISH`` of the node goes through one queue, drained by
one task that sends what has gathered as a single pipeline on one connection.

Why: a ``PUBLISH`` per call made redis-py open a connection per concurrent publish, and on an
overloaded core those round trips (and connection setups) passed the publish deadline one by
one. A pipeline costs one write and one read per batch, so the busier the node, the bigger
and cheaper the batches.

Guarantees:

* Frames leave in the order they were queued (one queue, one connection, one pipeline at a
  time), so one publisher's frames on a channel arrive in order.
* :meth:`RedisPublisher.publish` returns once Redis took the frame, or once it has waited
  ``timeout`` for that: the frame then stays queued and goes out late, in order. It raises
  :class:`~chat_server.broker.base.BrokerUnavailable` only for a frame that was dropped.
* Every dropped frame (its batch failed, or the queue stayed full for ``timeout``) is
  reported through ``on_lost`` with its channel, so the broker can resync those channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from chat_server.broker.base import BrokerUnavailable

logger = logging.getLogger(__name__)

_REDIS_ERRORS = (RedisError, OSError, TimeoutError)

MAX_QUEUE = 10_000  # frames; at 2,000 msg/s and a few frames each, several seconds of backlog
MAX_BATCH = 1_000  # frames per pipeline: bounds one write and the replies read after it

_Item = tuple[str, str, "asyncio.Future[None]"]


class RedisPublisher:
    """Queues ``(channel, message)`` and publishes them in pipelined batches on ``client``.

    The publisher owns ``client`` (it closes it) and is its only user, so one connection
    carries every publish. Call :meth:`start` inside a running loop and :meth:`aclose` when
    done.
    """

    def __init__(
        self,
        client: Redis,
        *,
        timeout: float,
        on_lost: Callable[[set[str]], None],
        max_queue: int = MAX_QUEUE,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._on_lost = on_lost
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(max_queue)
        self._task: asyncio.Task[None] | None = None
        self._failing = False  # the last batch failed: log the first failure only

    def start(self) -> None:
        self._task = asyncio.create_task(self._drain_forever(), name="redis-publisher")

    async def aclose(self) -> None:
        """Stop the drain task and close the client; frames still queued are dropped."""
        if self._task is not None:
            task, self._task = self._task, None
            # Repeated: on Python 3.11 redis-py's connect can swallow one cancellation.
            while not task.done():
                task.cancel()
                await asyncio.wait([task], timeout=0.1)
        while not self._queue.empty():
            _, _, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(BrokerUnavailable("Redis broker is closed"))
        with contextlib.suppress(*_REDIS_ERRORS):
            await self._client.aclose()

    async def publish(self, channel: str, message: str) -> None:
        """Queue a frame and wait (at most ``timeout`` in all) until Redis has taken it.

        Raises ``BrokerUnavailable`` when the frame was dropped: its batch failed, or the
        queue stayed full for ``timeout``. A frame not yet confirmed by then is not dropped.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        future: asyncio.Future[None] = loop.create_future()
        item = (channel, message, future)
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            # Backpressure: the callers (socket handlers) wait rather than lose frames.
            try:
                async with asyncio.timeout_at(deadline):
                    await self._queue.put(item)
            except TimeoutError:
                self._on_lost({channel})
                raise BrokerUnavailable("Redis publish queue full") from None
        try:
            # wait() does not cancel the future when it gives up: the frame stays queued.
            await asyncio.wait((future,), timeout=max(0.0, deadline - loop.time()))
            if future.done():
                future.result()  # raises BrokerUnavailable if its batch failed
        finally:
            # Nobody reads the outcome any more; a cancelled future is skipped, not failed.
            future.cancel()

    async def _drain_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._send(batch)
            except _REDIS_ERRORS as exc:
                self._fail(batch, exc)
            except Exception as exc:
                # Never let the drain task die: a dead publisher silently stops all delivery.
                logger.exception("redis publisher: unexpected error")
                self._fail(batch, exc)
            else:
                if self._failing:
                    logger.info("redis publisher: publishing again")
                self._failing = False
                for _, _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def _send(self, batch: list[_Item]) -> None:
        pipe = self._client.pipeline(transaction=False)
        for channel, message, _ in batch:
            pipe.publish(channel, message)
        try:
            # A hard cap on top of the socket timeouts: connect + one retry could otherwise
            # add up to twice the timeout against a black-holed host.
            async with asyncio.timeout(self._timeout * 1.5):
                await pipe.execute()
        except BaseException:
            # A batch cut off mid-reply leaves the connection out of step: start afresh.
            with contextlib.suppress(*_REDIS_ERRORS):
                await self._client.connection_pool.disconnect()
            raise
        finally:
            await pipe.reset()

    def _fail(self, batch: list[_Item], exc: BaseException) -> None:
        # Some of the batch may have reached Redis, but which is unknown: all count as lost.
        if not self._failing:
            logger.warning("redis publisher: a batch of %d failed: %r", len(batch), exc)
        self._failing = True
        self._on_lost({channel for channel, _, _ in batch})
        for _, _, future in batch:
            if not future.done():
                future.set_exception(BrokerUnavailable(f"cannot publish to Redis: {exc!r}"))
