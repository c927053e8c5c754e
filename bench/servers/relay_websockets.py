"""B0: a bare chat relay on ``websockets`` (asyncio server on uvloop, no compression).

In-memory rooms, no persistence: the ceiling for a Python websocket server. A client sends
``{"type": "join", "room"}`` (answered with ``joined``) and ``{"type": "message", "room",
"body"}``, which goes unchanged to every other member of the room.

    python -m bench.servers.relay_websockets --port 8101
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve

from bench.system import raise_open_file_limit

MAX_FRAME_BYTES = 64 * 1024


class Rooms:
    """Room name → its members."""

    def __init__(self) -> None:
        self.members: defaultdict[str, set[ServerConnection]] = defaultdict(set)

    async def handle(self, socket: ServerConnection) -> None:
        joined: set[str] = set()
        try:
            async for text in socket:
                frame = json.loads(text)
                room = frame.get("room")
                if not isinstance(room, str):
                    continue
                if frame.get("type") == "join":
                    self.members[room].add(socket)
                    joined.add(room)
                    await socket.send(json.dumps({"type": "joined", "room": room}))
                elif frame.get("type") == "message":
                    broadcast([m for m in self.members.get(room, ()) if m is not socket], text)
        finally:
            for room in joined:
                members = self.members.get(room)
                if members is not None:
                    members.discard(socket)
                    if not members:
                        del self.members[room]


async def serve_forever(host: str, port: int) -> None:
    rooms = Rooms()
    async with serve(
        rooms.handle,
        host,
        port,
        compression=None,
        max_size=MAX_FRAME_BYTES,
        backlog=2048,  # as uvicorn: a reconnect storm should not overflow the accept queue
    ) as server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    raise_open_file_limit()
    uvloop.run(serve_forever(args.host, args.port))


if __name__ == "__main__":
    main()
