"""Web Push to operators' devices (RFC 8030, encrypted per RFC 8291, signed per RFC 8292).

A ring's push is sent after the ladder's transaction commits, from a queue of this node's,
so a slow or failing push service never holds up the ladder: ``submit`` only enqueues. The
encryption is pywebpush's and the signature py_vapid's; nothing here does cryptography.

Pushes are not kept in a durable outbox, unlike leads: a ring push matters only while the
ring lasts (its TTL is what is left of the ring), so one lost with a crashed node would be
stale by the time a restarted node could resend it. The console socket rings the same
operator at the same moment anyway.

A push service answering 404 or 410 says the subscription is gone for good (the app was
uninstalled, the permission revoked): the subscription is deleted. Any other failure is
logged, recorded on the subscription (``last_error``) and counted in ``/metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
from pywebpush import WebPusher
from sqlalchemy import delete, select, update

from chat_server.background import stop_task
from chat_server.clock import Clock
from chat_server.delivery.ring_links import accept_path, decline_path, make_token
from chat_server.delivery.vapid_keys import VapidKeys
from chat_server.observability.metrics import Metrics
from chat_server.store.database import Database
from chat_server.store.models import PushSubscription

log = logging.getLogger(__name__)

QUEUE_SIZE = 2000
WORKERS = 4
TIMEOUT_S = 5.0
# A VAPID token is good for up to 24 hours (RFC 8292); sign one per push service for 12 and
# use it for an hour, rather than signing every push.
TOKEN_LIFETIME_S = 12 * 3600
TOKEN_REUSE_S = 3600
# How often a working subscription's ``last_ok_at`` is refreshed: not on every push.
OK_REFRESH = timedelta(hours=1)
GONE = (404, 410)


@dataclass(frozen=True)
class PushJob:
    """One push to every device of ``operators``.

    ``topic`` replaces an undelivered push with the same topic at the push service (the
    conversation's id: a cancel overtakes its ring); ``ttl_s`` is how long the service may
    keep it for a device that is offline. A ring (``ring_until`` set) gets each operator's own
    one-tap Accept and Decline links (delivery/ring_links.py), valid until the ring ends.
    """

    operators: tuple[int, ...]
    payload: dict[str, Any]
    ttl_s: int
    topic: str
    urgency: str = "high"
    ring_until: datetime | None = None


@dataclass
class _Tokens:
    """VAPID ``Authorization`` headers per push service origin, reused for an hour."""

    keys: VapidKeys
    cache: dict[str, tuple[float, dict[str, str]]] = field(default_factory=dict)

    def headers_for(self, endpoint: str) -> dict[str, str]:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self.cache.get(audience)
        if cached is not None and cached[0] > now:
            return cached[1]
        claims = {"sub": self.keys.subject, "aud": audience, "exp": int(now) + TOKEN_LIFETIME_S}
        headers = {str(k): str(v) for k, v in self.keys.signer.sign(claims).items()}
        self.cache[audience] = (now + TOKEN_REUSE_S, headers)
        return headers


class WebPushSender:
    """Sends queued :class:`PushJob` s to every device of their operators.

    An async context manager owned by the app's lifespan: entering opens the HTTP session and
    starts the workers; leaving sends what is queued for up to a few seconds, then stops.
    """

    def __init__(
        self,
        db: Database,
        keys: VapidKeys,
        clock: Clock,
        secret: str,
        metrics: Metrics | None = None,
    ) -> None:
        self.keys = keys
        self._secret = secret
        self._db = db
        self._clock = clock
        self._metrics = metrics
        self._tokens = _Tokens(keys)
        self._queue: asyncio.Queue[PushJob] = asyncio.Queue(QUEUE_SIZE)
        self._workers: list[asyncio.Task[None]] = []
        self._http: aiohttp.ClientSession | None = None

    def submit(self, job: PushJob) -> None:
        """Queue ``job``; never waits. A full queue drops it (logged and counted)."""
        if not job.operators:
            return
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            log.warning("web push queue full; dropped a push to %d operators", len(job.operators))
            self._count("dropped")

    async def drained(self) -> None:
        """Wait until every push queued so far has been sent (or has failed)."""
        await self._queue.join()

    async def __aenter__(self) -> Self:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))
        self._workers = [
            asyncio.create_task(self._work(), name=f"web-push-{n}") for n in range(WORKERS)
        ]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # A cancel push queued at shutdown still closes a notification: give it a moment.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), TIMEOUT_S)
        for task in self._workers:
            await stop_task(task)
        self._workers = []
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self.send(job)
            except Exception:  # a database outage: this push is lost, the ring goes on
                log.warning("web push of a job failed", exc_info=True)
                self._count("failed")
            finally:
                self._queue.task_done()

    async def send(self, job: PushJob) -> None:
        """Send ``job`` to every subscription of its operators, all at once."""
        async with self._db.sessions() as session:
            subscriptions = list(
                await session.scalars(
                    select(PushSubscription).where(PushSubscription.operator_id.in_(job.operators))
                )
            )
        if not subscriptions:
            return
        data = {operator_id: self._payload(job, operator_id) for operator_id in job.operators}
        await asyncio.gather(
            *(self._send_one(sub, data[sub.operator_id], job) for sub in subscriptions)
        )

    def _payload(self, job: PushJob, operator_id: int) -> bytes:
        payload = job.payload
        if job.ring_until is not None:
            token = make_token(self._secret, operator_id, payload["conversation"], job.ring_until)
            payload = {
                **payload,
                "accept_url": accept_path(token),
                "decline_url": decline_path(token),
            }
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()

    async def _send_one(self, sub: PushSubscription, data: bytes, job: PushJob) -> None:
        assert self._http is not None, "WebPushSender used outside its context"
        info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
        headers = {**self._tokens.headers_for(sub.endpoint), "Urgency": job.urgency}
        if job.topic:
            headers["Topic"] = job.topic
        status, error = 0, ""
        try:
            response = await WebPusher(info, aiohttp_session=self._http).send_async(
                data, headers, ttl=max(job.ttl_s, 0), content_encoding="aes128gcm"
            )
            status = response.status  # type: ignore[union-attr]
            if status > 202:
                error = f"{status} {(await response.text())[:200]}"  # type: ignore[union-attr]
        except Exception as failure:  # refused, timed out, a malformed subscription
            error = f"{type(failure).__name__}: {failure}"[:300]
        await self._record(sub, status, error)

    async def _record(self, sub: PushSubscription, status: int, error: str) -> None:
        now = self._clock.now()
        if status in GONE:
            self._count("gone")
            log.info("push subscription %s of operator %s is gone (%s); deleted",
                     sub.id, sub.operator_id, status)  # fmt: skip
            async with self._db.sessions() as session, session.begin():
                await session.execute(delete(PushSubscription).where(PushSubscription.id == sub.id))
            return
        if error:
            self._count("failed")
            log.warning("push to operator %s failed: %s", sub.operator_id, error)
            values: dict[str, Any] = {"last_error": error}
        else:
            self._count("sent")
            fresh = sub.last_ok_at is not None and now - sub.last_ok_at < OK_REFRESH
            if fresh and not sub.last_error:
                return  # nothing new to write
            values = {"last_ok_at": now, "last_error": ""}
        async with self._db.sessions() as session, session.begin():
            await session.execute(
                update(PushSubscription).where(PushSubscription.id == sub.id).values(**values)
            )

    def _count(self, result: str) -> None:
        if self._metrics is not None:
            self._metrics.pushes.labels(result).inc()
