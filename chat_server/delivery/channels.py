"""Broker channel names, in one place so publishers and subscribers agree."""

from __future__ import annotations


def conversation_channel(conversation_id: str) -> str:
    """Everything said in a conversation, its status and typing: visitors and the owner listen."""
    return f"conv:{conversation_id}"


def operator_channel(operator_id: int) -> str:
    """Rings, ring cancellations and ownership changes for one operator's consoles."""
    return f"op:{operator_id}"


# Shoppers' channels are many and nearly silent: the hub carries them all over one broker
# channel (``Hub(broker, shared=SHARED_PREFIXES)``), so joining one costs no broker round trip.
VISITOR_PREFIX = "visitor:"
SHARED_PREFIXES = (VISITOR_PREFIX,)


def visitor_channel(visitor_key: str) -> str:
    """Tells every tab of one shopper that a new conversation started.

    Keyed by the shopper's token (``chats.visitors.visitor_key``), not their row: a tab
    listens before the shopper has a row, which is only written by their first message.
    """
    return f"{VISITOR_PREFIX}{visitor_key}"
