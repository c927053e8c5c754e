"""The broker contract, run against every backend on its real service.

"No delivery" is checked without sleeping: the same node then publishes a marker on a
subscribed channel, and since one publisher's messages arrive in order, anything that was
going to arrive has arrived by the time the marker does.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from chat_server.broker import BrokerUnavailable, RedisBroker, open_broker
from tests.broker.conftest import Backend, Collector, Node
from tests.support.redis_server import redis_server


async def flush(node: Node, publisher: Node | None = None) -> None:
    """Wait until everything ``publisher`` sent so far has reached ``node``."""
    publisher = publisher or node
    marker = f"marker-{time.monotonic_ns()}"
    await node.broker.subscribe("test:marker")
    await publisher.broker.publish("test:marker", marker)
    await node.received.wait_for(lambda: marker in node.received.on("test:marker"))


async def test_publish_reaches_subscriber(node: Node) -> None:
    await node.broker.subscribe("conv:1")
    await node.broker.publish("conv:1", "hello")
    assert await node.received.wait_count("conv:1", 1) == ["hello"]


async def test_no_delivery_on_unsubscribed_channel(node: Node) -> None:
    await node.broker.subscribe("conv:1")
    await node.broker.publish("conv:2", "not for you")
    await node.broker.publish("conv:1", "for you")
    await node.received.wait_count("conv:1", 1)
    await flush(node)
    assert node.received.on("conv:2") == []


async def test_per_channel_order_of_1000_messages(node: Node) -> None:
    await node.broker.subscribe("conv:a")
    await node.broker.subscribe("conv:b")
    for i in range(1000):
        # Interleaved channels: order must hold per channel, whatever the mix.
        await node.broker.publish("conv:a" if i % 3 else "conv:b", str(i))
    expected_a = [str(i) for i in range(1000) if i % 3]
    expected_b = [str(i) for i in range(1000) if not i % 3]
    assert await node.received.wait_count("conv:a", len(expected_a)) == expected_a
    assert await node.received.wait_count("conv:b", len(expected_b)) == expected_b


async def test_unsubscribe_stops_delivery(node: Node) -> None:
    await node.broker.subscribe("conv:1")
    await node.broker.publish("conv:1", "before")
    await node.received.wait_count("conv:1", 1)
    await node.broker.unsubscribe("conv:1")
    await node.broker.publish("conv:1", "after")
    await flush(node)
    assert node.received.on("conv:1") == ["before"]


async def test_subscribe_and_unsubscribe_are_idempotent(node: Node) -> None:
    await node.broker.unsubscribe("never-subscribed")
    await node.broker.subscribe("conv:1")
    await node.broker.subscribe("conv:1")
    await node.broker.publish("conv:1", "once")
    await flush(node)
    assert node.received.on("conv:1") == ["once"]
    # Not reference-counted: one unsubscribe undoes any number of subscribes.
    await node.broker.unsubscribe("conv:1")
    await node.broker.unsubscribe("conv:1")
    await node.broker.publish("conv:1", "gone")
    await flush(node)
    assert node.received.on("conv:1") == ["once"]


async def test_resubscribe_after_unsubscribe(node: Node) -> None:
    await node.broker.subscribe("conv:1")
    await node.broker.unsubscribe("conv:1")
    await node.broker.subscribe("conv:1")
    await node.broker.publish("conv:1", "back")
    assert await node.received.wait_count("conv:1", 1) == ["back"]


async def test_concurrent_subscribes_of_one_channel(node: Node) -> None:
    await asyncio.gather(*(node.broker.subscribe("conv:1") for _ in range(5)))
    await node.broker.publish("conv:1", "x")
    await flush(node)
    assert node.received.on("conv:1") == ["x"]


async def test_nodes_see_each_other(backend: Backend) -> None:
    first, second = await backend.node(), await backend.node()
    await first.broker.subscribe("conv:1")
    await second.broker.subscribe("conv:1")
    await first.broker.publish("conv:1", "from first")
    await second.broker.publish("conv:1", "from second")
    for node in (first, second):
        received = await node.received.wait_count("conv:1", 2)
        assert sorted(received) == ["from first", "from second"]
    # A node only receives what it subscribed to, wherever it was published.
    await second.broker.subscribe("conv:only-second")
    await first.broker.publish("conv:only-second", "to second")
    assert await second.received.wait_count("conv:only-second", 1) == ["to second"]
    await flush(first, publisher=first)
    assert first.received.on("conv:only-second") == []


async def test_ping(node: Node) -> None:
    assert await node.broker.ping() is True


async def test_messages_end_and_publish_fails_after_close(backend: Backend) -> None:
    async with open_broker(backend.url) as broker:
        collector = Collector(broker)
        await broker.subscribe("conv:1")
    await collector.wait_for(lambda: collector.ended, timeout=2)
    assert await broker.ping() is False
    with pytest.raises(BrokerUnavailable):
        await broker.publish("conv:1", "too late")


async def test_unknown_scheme_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"must start with memory:// or redis://, got"):
        async with open_broker("amqp://localhost/"):
            pass


# --- Redis only: failures of the real server ----------------------------------------------


async def test_redis_delivery_resumes_after_restart() -> None:
    with redis_server() as server:
        async with open_broker(server.url) as broker, open_broker(server.url) as other:
            received = Collector(broker)
            try:
                await broker.subscribe("conv:1")
                await other.publish("conv:1", "before")
                await broker.publish("conv:1", "own before")
                await received.wait_count("conv:1", 2)

                server.stop()
                server.start()

                # Publish probes until one arrives: what is published before the
                # subscriber has re-subscribed is lost, by design. Publishing itself works
                # at once: a stale pooled connection is replaced on the first attempt.
                started = time.monotonic()
                probe = 0
                while not any(m.startswith("probe") for m in received.on("conv:1")):
                    assert time.monotonic() - started < 5, "delivery did not resume within 5 s"
                    probe += 1
                    await other.publish("conv:1", f"probe {probe}")
                    await asyncio.sleep(0.05)
                await broker.publish("conv:1", "own after")
                await received.wait_for(lambda: "own after" in received.on("conv:1"))
                assert await broker.ping() is True
            finally:
                await received.aclose()


async def test_redis_publish_while_down_raises_quickly() -> None:
    with redis_server() as server:
        async with open_broker(server.url) as broker:
            await broker.subscribe("conv:1")
            server.stop()
            started = time.monotonic()
            with pytest.raises(BrokerUnavailable):
                await broker.publish("conv:1", "lost")
            assert time.monotonic() - started < 3
            assert await broker.ping() is False


async def test_redis_subscribe_while_down_raises_and_recovers() -> None:
    with redis_server() as server:
        async with open_broker(server.url) as broker:
            received = Collector(broker)
            try:
                server.stop()
                started = time.monotonic()
                with pytest.raises(BrokerUnavailable):
                    await broker.subscribe("conv:1")
                assert time.monotonic() - started < 3
                server.start()
                # The failed subscribe left nothing behind; a new one works once Redis is back.
                async with asyncio.timeout(5):
                    while True:
                        try:
                            await broker.subscribe("conv:1")
                            break
                        except BrokerUnavailable:
                            pass
                await broker.publish("conv:1", "after")
                assert await received.wait_count("conv:1", 1) == ["after"]
            finally:
                await received.aclose()


async def test_redis_unreachable_at_open_fails_fast() -> None:
    with redis_server() as server:
        url = server.url
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable, match="cannot reach Redis"):
        async with RedisBroker(url):
            pass
    assert time.monotonic() - started < 3
