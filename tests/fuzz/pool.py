"""A pool of live visitor and console sockets that fuzz frames are spread over.

Each socket paces itself under the server's per-socket limit (20 frames/s, burst 40), so the
fuzz run measures the protocol, not the rate limiter. After its share of a batch every socket
sends a probe (a frame of an unknown type) and must get the matching ``unknown_type`` error
back: a socket that does not answer is stuck, and that is a finding.

Hostile text (lone surrogates, NUL, non-characters, huge grapheme clusters: tests/fuzz/frames.py)
must be stored or refused, never lose the socket: a close is a finding, as is a ``bad_field``
error that does not name its field, or any text the server sends that no database could have
stored (a lone surrogate or a NUL: it would have to come from storage or an echo).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from chat_server.demo_world import DEMO_SITE_KEY
from tests.support.pacing import Pacer

ERROR_CODES = {
    "bad_frame", "unknown_type", "bad_field", "too_long", "no_conversation", "not_allowed",
    "taken", "closed", "unavailable", "rate_limited",
}  # fmt: skip


# A regex search runs in C: replies carry transcripts of 10,000-code-point clusters, and a
# Python loop over every character kept the fuzz client's one core busy.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value: Any) -> bool:
    """Whether a decoded frame holds a lone surrogate or a NUL anywhere (keys included)."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


@dataclass
class Stats:
    frames: int = 0
    probes: int = 0
    error_frames: int = 0
    other_frames: int = 0
    reconnects: int = 0
    findings: list[str] = field(default_factory=list)


class FuzzSocket:
    def __init__(self, kind: str, url: str, origin: str, cookie: str | None, stats: Stats) -> None:
        self.kind, self.url, self.origin, self.cookie, self.stats = kind, url, origin, cookie, stats
        self.socket: ClientConnection | None = None
        self.pacer = Pacer()

    async def open(self) -> None:
        headers = {"Cookie": self.cookie} if self.cookie else None
        self.socket = await connect(
            self.url,
            origin=self.origin,
            additional_headers=headers,
            open_timeout=10,  # type: ignore[arg-type]
            # No keepalive pings of the client's own: websockets draws their payloads from the
            # global ``random``, and hypothesis, drawing the next batch in the other thread,
            # warns that its strategies touched ``random`` (a deprecation that will become an
            # error). The probes after every batch are what find a stuck socket here.
            ping_interval=None,
        )
        if self.kind == "visitor":
            await self.socket.send(
                json.dumps({"type": "hello", "visitor": None, "conversation": None,
                            "last_seq": 0, "page": {}, "vehicle": None})
            )  # fmt: skip
        while (await self._next(10))["type"] != "welcome":
            pass

    async def _next(self, timeout: float) -> dict[str, Any]:
        assert self.socket is not None
        raw = await asyncio.wait_for(self.socket.recv(), timeout)
        frame = json.loads(raw)
        if not isinstance(frame, dict) or "type" not in frame:
            self.stats.findings.append(f"{self.kind}: reply without a type: {raw[:200]!r}")
            return {"type": "?"}
        if _unstorable(frame):
            self.stats.findings.append(f"{self.kind}: unstorable text sent: {raw[:200]!r}")
        if frame["type"] == "error":
            self.stats.error_frames += 1
            if frame.get("code") not in ERROR_CODES or not frame.get("message"):
                self.stats.findings.append(f"{self.kind}: undocumented error frame {frame}")
            elif frame["code"] == "bad_field" and not frame.get("field"):
                self.stats.findings.append(f"{self.kind}: bad_field names no field: {frame}")
        else:
            self.stats.other_frames += 1
        return frame  # type: ignore[no-any-return]

    async def play(self, frames: list[str], probe: str) -> None:
        """Send ``frames`` then the probe; read until the probe's error comes back."""
        try:
            for text in frames:
                await self.pacer.wait()
                assert self.socket is not None
                await self.socket.send(text)
                self.stats.frames += 1
            await self.pacer.wait()
            await self.socket.send(json.dumps({"type": probe}))  # type: ignore[union-attr]
            self.stats.probes += 1
            deadline = time.monotonic() + 15
            while True:
                frame = await self._next(max(0.1, deadline - time.monotonic()))
                if frame["type"] == "error" and probe in frame.get("message", ""):
                    return
        except TimeoutError:
            self.stats.findings.append(f"{self.kind}: stuck, no answer to {probe} after {frames}")
        except ConnectionClosed as closed:
            self.stats.findings.append(
                f"{self.kind}: closed {closed.rcvd.code if closed.rcvd else None} "
                f"{closed.rcvd.reason if closed.rcvd else ''!r} after {frames[-3:]}"
            )
        self.stats.reconnects += 1
        await self.open()


class FuzzPool:
    def __init__(self, base_url: str, cookies: list[str], visitors: int, consoles: int) -> None:
        self.stats = Stats()
        ws = base_url.replace("http://", "ws://")
        visitor_url, console_url = f"{ws}/ws/visitor?site={DEMO_SITE_KEY}", f"{ws}/ws/console"
        self.visitors = [
            FuzzSocket("visitor", visitor_url, base_url, None, self.stats) for _ in range(visitors)
        ]
        self.consoles = [
            FuzzSocket("console", console_url, base_url, cookies[i % len(cookies)], self.stats)
            for i in range(consoles)
        ]
        self._probe = itertools.count()
        self._turn = itertools.count()

    async def open(self) -> None:
        for sock in [*self.visitors, *self.consoles]:
            await sock.open()

    async def close(self) -> None:
        """Close every socket (their keepalive tasks end with them)."""
        for sock in [*self.visitors, *self.consoles]:
            if sock.socket is not None:
                await sock.socket.close()

    async def round(self, visitor_frames: list[str], console_frames: list[str]) -> None:
        """Spread one batch over the sockets, one share per socket, all in parallel."""
        plays = []
        turn = next(self._turn)
        for sockets, frames in ((self.visitors, visitor_frames), (self.consoles, console_frames)):
            # A rotating fifth of the sockets per batch: several frames per probe, and the
            # others refill their rate budget meanwhile.
            size = max(1, len(sockets) // 5)
            start = (turn * size) % len(sockets)
            chosen = (sockets * 2)[start : start + size]
            for i, sock in enumerate(chosen):
                share = frames[i :: len(chosen)]
                if share:
                    plays.append(sock.play(share, f"probe-{next(self._probe)}"))
        await asyncio.gather(*plays)
