"""An operator's ring devices: the phones and browsers that take Web Push rings.

A device is what a browser's ``PushSubscription.toJSON()`` gives (an endpoint at the
browser's push service plus two keys), checked here before it is stored: a malformed one
would only fail at the first ring, when nobody is watching. One endpoint is one device: a
phone shared by two salespeople rings whoever turned "Ring my phone" on last.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.store.models import PushSubscription

MAX_ENDPOINT = 1000
MAX_LABEL = 200
MAX_DEVICES = 10  # per operator: a phone, a tablet, a desk browser or two, with room to spare


class BadDevice(ValueError):
    """The subscription cannot be used; the message says which part is wrong."""


@dataclass(frozen=True)
class Device:
    id: int
    label: str
    created_at: datetime
    last_ok_at: datetime | None
    last_error: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "last_ok_at": self.last_ok_at.isoformat() if self.last_ok_at else None,
            "last_error": self.last_error,
        }


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str


def _b64url(value: object, what: str, size: int) -> str:
    if not isinstance(value, str) or not value:
        raise BadDevice(f"{what} is missing")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise BadDevice(f"{what} is not base64url") from None
    if len(raw) != size:
        raise BadDevice(f"{what} must be {size} bytes, got {len(raw)}")
    return value.rstrip("=")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def parse_subscription(data: object, *, loopback_http: bool = False) -> Subscription:
    """Check a ``PushSubscription.toJSON()``; BadDevice names what is wrong.

    Push services are HTTPS. ``loopback_http`` also accepts ``http://`` on this machine, for a
    push service in tests (``DEALER_CHAT_PUSH_LOOPBACK``); never on by default, as the server
    would then POST wherever an operator pointed it on its own host.
    """
    if not isinstance(data, dict):
        raise BadDevice("the subscription must be an object")
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise BadDevice("endpoint is missing")
    if len(endpoint) > MAX_ENDPOINT:
        raise BadDevice(f"endpoint is longer than {MAX_ENDPOINT} characters")
    parts = urlsplit(endpoint)
    local = loopback_http and parts.scheme == "http" and _loopback(parts.hostname or "")
    if parts.scheme != "https" and not local:
        raise BadDevice("endpoint must be an https:// URL")
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise BadDevice("keys are missing")
    p256dh = _b64url(keys.get("p256dh"), "keys.p256dh", 65)  # an uncompressed P-256 point
    if base64.urlsafe_b64decode(p256dh + "=" * (-len(p256dh) % 4))[0] != 4:
        raise BadDevice("keys.p256dh is not an uncompressed P-256 public key")
    auth = _b64url(keys.get("auth"), "keys.auth", 16)
    return Subscription(endpoint=endpoint, p256dh=p256dh, auth=auth)


def _device(row: PushSubscription) -> Device:
    return Device(row.id, row.label, row.created_at, row.last_ok_at, row.last_error)


async def devices_of(session: AsyncSession, operator_id: int) -> list[Device]:
    rows = await session.scalars(
        select(PushSubscription)
        .where(PushSubscription.operator_id == operator_id)
        .order_by(PushSubscription.created_at, PushSubscription.id)
    )
    return [_device(row) for row in rows]


async def add_device(
    session: AsyncSession, operator_id: int, subscription: Subscription, label: str, at: datetime
) -> Device:
    """Store (or take over) the device; at most ``MAX_DEVICES`` per operator."""
    label = " ".join(label.split())[:MAX_LABEL] or "This device"
    row = await session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == subscription.endpoint)
    )
    if row is None:
        count = len(await devices_of(session, operator_id))
        if count >= MAX_DEVICES:
            raise BadDevice(f"at most {MAX_DEVICES} devices ring one person; remove one first")
        row = PushSubscription(endpoint=subscription.endpoint, created_at=at, last_error="")
        session.add(row)
    row.operator_id = operator_id
    row.p256dh, row.auth, row.label = subscription.p256dh, subscription.auth, label
    await session.flush()
    return _device(row)


async def remove_device(session: AsyncSession, operator_id: int, device_id: int) -> bool:
    """Remove one of the operator's own devices; False when they have no such device."""
    removed = await session.execute(
        delete(PushSubscription).where(
            PushSubscription.id == device_id, PushSubscription.operator_id == operator_id
        )
    )
    return bool(removed.rowcount)  # type: ignore[attr-defined]


async def remove_endpoint(session: AsyncSession, operator_id: int, endpoint: str) -> bool:
    """Remove the operator's device by its endpoint (the browser unsubscribed)."""
    removed = await session.execute(
        delete(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.operator_id == operator_id
        )
    )
    return bool(removed.rowcount)  # type: ignore[attr-defined]
