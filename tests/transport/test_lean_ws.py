"""The minimal queue and event of the lean websocket protocol (transport/lean_ws.py)."""

from __future__ import annotations

import asyncio

import pytest

from chat_server.transport.lean_ws import _Flag, _Inbound


async def test_inbound_is_fifo_and_wakes_one_getter_per_item() -> None:
    queue = _Inbound()
    assert queue.empty() and queue.qsize() == 0
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert await queue.get() == 1 and await queue.get() == 2
    assert queue.empty() and queue._items is None  # no buffer while empty

    getters = [asyncio.create_task(queue.get()) for _ in range(3)]
    await asyncio.sleep(0)
    for item in "abc":
        queue.put_nowait(item)
    assert sorted(await asyncio.gather(*getters)) == ["a", "b", "c"]


async def test_inbound_getter_cancelled_after_its_wakeup_passes_it_on() -> None:
    queue = _Inbound()
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("x")  # wakes the first getter...
    first.cancel()  # ...which is cancelled before it runs
    assert await asyncio.wait_for(second, 1) == "x"


async def test_inbound_get_times_out_cleanly() -> None:
    queue = _Inbound()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.get(), 0.01)
    queue.put_nowait("later")
    assert await asyncio.wait_for(queue.get(), 1) == "later"


async def test_flag_waits_only_while_clear() -> None:
    flag = _Flag()
    assert flag.is_set() and await flag.wait()
    flag.clear()
    waiters = [asyncio.create_task(flag.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    assert await asyncio.gather(*waiters) == [True, True]
    assert flag._waiters is None
