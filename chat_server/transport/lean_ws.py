"""uvicorn's sans-I/O websocket protocol, holding less per connection while idle.

Per socket, ``WebSocketsSansIOProtocol`` keeps an ``asyncio.Queue`` (three deques of 64
slots and an ``Event`` with a fourth: about 3 KiB) for what the peer sends, an ``Event`` (a
deque more) for flow control, and the parsed upgrade request and response with their header
maps (about 3 KiB) for the life of the connection. Measured with ``python -m bench.memtrace``
that was over a quarter of an idle shopper socket. This subclass swaps the queue and the event
for minimal ones that hold no buffer while empty (it uses only ``put_nowait``, ``get`` and
``empty`` of the one, ``set``, ``clear`` and ``wait`` of the other) and drops the request and
response once the handshake is done (nothing reads them after the ``websocket.accept``), and
reports a send after uvicorn closed the socket itself as the peer gone, not as a RuntimeError.
Written against uvicorn 0.54's ``websockets_sansio_impl``; the socket tests cover it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class _Inbound:
    """What uvicorn's protocol uses of ``asyncio.Queue``: unbounded, FIFO, fair to getters."""

    __slots__ = ("_getters", "_items")

    def __init__(self) -> None:
        self._items: list[Any] | None = None
        self._getters: list[asyncio.Future[None]] | None = None

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = [item]
        else:
            self._items.append(item)
        self._wake_next()

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    async def get(self) -> Any:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                if self._getters and getter in self._getters:
                    self._getters.remove(getter)
                elif self._items:
                    self._wake_next()  # woken, then cancelled: pass it on, as asyncio.Queue does
                raise
        item = self._items.pop(0)
        if not self._items:
            self._items = None
        return item

    def _wake_next(self) -> None:
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                return


class _Flag:
    """What uvicorn's protocol uses of ``asyncio.Event``, with no deque until someone waits."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True  # uvicorn starts writable
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    """``ws=`` for uvicorn: the sans-I/O implementation with a smaller idle footprint."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Inbound()  # type: ignore[assignment]
        self.writable = _Flag()  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        if self.close_sent and message["type"] == "websocket.send":
            # uvicorn closed this socket itself (a keepalive ping the peer did not answer in
            # time, a frame it could not parse) while the app was still sending, say a welcome
            # on a busy machine. Its own send raises a RuntimeError then; for the app this is
            # a peer that went away, which Starlette reports as ``WebSocketDisconnect``.
            raise ClientDisconnected()
        await super().send(message)
        if self.handshake_complete and getattr(self, "response", None) is not None:
            # Only the accept (or a refusal) reads these; nothing does once the handshake is
            # over, and they hold the whole upgrade request's headers. websockets' parser
            # keeps the request alive in its generator's frame, so its headers are emptied
            # too (the ASGI scope has its own copy).
            self.request.headers.clear()
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]
