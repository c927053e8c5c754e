"""What a Web Push to an operator's phone carries: built from the console's own frames.

Pure functions. The console's service worker (``/console/sw.js``) turns a ``ring``
payload into a notification with Accept and Decline, tagged per conversation, and a
``ring_cancelled`` payload into closing that notification. docs/protocol.md lists both.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

TOPIC_CHARS = re.compile(r"[^A-Za-z0-9_-]")
MAX_TOPIC = 32  # RFC 8030 section 5.4: at most 32 characters of the base64url alphabet


def topic_of(conversation_id: str) -> str:
    """The push ``Topic``: a later push for the same conversation replaces an undelivered one."""
    return TOPIC_CHARS.sub("", conversation_id)[:MAX_TOPIC]


def vehicle_words(vehicle: dict[str, Any] | None) -> str:
    """ "2024 Toyota RAV4", or "" when the shopper's page named no vehicle."""
    if not vehicle:
        return ""
    return " ".join(str(vehicle[k]) for k in ("year", "make", "model", "trim") if vehicle.get(k))


def console_link(conversation_id: str) -> str:
    """Where Accept on the notification leads: the console, which accepts this ring."""
    return f"/console?accept={conversation_id}"


def ring_push(ring: dict[str, Any]) -> dict[str, Any]:
    """The push payload of a console ``ring`` frame (see protocol.outgoing.ring_frame)."""
    payload: dict[str, Any] = {
        "type": "ring",
        "conversation": ring["conversation"],
        "dealership": ring["dealership"]["name"],
        "tier": ring["tier"],
        "first_words": ring["first_words"],
        "vehicle": vehicle_words(ring.get("vehicle")),
        "expires_at": ring["expires_at"],
        "url": console_link(ring["conversation"]),
    }
    if "transfer_from" in ring:
        payload["transfer_from"] = ring["transfer_from"]["name"]
    return payload


def ring_cancelled_push(conversation_id: str, reason: str) -> dict[str, Any]:
    """Closes the ring's notification: ``reason`` as in the ``ring_cancelled`` frame."""
    return {"type": "ring_cancelled", "conversation": conversation_id, "reason": reason}


def ttl_until(until: datetime, now: datetime) -> int:
    """Whole seconds left of a ring, at least 1: a push service may hold it that long."""
    return max(1, math.ceil((until - now).total_seconds()))


# How long a push service may hold a cancel for a phone that is offline: long enough to
# close a notification shown just before the phone lost its signal.
CANCEL_TTL_S = 120
