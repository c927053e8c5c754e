"""Server-to-client frames of wire protocol v1, built from plain records (docs/protocol.md).

Every frame the server sends (or publishes on the broker for a socket to pass on) is built by
one ``*_frame`` function here, the outgoing twin of the incoming parser. They are pure: no I/O,
no clock, no ORM rows; callers read what a frame needs and hand it over as plain values or the
records of ``chat_server.store.records``. tests/protocol/test_outgoing_matches_docs.py checks
that the frame types built here are exactly those docs/protocol.md documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from chat_server.ladder.types import Tier
from chat_server.store.records import DealershipView, StoredMessage


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def lead_url(lead_id: int) -> str:
    """The console page of one lead, the link lead frames carry."""
    return f"/console/leads/{lead_id}"


def visitor_summary(contact: Mapping[str, Any] | None) -> dict[str, str]:
    """What a console shows of the shopper: the contact details given so far, "" when not."""
    contact = contact or {}
    return {
        "name": contact.get("name", ""),
        "email": contact.get("email", ""),
        "phone": contact.get("phone", ""),
    }


def _dealership_ref(dealership: DealershipView) -> dict[str, Any]:
    return {"id": dealership.id, "name": dealership.name}


# --- both sockets --------------------------------------------------------------------------


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


def error_frame(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, **extra}


def typing_frame(conversation_id: str, side: str, active: bool) -> dict[str, Any]:
    # ``from`` lets each socket drop the typing frames its own side sent.
    return {"type": "typing", "conversation": conversation_id, "from": side, "active": active}


def contact_saved_frame(conversation_id: str) -> dict[str, Any]:
    """The contact details sent for ``conversation_id`` are stored."""
    return {"type": "contact_saved", "conversation": conversation_id}


# --- visitor socket ------------------------------------------------------------------------


def visitor_welcome_frame(
    *,
    visitor: str,
    conversation_id: str | None,
    state: str | None,
    agent_name: str | None,
    dealership: DealershipView,
    open_now: bool,
    opens_next: dict[str, str] | None,
    messages: Sequence[StoredMessage],
    server_time: datetime,
) -> dict[str, Any]:
    """The reply to ``hello``.

    ``agent_name`` is None when nobody owns the conversation (``agent`` is then null); an
    owner without a name is ``{"name": ""}``. ``opens_next`` is what
    ``widget_theme.opens_next`` says (None when open now). ``server_time`` lets the widget show
    an honest "waiting 0:42" whatever the device's clock says.
    """
    return {
        "type": "welcome",
        "visitor": visitor,
        "conversation": conversation_id,
        "state": state,
        "agent": None if agent_name is None else {"name": agent_name},
        "dealership": {
            "name": dealership.name,
            "open": open_now,
            "greeting": dealership.greeting,
            "theme": dealership.theme.as_json(),
            "opens_next": None if open_now else opens_next,
        },
        "messages": [message_frame(m) for m in messages],
        "server_time": server_time.isoformat(),
    }


def status_frame(
    conversation_id: str, state: str, agent_name: str | None, last_seq: int, version: int
) -> dict[str, Any]:
    # ``last_seq`` lets a socket that missed the newest messages fetch them before it shows
    # the new state (above all "closed", after which nothing more is said). ``version`` is
    # the conversation's row version after the step that announced it: statuses published
    # by different nodes (or tasks) can arrive out of order, and a socket passes on only
    # statuses newer than the last one it showed (transport/connection.py).
    return {
        "type": "status",
        "conversation": conversation_id,
        "state": state,
        "agent": {"name": agent_name} if agent_name else None,
        "last_seq": last_seq,
        "version": version,
    }


def conversation_started_frame(conversation_id: str) -> dict[str, Any]:
    """A shopper's new conversation, published to all their tabs and passed on by each."""
    return {"type": "conversation_started", "conversation": conversation_id}


# --- console socket ------------------------------------------------------------------------


def console_welcome_frame(
    *,
    operator_id: int,
    operator_name: str,
    role: str,
    presence: str | None,
    rings: Sequence[dict[str, Any]],
    conversations: Sequence[dict[str, Any]],
    server_time: datetime,
    reach: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The first frame of a console: who is signed in, their open rings (``ring_frame``s) and
    the conversations they own (``conversation_frame``s with messages). ``server_time``
    corrects countdowns for the device's clock skew; ``reach`` says whether they would be
    rung now and why (chats/reachability.py)."""
    return {
        "type": "welcome",
        "operator": {"id": operator_id, "name": operator_name, "role": role},
        "presence": presence,
        "reach": reach,
        "rings": list(rings),
        "conversations": list(conversations),
        "server_time": iso(server_time),
    }


def presence_frame(status: str, reach: dict[str, Any] | None = None) -> dict[str, Any]:
    """An operator's status, shown on every console they have open, with ``reach`` as in
    the welcome."""
    return {"type": "presence", "status": status, "reach": reach}


def ring_frame(
    conversation_id: str,
    dealership: DealershipView,
    tier: Tier,
    quiet: bool,
    *,
    page: dict[str, Any] | None,
    vehicle: dict[str, Any] | None,
    contact: Mapping[str, Any] | None,
    first_words: str,
    expires_at: datetime,
    transfer_from: str | None = None,
) -> dict[str, Any]:
    """An offer of a waiting conversation, until ``expires_at``.

    ``transfer_from`` names the colleague handing the chat over when the ring is a transfer
    offer; the field is absent otherwise.
    """
    frame: dict[str, Any] = {
        "type": "ring",
        "conversation": conversation_id,
        "dealership": _dealership_ref(dealership),
        "tier": tier.value,
        "quiet": quiet,
        "page": page or {},
        "vehicle": vehicle,
        "visitor": visitor_summary(contact),
        "first_words": first_words,
        "expires_at": iso(expires_at),
    }
    if transfer_from is not None:
        frame["transfer_from"] = {"name": transfer_from}
    return frame


def ring_cancelled_frame(
    conversation_id: str, reason: str, taken_by: str | None = None
) -> dict[str, Any]:
    """A ring is over: ``reason`` is a ``CancelReason`` value, or "accepted" for the winner.
    ``taken_by`` names the colleague who accepted, when the reason is "taken"."""
    frame: dict[str, Any] = {
        "type": "ring_cancelled",
        "conversation": conversation_id,
        "reason": reason,
    }
    if taken_by is not None:
        frame["taken_by"] = {"name": taken_by}
    return frame


def shopper_presence_frame(
    conversation_id: str, present: bool, until: datetime | None = None
) -> dict[str, Any]:
    """To the operator in the chat: the shopper's last tab closed (``present`` false; the
    chat closes at ``until`` unless they come back), or they came back (``until`` null)."""
    return {
        "type": "shopper",
        "conversation": conversation_id,
        "present": present,
        "until": iso(until) if not present else None,
    }


def chat_ended_frame(
    conversation_id: str,
    *,
    outcome: str | None,
    dealership_name: str,
    lead_id: int | None,
    delivery: str | None,
    used_typed_contact: bool,
) -> dict[str, Any]:
    """To the operator who ended a chat: what became of it. ``lead`` is null when no lead
    went out (no way to reach the shopper, or an Up); its ``delivery`` is "sending",
    "logged_only" (e-mail is not set up on this server) or "no_crm" (no CRM address)."""
    lead = None
    if lead_id is not None:
        lead = {"id": lead_id, "url": lead_url(lead_id), "delivery": delivery}
    return {
        "type": "chat_ended",
        "conversation": conversation_id,
        "outcome": outcome,
        "dealership": {"name": dealership_name},
        "lead": lead,
        "used_typed_contact": used_typed_contact,
    }


def transfer_offered_frame(conversation_id: str) -> dict[str, Any]:
    """The transfer rings for ``conversation_id`` are out (to the operator who asked)."""
    return {"type": "transfer_offered", "conversation": conversation_id}


def transfer_lapsed_frame(conversation_id: str) -> dict[str, Any]:
    """Nobody took the transfer: the chat stays with its owner."""
    return {"type": "transfer_lapsed", "conversation": conversation_id}


def conversation_frame(
    conversation_id: str,
    dealership: DealershipView,
    *,
    state: str,
    outcome: str | None,
    owner_id: int | None,
    owner_name: str | None,
    page: dict[str, Any] | None,
    vehicle: dict[str, Any] | None,
    contact: Mapping[str, Any] | None,
    last_seq: int,
    messages: Sequence[StoredMessage] | None = None,
) -> dict[str, Any]:
    """The console's view of one conversation; ``messages`` only when the operator needs the
    whole transcript (they just became the owner), else the field is absent."""
    frame: dict[str, Any] = {
        "type": "conversation",
        "id": conversation_id,
        "state": state,
        "outcome": outcome,
        "owner": None if owner_id is None else {"id": owner_id, "name": owner_name or ""},
        "dealership": _dealership_ref(dealership),
        "page": page or {},
        "vehicle": vehicle,
        "visitor": visitor_summary(contact),
        "last_seq": last_seq,
    }
    if messages is not None:
        frame["messages"] = [message_frame(m) for m in messages]
    return frame


def note_frame(
    conversation_id: str,
    note_id: int,
    *,
    author_id: int,
    author_name: str,
    body: str,
    at: datetime,
) -> dict[str, Any]:
    """An internal note on a conversation, for staff only (never the shopper's socket)."""
    return {
        "type": "note",
        "conversation": conversation_id,
        "id": note_id,
        "author": {"id": author_id, "name": author_name},
        "body": body,
        "at": iso(at),
    }


def lead_assigned_frame(lead_id: int, name: str, service: str) -> dict[str, Any]:
    """A new lead was assigned to the salesperson on whose channel this is published."""
    return {
        "type": "lead_assigned",
        "lead": lead_id,
        "name": name,
        "service": service,
        "url": lead_url(lead_id),
    }


def lead_alert_frame(lead_id: int, name: str, untouched_for: timedelta) -> dict[str, Any]:
    """A manager's alert: a new lead nobody has touched for ``untouched_for`` (whole minutes)."""
    return {
        "type": "lead_alert",
        "lead": lead_id,
        "name": name,
        "minutes": int(untouched_for.total_seconds() // 60),
        "url": lead_url(lead_id),
    }


# --- between nodes -------------------------------------------------------------------------


def session_ended_frame(epoch: int) -> dict[str, Any]:
    """Tells an operator's open consoles that sessions before ``epoch`` have ended."""
    return {"type": "session_ended", "epoch": epoch}
