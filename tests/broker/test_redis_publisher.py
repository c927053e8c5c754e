"""The Redis broker's pipelined publisher and its proportionate resync, on a real redis-server.

A dropped publish must resync only the sockets on the channels that lost a frame, on every
node; a publish that is merely slow must not resync anything; a Redis outage still resyncs
every socket of every node whose pub/sub connection broke.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from chat_server.broker import BrokerUnavailable, Hub, Inbox, RedisBroker, open_broker
from chat_server.broker.base import RESYNC_CHANNEL
from chat_server.broker.redis_publisher import RedisPublisher
from tests.broker.conftest import Collector
from tests.support.redis_server import RedisServer, redis_server


async def _client_count(url: str) -> int:
    async with Redis.from_url(url, decode_responses=True) as admin:
        listing = await admin.execute_command("CLIENT LIST")
        if isinstance(listing, list):  # some redis-py versions parse it
            return len(listing) - 1
        return len(str(listing).strip().splitlines()) - 1  # minus this admin connection


def _patch_send(
    broker: RedisBroker, replacement: Callable[[Any, Any], Awaitable[None]]
) -> Callable[[Any], Awaitable[None]]:
    """Swap the publisher's batch sender for ``replacement(original, batch)``."""
    publisher: RedisPublisher = broker._publisher
    original = publisher._send

    async def send(batch: Any) -> None:
        await replacement(original, batch)

    publisher._send = send  # type: ignore[method-assign]
    return original


async def test_concurrent_publishes_share_one_connection(redis_srv: RedisServer) -> None:
    async with open_broker(redis_srv.url) as broker:
        received = Collector(broker)
        try:
            await broker.subscribe("conv:1")
            await broker.publish("conv:1", "warm-up")  # the publisher's connection opens
            before = await _client_count(redis_srv.url)
            await asyncio.gather(*(broker.publish("conv:1", f"m{i}") for i in range(500)))
            assert await _client_count(redis_srv.url) == before
            await received.wait_count("conv:1", 501)
        finally:
            await received.aclose()


async def test_per_channel_order_under_concurrency(redis_srv: RedisServer) -> None:
    async with open_broker(redis_srv.url) as sender, open_broker(redis_srv.url) as receiver:
        received = Collector(receiver)
        try:
            channels = [f"conv:{n}" for n in range(20)]
            for channel in channels:
                await receiver.subscribe(channel)

            async def talk(channel: str) -> None:
                for i in range(100):
                    await sender.publish(channel, str(i))

            await asyncio.gather(*(talk(channel) for channel in channels))
            for channel in channels:
                got = await received.wait_count(channel, 100)
                assert got == [str(i) for i in range(100)], channel
        finally:
            await received.aclose()


async def test_redis_restart_resyncs_every_socket_and_delivery_resumes() -> None:
    with redis_server() as server:
        async with open_broker(server.url) as broker:
            received = Collector(broker)
            try:
                await broker.subscribe("conv:1")
                await received.wait_for(lambda: (RESYNC_CHANNEL, "") in received.items)
                seen = len(received.items)
                server.stop()
                server.start()
                await received.wait_for(
                    lambda: (RESYNC_CHANNEL, "") in received.items[seen:], timeout=10
                )
                async with asyncio.timeout(5):
                    while "after" not in received.on("conv:1"):
                        # A probe sent before the pub/sub reconnected is lost, by design.
                        with contextlib.suppress(BrokerUnavailable):
                            await broker.publish("conv:1", "after")
                        await asyncio.sleep(0.1)
            finally:
                await received.aclose()


async def test_failed_publish_with_redis_healthy_resyncs_only_its_channel(
    redis_srv: RedisServer,
) -> None:
    async with (
        open_broker(redis_srv.url) as failing,
        open_broker(redis_srv.url) as other,
        Hub(other) as hub,
    ):
        on_a, on_b = Inbox(), Inbox()
        await hub.join("conv:a", on_a)
        await hub.join("conv:b", on_b)
        # Both brokers' start-up announcements (resync everything) are behind us.
        await _drain_until(on_b, "conv:b", hub, "ready")
        await _drain_until(on_a, "conv:a", hub, "ready")
        failures = 0

        async def fail_once(original: Any, batch: Any) -> None:
            nonlocal failures
            if failures == 0:
                failures += 1
                raise TimeoutError("simulated: the loop was too busy to read the reply")
            await original(batch)

        _patch_send(failing, fail_once)  # type: ignore[arg-type]
        with pytest.raises(BrokerUnavailable):
            await failing.publish("conv:a", "lost")
        # Only the socket on conv:a resyncs, on the other node; conv:b is untouched.
        async with asyncio.timeout(5):
            assert await on_a.get() == (RESYNC_CHANNEL, "conv:a")
        await failing.publish("conv:b", "after")
        async with asyncio.timeout(5):
            assert await on_b.get() == ("conv:b", "after")
        assert len(on_b) == 0


async def _drain_until(inbox: Inbox, channel: str, hub: Hub, marker: str) -> list[Any]:
    """Publish ``marker`` on ``channel`` and read ``inbox`` until it arrives."""
    await hub.publish(channel, marker)
    items = []
    async with asyncio.timeout(5):
        while (item := await inbox.get()) != (channel, marker):
            items.append(item)
    return items


async def test_slow_publish_is_late_not_lost_and_resyncs_nothing(
    redis_srv: RedisServer,
) -> None:
    async with RedisBroker(redis_srv.url, timeout=0.2) as slow, open_broker(redis_srv.url) as other:
        received = Collector(other)
        try:
            await other.subscribe("conv:1")
            await slow.publish("conv:1", "first")
            await received.wait_count("conv:1", 1)
            seen = len(received.items)

            async def stall_once(original: Any, batch: Any) -> None:
                # An overloaded node: the drain task gets the CPU only after the caller's cap.
                if batch[0][1] == "slow":
                    await asyncio.sleep(0.6)
                await original(batch)

            _patch_send(slow, stall_once)  # type: ignore[arg-type]
            started = time.monotonic()
            await slow.publish("conv:1", "slow")  # returns at its cap, frame still queued
            assert time.monotonic() - started < 0.6
            await slow.publish("conv:1", "next")
            assert await received.wait_count("conv:1", 3) == ["first", "slow", "next"]
            # One pipeline at a time, in order: once a later frame arrived, the batches of
            # "slow" and "next" are done, and a loss in them would already be on record
            # (the broker notes it at once, and announces it half a second later).
            await slow.publish("conv:1", "barrier")
            assert await received.wait_count("conv:1", 4) == ["first", "slow", "next", "barrier"]
            assert slow._lost == set() and slow._resync_task is None, "a frame was lost"
            assert [c for c, _ in received.items[seen:] if c == RESYNC_CHANNEL] == []
        finally:
            await received.aclose()
