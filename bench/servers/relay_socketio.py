"""P1: the same relay on python-socketio, an ASGI app under uvicorn.

uvicorn runs with the settings dealer-chat uses (websockets sans-I/O, no per-message deflate,
64 KiB frames), so the difference measured is the application layer. Events: ``join`` (room)
answered by ``joined``; ``message`` ({room, body}) emitted to the room's other members.

    python -m bench.servers.relay_socketio --port 8102
"""

from __future__ import annotations

import argparse
from typing import Any

import socketio
import uvicorn

from bench.system import raise_open_file_limit

MAX_FRAME_BYTES = 64 * 1024


def create_app() -> socketio.ASGIApp:
    sio = socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins="*",
        transports=["websocket"],
        http_compression=False,
        max_http_buffer_size=MAX_FRAME_BYTES,
    )

    @sio.on("join")  # type: ignore[misc]
    async def join(sid: str, room: Any) -> None:
        if isinstance(room, str):
            await sio.enter_room(sid, room)
            await sio.emit("joined", room, to=sid)

    @sio.on("message")  # type: ignore[misc]
    async def message(sid: str, data: Any) -> None:
        if isinstance(data, dict) and isinstance(data.get("room"), str):
            await sio.emit("message", data, room=data["room"], skip_sid=sid)

    return socketio.ASGIApp(sio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    raise_open_file_limit()
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=MAX_FRAME_BYTES,
        log_level="warning",
        lifespan="off",
    )


if __name__ == "__main__":
    main()
