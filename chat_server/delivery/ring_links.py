"""One-tap links for one ring: Accept and Decline from a phone's notification (or a text).

A link names one operator, one conversation and when the ring ends, signed with the server's
secret key, so it works only for that operator (the page also wants them signed in), only for
that chat, and only until the ring ends. Nothing is stored: a second tap finds the chat taken
(by them) and accepts nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "dealer-chat ring link"


class BadRingLink(ValueError):
    """``reason`` is "invalid" (tampered, or not a link of ours) or "expired" (the ring ended)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class RingLink:
    operator_id: int
    conversation_id: str
    until: datetime


def make_token(secret: str, operator_id: int, conversation_id: str, until: datetime) -> str:
    return URLSafeSerializer(secret, salt=SALT).dumps(
        [operator_id, conversation_id, int(until.timestamp())]
    )


def read_token(secret: str, token: str, now: datetime) -> RingLink:
    """The link's ring, if the signature holds and the ring has not ended; BadRingLink if not."""
    try:
        operator_id, conversation_id, until = URLSafeSerializer(secret, salt=SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise BadRingLink("invalid") from None
    if not (isinstance(operator_id, int) and isinstance(conversation_id, str)):
        raise BadRingLink("invalid")
    ends = datetime.fromtimestamp(until, UTC)
    if now >= ends:
        raise BadRingLink("expired")
    return RingLink(operator_id, conversation_id, ends)


def accept_path(token: str) -> str:
    return f"/console/ring/{token}"


def decline_path(token: str) -> str:
    return f"/console/ring/{token}/decline"
