"""One client websocket of the load generator, with a reader task and frame waiters.

Every target speaks a different wire format, so a ``Peer`` knows nothing about frames: the
driver's ``decode`` turns each text frame into ``(kind, payload)`` (or None to ignore it),
``on_frame`` handles what the scenario asked for, and ``want(kind)`` gives a future for the
next frame of a kind (registered *before* the action that provokes it, so nothing is missed).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Decoded = tuple[str, Any] | None
Decoder = Callable[["Peer", str], Decoded]

SOURCE_ADDRESSES = 20  # 127.0.0.2 .. 127.0.0.21: about 28k ephemeral ports each


class Dialer:
    """Opens client sockets spread over several loopback source addresses, a bounded few at once."""

    def __init__(self, in_flight: int = 200, addresses: int = SOURCE_ADDRESSES) -> None:
        self.sources = itertools.cycle([f"127.0.0.{2 + n}" for n in range(addresses)])
        self.gate = asyncio.Semaphore(in_flight)

    async def open(
        self,
        url: str,
        decode: Decoder,
        *,
        origin: str | None = None,
        headers: dict[str, str] | None = None,
        attempts: int = 3,
    ) -> Peer:
        async with self.gate:
            for attempt in range(attempts):
                try:
                    socket = await connect(
                        url,
                        origin=origin,  # type: ignore[arg-type]
                        additional_headers=headers,
                        compression=None,
                        max_size=4 * 1024 * 1024,
                        ping_interval=None,
                        open_timeout=60,
                        close_timeout=2,
                        user_agent_header=None,
                        local_addr=(next(self.sources), 0),
                    )
                    return Peer(socket, decode)
                except OSError:
                    if attempt == attempts - 1:
                        raise
                    await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")


class Peer:
    """A connected socket whose reader task feeds waiters and the ``on_frame`` hook."""

    def __init__(self, socket: ClientConnection, decode: Decoder) -> None:
        self.socket = socket
        self.decode = decode
        self.waiters: dict[str, asyncio.Future[Any]] = {}
        self.on_frame: Callable[[str, Any], None] | None = None
        self.state: dict[str, Any] = {}  # per-driver facts (visitor token, room, sid...)
        self.closed = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self._read())

    def want(self, kind: str) -> asyncio.Future[Any]:
        """A future for the next frame of ``kind``; create it before provoking the frame."""
        future = asyncio.get_running_loop().create_future()
        self.waiters[kind] = future
        return future

    async def send(self, text: str) -> None:
        await self.socket.send(text)

    async def _read(self) -> None:
        try:
            async for text in self.socket:
                decoded = self.decode(self, text)  # type: ignore[arg-type]
                if decoded is None:
                    continue
                kind, payload = decoded
                waiter = self.waiters.pop(kind, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(payload)
                if self.on_frame is not None:
                    self.on_frame(kind, payload)
        except ConnectionClosed:
            pass
        finally:
            if not self.closed.done():
                self.closed.set_result(None)
            for waiter in self.waiters.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("socket closed"))
                    waiter.exception()  # mark it retrieved: nobody may be waiting any more
            self.waiters.clear()

    def drop(self) -> None:
        """Vanish like a lost network: reset the TCP connection, no close handshake."""
        transport = self.socket.transport
        if transport is not None:
            transport.abort()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.socket.close()
        self.reader.cancel()
        with contextlib.suppress(BaseException):
            await self.reader


async def close_all(peers: list[Peer], batch: int = 500) -> None:
    """Close many sockets politely, a batch at a time, so neither side is swamped."""
    for start in range(0, len(peers), batch):
        await asyncio.gather(*(p.close() for p in peers[start : start + batch]))
