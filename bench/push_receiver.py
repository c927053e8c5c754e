"""A stand-in Web Push service for T5: answers every push 201 and notes when it arrived.

It runs on the load generator's event loop (core 1), so its arrival times and the scenario's
send times come from one clock (``time.monotonic_ns``). A push is timed the moment its body has
been read, before anything else is done with it; it is answered 201 Created at once.

Why not tests/support/push_service.py: that one is a checker (VAPID signature, then
decryption, then the clock), on uvicorn in a thread of its own. Its ``received_at`` is read
after the crypto, so the 50th push of a ring would carry the checking of the 49 before it,
and its thread would compete with the load generator for the GIL. Correctness of the pushes is
the tests' job; here only their timing and who they were for matter. The subscriptions are
real ones (a P-256 key pair and an auth secret, as a browser makes), so the server encrypts for
each phone as it would for a real one.

Attribution: a push is filed under its path (which phone) and its ``Topic`` header (the
server sets it to the conversation id, delivery/web_push.py), both readable without crypto.
The scenario decrypts the bodies only after all the rings (``Arrival.payload``), to count just
the pushes that really are that chat's ``ring`` (a ``ring_cancelled`` has the same topic).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Self

import http_ece
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HOST = "127.0.0.1"
PATH = "/push/"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class Phone:
    """One browser's push subscription: ``info`` is what ``PushSubscription.toJSON()`` gives."""

    token: str
    info: dict[str, Any]
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes


@dataclass(frozen=True)
class Arrival:
    token: str  # which phone
    topic: str  # the Topic header ("" when absent)
    at_ns: int  # time.monotonic_ns() once the body was read
    body: bytes

    def payload(self, phone: Phone) -> Any:
        """The decrypted JSON payload (None when it does not decrypt or is not JSON)."""
        try:
            clear = http_ece.decrypt(
                self.body,
                private_key=phone.private_key,
                auth_secret=phone.auth,
                version="aes128gcm",
            )
            return json.loads(clear)
        except Exception:  # http_ece raises ECEException, ValueError, InvalidTag...
            return None


@dataclass
class _Wait:
    count: int
    done: asyncio.Future[None]


class PushReceiver:
    """``async with PushReceiver() as receiver``: serving on a free loopback port."""

    def __init__(self) -> None:
        self.port = 0
        self.phones: dict[str, Phone] = {}
        self.by_topic: dict[str, dict[str, Arrival]] = {}  # topic -> phone -> first push
        self.received = 0  # pushes answered 201
        self.refused = 0  # requests for no known phone (404)
        self.last_ns = 0
        self._waits: dict[str, _Wait] = {}
        self._runner: web.ServerRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def __aenter__(self) -> Self:
        self._runner = web.ServerRunner(web.Server(self._push), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, 0, backlog=512)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def subscribe(self) -> Phone:
        """A new subscription, keyed as a browser keys one: a P-256 pair and 16-byte auth."""
        token = secrets.token_urlsafe(12)
        private_key = ec.generate_private_key(ec.SECP256R1())
        public = private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        auth = secrets.token_bytes(16)
        info = {
            "endpoint": f"{self.url}{PATH}{token}",
            "keys": {"p256dh": _b64url(public), "auth": _b64url(auth)},
        }
        phone = Phone(token, info, private_key, auth)
        self.phones[token] = phone
        return phone

    async def _push(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        at_ns = time.monotonic_ns()  # the clock first: whatever follows is not timed
        token = request.path[len(PATH) :] if request.path.startswith(PATH) else ""
        if request.method != "POST" or token not in self.phones:
            self.refused += 1
            return web.Response(status=404)
        self.received += 1
        self.last_ns = at_ns
        topic = request.headers.get("Topic", "")
        seen = self.by_topic.setdefault(topic, {})
        if token not in seen:
            seen[token] = Arrival(token, topic, at_ns, body)
            wait = self._waits.get(topic)
            if wait is not None and len(seen) >= wait.count and not wait.done.done():
                wait.done.set_result(None)
        return web.Response(status=201, headers={"Location": f"{self.url}/message/{self.received}"})

    async def wait_for(self, topic: str, count: int, timeout: float) -> bool:
        """Whether ``count`` phones got a push with ``topic`` within ``timeout`` seconds."""
        if len(self.by_topic.get(topic, {})) >= count:
            return True
        wait = self._waits[topic] = _Wait(count, asyncio.get_running_loop().create_future())
        try:
            await asyncio.wait_for(wait.done, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self._waits.pop(topic, None)

    async def settle(self, quiet_s: float, timeout: float) -> float:
        """Wait until no push has arrived for ``quiet_s`` (at most ``timeout``); seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            idle_s = (time.monotonic_ns() - self.last_ns) / 1e9
            if idle_s >= quiet_s:
                break
            await asyncio.sleep(quiet_s - idle_s)
        return time.monotonic() - started
