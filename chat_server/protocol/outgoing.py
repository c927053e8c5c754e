"""Server-to-client frames of wire protocol v1, built from plain records (docs/protocol.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chat_server.store.records import StoredMessage


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def message_frame(message: StoredMessage) -> dict[str, Any]:
    return {
        "type": "message",
        "conversation": message.conversation_id,
        "seq": message.seq,
        "author": {"kind": message.author_kind, "name": message.author_name},
        "body": message.body,
        "at": iso(message.created_at),
    }


def ack_frame(message: StoredMessage) -> dict[str, Any]:
    return {
        "type": "ack",
        "client_id": message.client_id,
        "seq": message.seq,
        "conversation": message.conversation_id,
    }


def status_frame(
    conversation_id: str, state: str, agent_name: str | None, last_seq: int
) -> dict[str, Any]:
    # ``last_seq`` lets a socket that missed the newest messages fetch them before it shows
    # the new state (above all "closed", after which nothing more is said).
    return {
        "type": "status",
        "conversation": conversation_id,
        "state": state,
        "agent": {"name": agent_name} if agent_name else None,
        "last_seq": last_seq,
    }


def error_frame(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, **extra}


def typing_frame(conversation_id: str, side: str, active: bool) -> dict[str, Any]:
    # ``from`` lets each socket drop the typing frames its own side sent.
    return {"type": "typing", "conversation": conversation_id, "from": side, "active": active}


def session_ended_frame(epoch: int) -> dict[str, Any]:
    """Tells an operator's open consoles that sessions before ``epoch`` have ended."""
    return {"type": "session_ended", "epoch": epoch}
