"""The Hub: local fan-out over one broker subscription per channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from chat_server.broker import Hub, Inbox, InboxOverflow, MemoryBroker
from tests.broker.conftest import Backend


class RecordingBroker(MemoryBroker):
    """A memory broker that records the (un)subscribe calls the hub makes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    async def subscribe(self, channel: str) -> None:
        self.calls.append(("subscribe", channel))
        await asyncio.sleep(0)  # a real broker yields here; let concurrent joins interleave
        await super().subscribe(channel)

    async def unsubscribe(self, channel: str) -> None:
        self.calls.append(("unsubscribe", channel))
        await asyncio.sleep(0)
        await super().unsubscribe(channel)


@pytest.fixture
async def broker() -> AsyncIterator[RecordingBroker]:
    async with RecordingBroker() as broker:
        yield broker


@pytest.fixture
async def hub(broker: RecordingBroker) -> AsyncIterator[Hub]:
    async with Hub(broker) as hub:
        yield hub


async def get(inbox: Inbox, timeout: float = 2.0) -> tuple[str, str]:
    async with asyncio.timeout(timeout):
        return await inbox.get()


async def settle(hub: Hub, inbox: Inbox) -> None:
    """Wait until the pump has delivered everything published so far (via a marker)."""
    await hub.join("test:marker", inbox)
    await hub.publish("test:marker", "marker")
    while (await get(inbox)) != ("test:marker", "marker"):
        pass


async def test_fan_out_to_every_joined_inbox(hub: Hub) -> None:
    inboxes = [Inbox() for _ in range(3)]
    bystander = Inbox()
    for inbox in inboxes:
        await hub.join("conv:1", inbox)
    await hub.join("conv:2", bystander)
    await hub.publish("conv:1", "hello")
    await hub.publish("conv:1", "again")
    for inbox in inboxes:
        assert await get(inbox) == ("conv:1", "hello")
        assert await get(inbox) == ("conv:1", "again")
    await settle(hub, bystander)
    assert len(bystander) == 0


async def test_subscription_is_reference_counted(hub: Hub, broker: RecordingBroker) -> None:
    first, second = Inbox(), Inbox()
    await hub.join("conv:1", first)
    await hub.join("conv:1", second)
    await hub.join("conv:1", second)  # joining twice is harmless
    assert broker.calls == [("subscribe", "conv:1")]

    await hub.leave("conv:1", first)
    assert broker.calls == [("subscribe", "conv:1")]
    await hub.publish("conv:1", "still here")
    assert await get(second) == ("conv:1", "still here")

    await hub.leave("conv:1", second)
    await hub.leave("conv:1", second)  # leaving twice is harmless
    assert broker.calls == [("subscribe", "conv:1"), ("unsubscribe", "conv:1")]

    # Rejoining after the last leave subscribes again.
    await hub.join("conv:1", first)
    assert broker.calls[-1] == ("subscribe", "conv:1")
    await hub.publish("conv:1", "back")
    assert await get(first) == ("conv:1", "back")


async def test_concurrent_joins_subscribe_once(hub: Hub, broker: RecordingBroker) -> None:
    inboxes = [Inbox() for _ in range(10)]
    await asyncio.gather(*(hub.join("conv:1", inbox) for inbox in inboxes))
    assert broker.calls == [("subscribe", "conv:1")]
    await hub.publish("conv:1", "all")
    for inbox in inboxes:
        assert await get(inbox) == ("conv:1", "all")


async def test_join_racing_last_leave_ends_subscribed(hub: Hub, broker: RecordingBroker) -> None:
    leaver, joiner = Inbox(), Inbox()
    await hub.join("conv:1", leaver)
    await asyncio.gather(hub.leave("conv:1", leaver), hub.join("conv:1", joiner))
    assert broker.calls == [
        ("subscribe", "conv:1"),
        ("unsubscribe", "conv:1"),
        ("subscribe", "conv:1"),
    ]
    await hub.publish("conv:1", "after the race")
    assert await get(joiner) == ("conv:1", "after the race")


async def test_slow_inbox_overflows_without_delaying_others(hub: Hub) -> None:
    slow, fast = Inbox(maxsize=10), Inbox(maxsize=1000)
    await hub.join("conv:1", slow)
    await hub.join("conv:1", fast)

    received: list[str] = []

    async def read_fast() -> None:
        while len(received) < 100:
            received.append((await fast.get())[1])

    reader = asyncio.create_task(read_fast())
    for i in range(100):
        await hub.publish("conv:1", str(i))
    # Nobody reads the slow inbox; the fast one still gets everything, in order, promptly.
    async with asyncio.timeout(2):
        await reader
    assert received == [str(i) for i in range(100)]
    assert fast.overflowed is False
    assert slow.overflowed is True
    with pytest.raises(InboxOverflow):
        await get(slow)


async def test_overflow_wakes_a_waiting_get() -> None:
    inbox = Inbox(maxsize=1)
    inbox.put_nowait("conv:1", "a")
    assert await get(inbox) == ("conv:1", "a")
    waiter = asyncio.create_task(get(inbox))
    await asyncio.sleep(0)
    inbox.put_nowait("conv:1", "b")
    inbox.put_nowait("conv:1", "c")  # the waiter has not run yet: the inbox is full
    with pytest.raises(InboxOverflow):
        await waiter
    inbox.put_nowait("conv:1", "d")  # still never raises
    assert inbox.overflowed


def test_overflow_calls_its_hook_once_without_a_reader() -> None:
    # The owner may be stuck in a send and never call get(): the hook is its only news.
    calls: list[int] = []
    inbox = Inbox(maxsize=2, on_overflow=lambda: calls.append(len(inbox)))
    for message in "abcde":
        inbox.put_nowait("conv:1", message)
    assert calls == [0]  # once, after the backlog was dropped
    assert inbox.overflowed


async def test_leave_all(hub: Hub, broker: RecordingBroker) -> None:
    leaving, staying = Inbox(), Inbox()
    for channel in ("conv:1", "conv:2", "conv:3"):
        await hub.join(channel, leaving)
    await hub.join("conv:2", staying)

    await hub.leave_all(leaving)
    assert hub.channels_of(leaving) == frozenset()
    assert sorted(c for op, c in broker.calls if op == "unsubscribe") == ["conv:1", "conv:3"]

    for channel in ("conv:1", "conv:2", "conv:3"):
        await hub.publish(channel, "after")
    assert await get(staying) == ("conv:2", "after")
    await settle(hub, staying)
    assert len(leaving) == 0
    await hub.leave_all(leaving)  # idempotent


async def test_exit_stops_the_pump_and_unsubscribes(broker: RecordingBroker) -> None:
    inbox = Inbox()
    async with Hub(broker) as hub:
        await hub.join("conv:1", inbox)
    assert broker.calls == [("subscribe", "conv:1"), ("unsubscribe", "conv:1")]
    await broker.publish("conv:1", "nobody listens")
    assert len(inbox) == 0


async def test_hub_over_two_nodes(backend: Backend) -> None:
    """Hubs on two nodes of one backend: a message reaches sockets on both nodes."""
    node_a, node_b = await backend.broker(), await backend.broker()
    async with Hub(node_a) as a, Hub(node_b) as b:
        on_a, also_on_a, on_b = Inbox(), Inbox(), Inbox()
        await a.join("conv:1", on_a)
        await a.join("conv:1", also_on_a)
        await b.join("conv:1", on_b)
        for i in range(50):
            await (a if i % 2 else b).publish("conv:1", str(i))
        for inbox in (on_a, also_on_a, on_b):
            got = [(await get(inbox))[1] for _ in range(50)]
            # Per publisher, order holds; across the two publishers it may interleave.
            assert [m for m in got if int(m) % 2] == [str(i) for i in range(1, 50, 2)]
            assert [m for m in got if not int(m) % 2] == [str(i) for i in range(0, 50, 2)]


# --- shared-prefix channels (many, mostly silent: one per shopper) ----------------------


async def test_shared_channels_ride_one_broker_subscription(broker: RecordingBroker) -> None:
    async with Hub(broker, shared=("visitor:",)) as hub:
        tabs = [Inbox() for _ in range(3)]
        other = Inbox()
        for tab in tabs:
            await hub.join("visitor:ann", tab)
        await hub.join("visitor:bob", other)
        await hub.join("conv:1", other)  # ordinary channels are unaffected
        assert broker.calls == [("subscribe", "visitor:*"), ("subscribe", "conv:1")]
        assert hub.channels_of(other) == frozenset({"visitor:bob", "conv:1"})

        await hub.publish("visitor:ann", "started c1")
        for tab in tabs:
            assert await get(tab) == ("visitor:ann", "started c1")
        await hub.publish("visitor:bob", "line\nbreaks survive")
        assert await get(other) == ("visitor:bob", "line\nbreaks survive")

        await hub.leave("visitor:ann", tabs[0])
        await hub.leave("visitor:ann", tabs[0])  # idempotent
        await hub.leave_all(tabs[1])
        await hub.publish("visitor:ann", "only the last tab")
        assert await get(tabs[2]) == ("visitor:ann", "only the last tab")
        await settle(hub, tabs[0])
        assert len(tabs[1]) == 0
        # Leaving never unsubscribes the shared carrier, which every shopper needs.
        await hub.leave_all(tabs[2])
        await hub.leave_all(other)
        assert ("unsubscribe", "visitor:*") not in broker.calls
    assert ("unsubscribe", "visitor:*") in broker.calls


async def test_shared_channels_over_two_nodes(backend: Backend) -> None:
    node_a, node_b = await backend.broker(), await backend.broker()
    async with Hub(node_a, shared=("visitor:",)) as a, Hub(node_b, shared=("visitor:",)) as b:
        tab_on_a, tab_on_b, bystander = Inbox(), Inbox(), Inbox()
        await a.join("visitor:ann", tab_on_a)
        await b.join("visitor:ann", tab_on_b)
        await b.join("visitor:bob", bystander)
        await a.publish("visitor:ann", "from a")
        assert await get(tab_on_a) == ("visitor:ann", "from a")
        assert await get(tab_on_b) == ("visitor:ann", "from a")
        await b.publish("visitor:bob", "for bob")
        assert await get(bystander) == ("visitor:bob", "for bob")
        assert len(tab_on_a) == 0 and len(tab_on_b) == 0


async def test_on_ready_and_an_idle_inbox_holds_no_buffer(hub: Hub) -> None:
    woken: list[int] = []
    inbox = Inbox(on_ready=lambda: woken.append(len(inbox)))
    await hub.join("conv:1", inbox)
    assert inbox.get_nowait() is None and inbox._items is None
    await hub.publish("conv:1", "a")
    await hub.publish("conv:1", "b")
    await settle(hub, Inbox())
    assert woken == [1, 2]
    assert inbox.get_nowait() == ("conv:1", "a")
    assert inbox.get_nowait() == ("conv:1", "b")
    assert inbox.get_nowait() is None and inbox._items is None
