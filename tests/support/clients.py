"""Protocol clients for tests: a shopper's socket and a signed-in operator's console socket."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from chat_server.demo_world import DEMO_PASSWORD, DEMO_SITE_KEY


class FrameClient:
    """A websocket speaking JSON frames, with helpers to wait for a frame of some type."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.seen: list[dict[str, Any]] = []
        # Frames read past by ``expect_keeping``: ``recv`` hands them out again first, in order.
        self.unread: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(frame))

    async def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        if self.unread:
            return self.unread.pop(0)
        frame = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
        self.seen.append(frame)
        return frame

    async def expect(self, kind: str, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
        """Read frames until one of ``kind`` whose fields match; fail after ``timeout``."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            remaining = end - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {kind} frame with {fields}; saw {self.seen[-10:]}")
            try:
                frame = await self.recv(remaining)
            except TimeoutError:
                raise AssertionError(
                    f"no {kind} frame with {fields}; saw {self.seen[-10:]}"
                ) from None
            if frame.get("type") == kind and all(frame.get(k) == v for k, v in fields.items()):
                return frame

    async def expect_keeping(
        self, kind: str, timeout: float = 10.0, **fields: Any
    ) -> dict[str, Any]:
        """Like ``expect``, but the frames read past stay unread for the next ``expect``.

        The protocol does not order an ack against the broadcast frames of the same step (a
        message's echo or a status may overtake its ack), so a test waiting for the ack must
        not throw those away.
        """
        skipped: list[dict[str, Any]] = []
        try:
            while True:
                frame = await self.expect_any(timeout)
                if frame.get("type") == kind and all(frame.get(k) == v for k, v in fields.items()):
                    return frame
                skipped.append(frame)
        finally:
            self.unread[:0] = skipped

    async def expect_any(self, timeout: float = 10.0) -> dict[str, Any]:
        try:
            return await self.recv(timeout)
        except TimeoutError:
            raise AssertionError(f"no frame within {timeout} s; saw {self.seen[-10:]}") from None

    async def close(self) -> None:
        await self.socket.close()


async def visitor(
    base_ws: str,
    origin: str,
    *,
    site: str = DEMO_SITE_KEY,
    token: str | None = None,
    conversation: str | None = None,
    last_seq: int = 0,
) -> tuple[FrameClient, dict[str, Any]]:
    socket = await connect(f"{base_ws}/ws/visitor?site={site}", origin=origin)  # type: ignore[arg-type]
    client = FrameClient(socket)
    await client.send(
        {
            "type": "hello",
            "visitor": token,
            "conversation": conversation,
            "last_seq": last_seq,
            "page": {"url": f"{origin}/", "title": "2024 Toyota RAV4", "referrer": ""},
            "vehicle": {"vin": "2T3P1RFV8RC123456", "year": 2024, "make": "Toyota"},
        }
    )
    welcome = await client.expect("welcome")
    return client, welcome


def new_client_id() -> str:
    return uuid.uuid4().hex


async def sign_in_cookie(base_url: str, email: str, password: str = DEMO_PASSWORD) -> str:
    # argon2 verification is slow on purpose, and slower still on a busy machine.
    async with httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=30) as http:
        page = await http.get("/console/sign-in")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf, "sign-in form has no CSRF token"
        response = await http.post(
            "/console/sign-in",
            data={"email": email, "password": password, "csrf_token": csrf.group(1)},
        )
        assert response.status_code == 303, response.text
        return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


async def console(base_url: str, email: str) -> tuple[FrameClient, dict[str, Any]]:
    cookie = await sign_in_cookie(base_url, email)
    ws_url = base_url.replace("http://", "ws://") + "/ws/console"
    socket = await connect(
        ws_url,
        origin=base_url,
        additional_headers={"Cookie": cookie},  # type: ignore[arg-type]
    )
    client = FrameClient(socket)
    welcome = await client.expect("welcome")
    return client, welcome
