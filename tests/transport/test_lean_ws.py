"""The lean websocket protocol (transport/lean_ws.py): its minimal queue and event, and a send
after uvicorn closed the socket itself."""

from __future__ import annotations

import asyncio

import pytest
from uvicorn.config import Config
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.server import ServerState

from chat_server.transport.lean_ws import LeanWebSocketProtocol, _Flag, _Inbound


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


async def test_a_send_after_uvicorn_closed_the_socket_is_a_disconnect_not_a_crash() -> None:
    """uvicorn fails a socket itself on a keepalive ping timeout; a send the app was already
    making (a console's welcome, on a busy machine) must read as the peer gone, which
    Starlette turns into ``WebSocketDisconnect``, not as a RuntimeError in the log."""

    async def app(scope: object, receive: object, send: object) -> None:
        return None

    config = Config(app=app, ws=LeanWebSocketProtocol)
    config.load()
    protocol = LeanWebSocketProtocol(config=config, server_state=ServerState(), app_state={})
    protocol.close_sent = True  # what uvicorn sets when it fails the connection itself
    with pytest.raises(ClientDisconnected):
        await protocol.send({"type": "websocket.send", "text": "{}"})
