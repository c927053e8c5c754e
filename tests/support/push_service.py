"""A Web Push service of our own on a loopback port, playing the browser's vendor for tests.

The server under test rings salespeople's phones through Web Push; this stands in for the
push service (FCM, Mozilla autopush, Apple) and for the phone's browser, and is strict where
the real ones are, so a push that works here works there:

- RFC 8030 section 5: a push is a POST to the subscription's endpoint; ``TTL`` is required
  (5.2), ``Urgency`` is one of four words (5.3), ``Topic`` is at most 32 characters of the
  base64url alphabet (5.4); success is 201 Created with a ``Location``.
- RFC 8291 section 4 (with RFC 8188): the body is ``Content-Encoding: aes128gcm``, and it
  is decrypted here with the subscription's private key and auth secret, as the browser
  would; a body the browser could not read is refused rather than counted as delivered.
- RFC 8292 sections 2-4: ``Authorization: vapid t=<JWT>, k=<key>``; the ES256 JWT must
  verify with ``k``, name this origin in ``aud``, expire within 24 hours and carry a
  ``mailto:`` or ``https:`` ``sub``; with ``expected_public_key`` (a restricted
  subscription, 4.2) ``k`` must be the server's published key. Absent or malformed: 401;
  invalid: 403.

Checks run in that order once the token is found (an unknown one: 404). ``respond_with``
and ``delay`` make a subscription's service answer as a failing or slow one would (410 Gone
for an uninstalled app, 429, 500, a hang); a push must still pass every check to get the
programmed answer. The server runs in a thread with its own event loop, so sync and async
tests alike can use it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

import http_ece
import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HOST = "127.0.0.1"
URGENCIES = ("very-low", "low", "normal", "high")
TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
MAX_TOKEN_LIFETIME_S = 24 * 3600  # RFC 8292 section 2


def b64url(data: bytes) -> str:
    """Base64url without padding, as browsers and VAPID write keys."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Refused(Exception):
    """A push this service does not accept: the status it answers and why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status, self.reason = status, reason


@dataclass
class Subscription:
    """One browser's subscription: ``info`` is what ``PushSubscription.toJSON()`` gives."""

    token: str
    info: dict[str, Any]
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def endpoint(self) -> str:
        return str(self.info["endpoint"])


@dataclass(frozen=True)
class Delivery:
    """A push accepted (201) and decrypted; ``headers`` have lower-cased names."""

    token: str
    subscription: Subscription
    headers: dict[str, str]
    ttl: int
    urgency: str | None
    topic: str | None
    payload: bytes
    received_at: float  # time.monotonic()

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass(frozen=True)
class Attempt:
    """Any POST this service answered, with its status; ``reason`` says why when refused."""

    token: str
    status: int
    headers: dict[str, str]
    reason: str
    received_at: float


class PushService:
    """Start with ``with PushService() as service`` (or ``async with``); see the module doc."""

    def __init__(self, expected_public_key: str | None = None) -> None:
        self.expected_key = _unb64url(expected_public_key) if expected_public_key else None
        self.port = 0
        self._subscriptions: dict[str, Subscription] = {}
        self._statuses: dict[str, int] = {}
        self._delays: dict[str, float] = {}
        self._deliveries: list[Delivery] = []
        self._attempts: list[Attempt] = []
        self._rejected: list[Attempt] = []
        self._in_flight = 0
        # Handlers run on the server's thread, tests read from theirs.
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The origin, ``http://127.0.0.1:PORT``: what a VAPID token's ``aud`` must name."""
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Serve on a free port in a thread of its own; return once it accepts connections."""
        # Bound here, so the port is known at once and nobody takes it before uvicorn does.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((HOST, 0))
        self.port = int(sock.getsockname()[1])
        app = Starlette(routes=[Route("/push/{token}", self._push, methods=["POST"])])
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=2
        )
        self._server = server = uvicorn.Server(config)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve([sock])), name="push-service", daemon=True
        )
        self._thread.start()
        end = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > end:
                self.stop()
                sock.close()
                raise RuntimeError("loopback push service did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving; a delayed answer is cut short rather than waited for."""
        self._stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    def subscribe(self) -> Subscription:
        """A new subscription, keyed as a browser keys one: a P-256 pair and 16-byte auth."""
        assert self._server is not None, "start the service first: the endpoint names its port"
        token = secrets.token_urlsafe(16)
        private_key = ec.generate_private_key(ec.SECP256R1())
        public = private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        auth = secrets.token_bytes(16)
        info = {
            "endpoint": f"{self.url}/push/{token}",
            "keys": {"p256dh": b64url(public), "auth": b64url(auth)},
        }
        subscription = Subscription(token, info, private_key, auth)
        with self._lock:
            self._subscriptions[token] = subscription
        return subscription

    def respond_with(self, subscription: Subscription, status: int | None) -> None:
        """Answer later valid pushes to ``subscription`` with ``status`` (None: deliver)."""
        with self._lock:
            if status is None:
                self._statuses.pop(subscription.token, None)
            else:
                self._statuses[subscription.token] = status

    def delay(self, subscription: Subscription, seconds: float) -> None:
        """Hold every later answer to ``subscription`` for ``seconds``."""
        with self._lock:
            self._delays[subscription.token] = seconds

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    @property
    def attempts(self) -> list[Attempt]:
        with self._lock:
            return list(self._attempts)

    @property
    def rejected(self) -> list[Attempt]:
        """Pushes refused by the checks (not the answers ``respond_with`` programmed)."""
        with self._lock:
            return list(self._rejected)

    @property
    def in_flight(self) -> int:
        """Pushes received and not answered yet (held by ``delay``, say)."""
        with self._lock:
            return self._in_flight

    def wait_for(
        self, predicate: Callable[[Delivery], bool] = lambda _: True, timeout: float = 5.0
    ) -> Delivery:
        """The first delivery matching ``predicate``, waiting up to ``timeout`` seconds."""
        end = time.monotonic() + timeout
        while (found := self._first(predicate)) is None:
            if time.monotonic() > end:
                raise AssertionError(self._nothing_matched(timeout))
            time.sleep(0.01)
        return found

    async def wait_for_async(
        self, predicate: Callable[[Delivery], bool] = lambda _: True, timeout: float = 5.0
    ) -> Delivery:
        """``wait_for`` without blocking the caller's event loop."""
        end = time.monotonic() + timeout
        while (found := self._first(predicate)) is None:
            if time.monotonic() > end:
                raise AssertionError(self._nothing_matched(timeout))
            await asyncio.sleep(0.01)
        return found

    def _first(self, predicate: Callable[[Delivery], bool]) -> Delivery | None:
        return next((d for d in self.deliveries if predicate(d)), None)

    def _nothing_matched(self, timeout: float) -> str:
        arrived = [(d.token, d.ttl, d.urgency, d.topic, d.payload[:80]) for d in self.deliveries]
        others = [(a.token, a.status, a.reason) for a in self.attempts if a.status != 201]
        return f"no matching push within {timeout} s; delivered: {arrived}; refused: {others}"

    async def _push(self, request: Request) -> Response:
        with self._lock:
            self._in_flight += 1
        try:
            return await self._answer(request)
        finally:
            with self._lock:
                self._in_flight -= 1

    async def _answer(self, request: Request) -> Response:
        token = request.path_params["token"]
        headers = {name.lower(): value for name, value in request.headers.items()}
        body = await request.body()
        with self._lock:
            subscription = self._subscriptions.get(token)
            delay = self._delays.get(token, 0.0)
            programmed = self._statuses.get(token)
        await self._hold(delay)
        try:
            if subscription is None:
                raise Refused(404, "no such subscription")
            ttl, urgency, topic = _check_headers(headers)
            self._check_vapid(headers.get("authorization"))
            payload = _decrypt(subscription, body)
        except Refused as refused:
            attempt = Attempt(token, refused.status, headers, refused.reason, time.monotonic())
            self._record(attempt, rejected=True)
            return Response(refused.reason, status_code=refused.status)
        if programmed is not None:
            reason = f"respond_with({programmed})"
            self._record(Attempt(token, programmed, headers, reason, time.monotonic()))
            return Response(status_code=programmed)
        now = time.monotonic()
        delivery = Delivery(token, subscription, headers, ttl, urgency, topic, payload, now)
        self._record(Attempt(token, 201, headers, "", now), delivery)
        location = f"{self.url}/message/{secrets.token_urlsafe(12)}"
        return Response(status_code=201, headers={"Location": location})

    async def _hold(self, seconds: float) -> None:
        # In short steps, so that stopping the service does not wait out a long delay.
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self._stopping.is_set():
            await asyncio.sleep(min(0.02, end - time.monotonic()))

    def _record(
        self, attempt: Attempt, delivery: Delivery | None = None, *, rejected: bool = False
    ) -> None:
        with self._lock:
            self._attempts.append(attempt)
            self._deliveries.extend([delivery] if delivery else [])
            self._rejected.extend([attempt] if rejected else [])

    def _check_vapid(self, authorization: str | None) -> None:
        """RFC 8292: raise ``Refused`` unless the header carries a valid token for us."""
        if not authorization:
            raise Refused(401, "no Authorization header")
        scheme, _, rest = authorization.strip().partition(" ")
        if scheme.lower() != "vapid":
            raise Refused(401, f"Authorization scheme {scheme!r} is not vapid")
        params = _auth_params(rest)
        try:
            key_bytes = _unb64url(params["k"])
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key_bytes)
            head_b64, claims_b64, signature_b64 = params["t"].split(".")
            header = json.loads(_unb64url(head_b64))
            claims = json.loads(_unb64url(claims_b64))
            signature = _unb64url(signature_b64)
            if not isinstance(header, dict) or not isinstance(claims, dict):
                raise ValueError("JWT header and claims must be JSON objects")
        except (KeyError, ValueError, binascii.Error) as error:
            raise Refused(401, f"malformed vapid authorization: {error!r}") from None
        if self.expected_key is not None and key_bytes != self.expected_key:
            raise Refused(403, "k is not the application server's key")
        if header.get("alg") != "ES256" or header.get("typ", "JWT") != "JWT":
            raise Refused(403, f"JWT header {header} is not ES256")
        _verify(key, f"{head_b64}.{claims_b64}".encode(), signature)
        _check_claims(claims, self.url)


def _auth_params(text: str) -> dict[str, str]:
    """``t=..., k=...`` (RFC 8292 section 3: comma separated, spaces optional) as a dict."""
    pairs = (part.strip().partition("=") for part in text.split(","))
    return {name.strip().lower(): value.strip() for name, _, value in pairs}


def _check_headers(headers: dict[str, str]) -> tuple[int, str | None, str | None]:
    """RFC 8030 section 5 and RFC 8291 section 4: TTL, Urgency, Topic, Content-Encoding."""
    ttl = headers.get("ttl")
    if ttl is None or not ttl.isascii() or not ttl.isdigit():
        raise Refused(400, f"TTL must be an integer >= 0, got {ttl!r}")
    if headers.get("content-encoding", "").lower() != "aes128gcm":
        raise Refused(415, f"Content-Encoding {headers.get('content-encoding')!r}")
    urgency = headers.get("urgency")
    if urgency is not None and urgency not in URGENCIES:
        raise Refused(400, f"Urgency {urgency!r} is not one of {URGENCIES}")
    topic = headers.get("topic")
    if topic is not None and not TOPIC.fullmatch(topic):
        raise Refused(400, f"Topic {topic!r} is not <= 32 base64url characters")
    return int(ttl), urgency, topic


def _verify(key: ec.EllipticCurvePublicKey, signed: bytes, signature: bytes) -> None:
    # JWS writes ES256 signatures as raw r || s (RFC 7518 section 3.4); cryptography wants DER.
    if len(signature) != 64:
        raise Refused(403, f"ES256 signature of {len(signature)} bytes")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Refused(403, "JWT signature does not verify with k") from None


def _check_claims(claims: dict[str, Any], origin: str) -> None:
    if claims.get("aud") != origin:
        raise Refused(403, f"aud {claims.get('aud')!r} is not {origin}")
    exp, now = claims.get("exp"), time.time()
    if not isinstance(exp, int) or not now < exp <= now + MAX_TOKEN_LIFETIME_S:
        raise Refused(403, f"exp {exp!r} is not within the next 24 hours")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
        raise Refused(403, f"sub {sub!r} is not a mailto: or https: URI")


def _decrypt(subscription: Subscription, body: bytes) -> bytes:
    try:
        return bytes(
            http_ece.decrypt(
                body,
                private_key=subscription.private_key,
                auth_secret=subscription.auth,
                version="aes128gcm",
            )
        )
    except Exception as error:  # http_ece raises ECEException, ValueError, InvalidTag...
        raise Refused(400, f"payload does not decrypt: {error!r}") from None
