"""Client of P1, the relay on python-socketio (bench/servers/relay_socketio.py).

A minimal Engine.IO v4 / Socket.IO v5 client straight over the websocket transport, so the
load generator is the same code for every target: ``40`` connects the default namespace,
``42["event", data]`` carries events, and the server's ping ``2`` is answered with ``3``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bench.drivers.base import CHAT, Driver
from bench.peer import Decoded, Peer

CONSOLE_ROOM = "consoles"
PATH = "/socket.io/?EIO=4&transport=websocket"


def decode(peer: Peer, text: str) -> Decoded:
    if text == "2":  # Engine.IO ping: answer or be disconnected after pingTimeout
        task = asyncio.ensure_future(peer.send("3"))
        peer.state["pong"] = task  # keep a reference until it is done
        return None
    if text.startswith("42"):
        event, *rest = json.loads(text[2:])
        data: Any = rest[0] if rest else None
        if event == "message":
            return CHAT, data.get("body") if isinstance(data, dict) else None
        return str(event), data
    if text.startswith("40"):
        return "connected", text[2:]
    if text.startswith("0"):
        return "open", text[1:]
    return None


def event(name: str, data: Any) -> str:
    return "42" + json.dumps([name, data])


class SocketIODriver(Driver):
    async def _joined(self, room: str) -> Peer:
        peer = await self.dialer.open(self.ws_url + PATH, decode)
        peer.state["room"] = room
        connected = peer.want("connected")
        await peer.send("40")
        await connected
        joined = peer.want("joined")
        await peer.send(event("join", room))
        await joined
        return peer

    async def visitor(self, room: str) -> Peer:
        return await self._joined(room)

    async def reconnect(self, peer: Peer) -> Peer:
        return await self._joined(peer.state["room"])

    async def chat_pair(self, room: str) -> tuple[Peer, Peer]:
        return await self._joined(room), await self._joined(room)

    def chat_text(self, sender: Peer, body: str, seq: int) -> str:
        return event("message", {"room": sender.state["room"], "body": body})

    async def consoles(self, count: int) -> list[Peer]:
        return [await self._joined(CONSOLE_ROOM) for _ in range(count)]

    async def start_chat(self, visitor: Peer, body: str, trial: int) -> None:
        await visitor.send(event("message", {"room": CONSOLE_ROOM, "body": body}))
