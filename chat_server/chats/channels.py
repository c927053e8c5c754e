"""Broker channel names, in one place so publishers and subscribers agree."""

from __future__ import annotations


def conversation_channel(conversation_id: str) -> str:
    """Everything said in a conversation, its status and typing: visitors and the owner listen."""
    return f"conv:{conversation_id}"


def operator_channel(operator_id: int) -> str:
    """Rings, ring cancellations and ownership changes for one operator's consoles."""
    return f"op:{operator_id}"


def visitor_channel(visitor_id: int) -> str:
    """Tells every tab of one shopper that a new conversation started."""
    return f"visitor:{visitor_id}"
