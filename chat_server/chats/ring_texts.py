"""The text a ring sends when no device accepted it in time, with a one-tap link to answer.

Scheduled by the ladder's shell as a durable deadline (``text:<conversation>:<operator>``,
``text_after_s`` after the ring); when it fires, the text goes out only if that operator's
ring is still open. The link is the one a phone's notification carries
(delivery/ring_links.py): theirs alone, and dead when the ring ends.

Sent at most once per ring, not retried: the deadline is deleted after its handler ran, and
a provider failure is logged rather than raised (a retry could text twice, and a ring text
that arrives late is worse than none). A node that dies while sending leaves the deadline's
lease to expire, and another node may then text again: the one case of a second text.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from chat_server.chats.views import first_words
from chat_server.delivery.ring_links import accept_path, make_token
from chat_server.delivery.texts import TextFailed
from chat_server.runtime import Runtime
from chat_server.store.models import Conversation, Dealership, Operator, RingRecord

log = logging.getLogger(__name__)

WORDS = 60  # of the shopper's first message: a text stays one SMS segment or two


def base_url(rt: Runtime) -> str:
    settings = rt.settings
    return settings.public_url or f"http://{settings.host}:{settings.port}"


def ring_text(dealership: str, words: str, link: str) -> str:
    """The text: who, what the shopper asked, and the link. Pure."""
    words = " ".join(words.split())
    if len(words) > WORDS:
        words = words[: WORDS - 1].rstrip() + "…"
    asked = f' "{words}"' if words else ""
    return f"{dealership}: a shopper is waiting{asked}. Tap to answer: {link}"


async def send_ring_text(rt: Runtime, conversation_id: str, operator_id: int) -> bool:
    """Text the operator if their ring on this chat is still open; True when a text went."""
    if rt.texts is None:
        return False
    now = rt.clock.now()
    async with rt.db.sessions() as session:
        ring = await session.scalar(
            select(RingRecord).where(
                RingRecord.conversation_id == conversation_id,
                RingRecord.operator_id == operator_id,
                RingRecord.ended_at.is_(None),
                RingRecord.expires_at > now,
            )
        )
        operator = await session.get(Operator, operator_id)
        if ring is None or operator is None or operator.mobile_verified_at is None:
            return False  # answered, over, or the number was removed meanwhile
        conversation = await session.get_one(Conversation, conversation_id)
        dealership = await session.get_one(Dealership, conversation.dealership_id)
        words = await first_words(session, conversation_id)
        number, expires_at, name = operator.mobile_phone, ring.expires_at, dealership.name
    token = make_token(rt.settings.secret_key, operator_id, conversation_id, expires_at)
    body = ring_text(name, words, base_url(rt) + accept_path(token))
    try:
        await rt.texts.send(number, body)
    except TextFailed as failure:
        log.warning(
            "ring text to operator %s failed: %s",
            operator_id,
            failure,
            extra={"conversation": conversation_id, "operator": operator_id},
        )
        rt.metrics.texts.labels("failed").inc()
        return False
    rt.metrics.texts.labels("sent").inc()
    log.info(
        "ring text sent to operator %s",
        operator_id,
        extra={"conversation": conversation_id, "operator": operator_id},
    )
    return True
