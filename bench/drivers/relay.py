"""Client of B0, the bare websockets relay (bench/servers/relay_websockets.py).

Frames: ``{"type": "join", "room"}`` answered by ``joined``; ``{"type": "message", "room",
"body"}`` relayed as-is to the room's other members.
"""

from __future__ import annotations

import json
from typing import Any

from bench.drivers.base import CHAT, Driver
from bench.peer import Decoded, Peer

CONSOLE_ROOM = "consoles"


def decode(peer: Peer, text: str) -> Decoded:
    frame: dict[str, Any] = json.loads(text)
    kind = frame.get("type")
    if kind == "message":
        return CHAT, frame.get("body")
    return str(kind), frame


class RelayDriver(Driver):
    async def _joined(self, room: str) -> Peer:
        peer = await self.dialer.open(self.ws_url + "/", decode)
        peer.state["room"] = room
        joined = peer.want("joined")
        await peer.send(json.dumps({"type": "join", "room": room}))
        await joined
        return peer

    async def visitor(self, room: str) -> Peer:
        return await self._joined(room)

    async def reconnect(self, peer: Peer) -> Peer:
        return await self._joined(peer.state["room"])

    async def chat_pair(self, room: str) -> tuple[Peer, Peer]:
        return await self._joined(room), await self._joined(room)

    def chat_text(self, sender: Peer, body: str, seq: int) -> str:
        return json.dumps({"type": "message", "room": sender.state["room"], "body": body})

    async def consoles(self, count: int) -> list[Peer]:
        return [await self._joined(CONSOLE_ROOM) for _ in range(count)]

    async def start_chat(self, visitor: Peer, body: str, trial: int) -> None:
        await visitor.send(json.dumps({"type": "message", "room": CONSOLE_ROOM, "body": body}))
