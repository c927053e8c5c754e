"""Parsing and validating client frames of wire protocol v1. Pure: text in, dataclass out.

Anything malformed raises ``FrameError`` with the error code and a message naming the field
(``bad_field`` errors also carry it as ``field``), which the socket turns into an ``error``
frame and keeps going.

Every string of a frame is made storable here, once, so nothing downstream ever sees text a
database cannot hold (``storable``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_BODY_CHARS = 4000
MAX_CLIENT_ID_CHARS = 64
MAX_FRAME_BYTES = 64 * 1024
PREFERRED_TIMES = ("nopreference", "morning", "afternoon", "evening")


class FrameError(ValueError):
    """A frame refused: ``code`` and ``message`` for the error frame; ``field`` names the
    field of a ``bad_field`` error."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def extra(self) -> dict[str, Any]:
        """What the error frame carries besides ``code`` and ``message``."""
        return {"field": self.field} if self.field is not None else {}


# What no database here can store, in any string of any frame:
# - lone surrogates: valid JSON ("\ud800" decodes to one), but not encodable as UTF-8, so
#   both drivers raise UnicodeEncodeError (this lost whole messages: no ack, a 1006 close);
# - NUL: PostgreSQL text and jsonb refuse it, while SQLite would store it; replacing it on
#   every backend keeps what is stored the same on both.
# Non-characters (U+FDD0, U+FFFF, ...) are valid Unicode scalar values: UTF-8 holds them and
# both databases store them, so they are kept as sent (ADF replaces the ones XML forbids).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """``text`` with every lone surrogate and NUL replaced by U+FFFD (docs/protocol.md)."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def _storable_value(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(k): _storable_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable_value(v) for v in value]
    return value


def decode(text: str) -> dict[str, Any]:
    """The frame as a dict with a string ``type``, every string in it storable."""
    try:
        frame = json.loads(text)
        # Only an escape ("\u0000", "\ud800") or the raw text itself can bring them in; most
        # frames have neither and skip the walk.
        if "\\u" in text or _UNSTORABLE.search(text):
            frame = _storable_value(frame)
    except (ValueError, RecursionError):
        raise FrameError("bad_frame", "frame is not valid JSON") from None
    if not isinstance(frame, dict):
        raise FrameError("bad_frame", "frame is not a JSON object")
    kind = frame.get("type")
    if not isinstance(kind, str):
        raise FrameError("bad_frame", "frame has no string field 'type'")
    return frame


def text_field(frame: dict[str, Any], name: str, *, max_chars: int, required: bool = True) -> str:
    value = frame.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise FrameError("bad_field", f"'{name}' must be a string", name)
    if len(value) > max_chars:
        raise FrameError("bad_field", f"'{name}' is longer than {max_chars} characters", name)
    return value


def optional_text(frame: dict[str, Any], name: str, *, max_chars: int) -> str | None:
    value = frame.get(name)
    if value is None:
        return None
    return text_field(frame, name, max_chars=max_chars)


def bool_field(frame: dict[str, Any], name: str) -> bool:
    value = frame.get(name)
    if not isinstance(value, bool):
        raise FrameError("bad_field", f"'{name}' must be true or false", name)
    return value


def object_field(frame: dict[str, Any], name: str, *, max_keys: int = 30) -> dict[str, Any] | None:
    value = frame.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise FrameError("bad_field", f"'{name}' must be an object or null", name)
    if len(value) > max_keys:
        raise FrameError("bad_field", f"'{name}' has too many fields", name)
    # Keep only short scalar values: page and vehicle context are shown to operators as text.
    clean: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, (str, int, float, bool)) and len(str(key)) <= 40:
            clean[str(key)] = item if not isinstance(item, str) else item[:500]
    return clean


def body_field(frame: dict[str, Any]) -> str:
    body = frame.get("body")
    if not isinstance(body, str):
        raise FrameError("bad_field", "'body' must be a string", "body")
    # Counted in code points, so a long grapheme cluster (a letter under thousands of
    # combining marks) meets the same limit as any other text, with the same clear error.
    if len(body) > MAX_BODY_CHARS:
        raise FrameError(
            "too_long", f"a message may have at most {MAX_BODY_CHARS} characters", "body"
        )
    if not body.strip():
        raise FrameError("bad_field", "'body' is empty", "body")
    return body


def client_id_field(frame: dict[str, Any]) -> str:
    client_id = frame.get("client_id")
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= MAX_CLIENT_ID_CHARS:
        raise FrameError(
            "bad_field", f"'client_id' must be 1-{MAX_CLIENT_ID_CHARS} characters", "client_id"
        )
    if REPLACEMENT in client_id:
        # Made storable, two different ids ("a\ud800", "a\udc00") would become one, and the
        # second message would be taken for a resend of the first and never stored.
        raise FrameError(
            "bad_field", "'client_id' has characters that cannot be stored", "client_id"
        )
    return client_id


def seq_field(frame: dict[str, Any], name: str = "last_seq") -> int:
    value = frame.get(name, 0)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FrameError("bad_field", f"'{name}' must be a non-negative integer", name)
    return value


# --- visitor frames -------------------------------------------------------------


@dataclass(frozen=True)
class Hello:
    visitor: str | None
    conversation: str | None
    last_seq: int
    page: dict[str, Any]
    vehicle: dict[str, Any] | None


@dataclass(frozen=True)
class SendMessage:
    client_id: str
    body: str
    conversation: str | None = None  # console frames name the conversation


@dataclass(frozen=True)
class ContactDetails:
    """A ``contact`` frame, checked for shape only: name, phone and e-mail are validated
    against the conversation's dealership (its region for phones) when they are saved
    (chat_server/contact_details.py)."""

    name: str
    phone: str
    email: str
    preferred_time: str
    consent: bool
    # A hidden form field people never see: anything in it marks the lead as spam.
    honeypot: str = ""
    # The shopper's own car, when they mention a trade-in: {year, make, model, ...}.
    trade_in: dict[str, Any] | None = None


@dataclass(frozen=True)
class Typing:
    active: bool
    conversation: str | None = None


@dataclass(frozen=True)
class Context:
    """``context``: the widget's setContext (vehicle) and identify (who the shopper is).

    Like ``ContactDetails``, checked here for shape only; see chat_server/contact_details.py.
    """

    vehicle: dict[str, Any] | None
    name: str
    email: str
    phone: str


def parse_context(frame: dict[str, Any]) -> Context:
    vehicle = object_field(frame, "vehicle")
    who = object_field(frame, "visitor", max_keys=3) or {}
    name = str(who.get("name") or "").strip()
    email = str(who.get("email") or "").strip()
    phone = str(who.get("phone") or "").strip()
    return Context(vehicle, name, email, phone)


def parse_hello(frame: dict[str, Any]) -> Hello:
    return Hello(
        visitor=optional_text(frame, "visitor", max_chars=100) or None,
        conversation=optional_text(frame, "conversation", max_chars=64) or None,
        last_seq=seq_field(frame),
        page=object_field(frame, "page") or {},
        vehicle=object_field(frame, "vehicle"),
    )


def parse_contact(frame: dict[str, Any]) -> ContactDetails:
    name = text_field(frame, "name", max_chars=200, required=False).strip()
    phone = text_field(frame, "phone", max_chars=40, required=False).strip()
    email = text_field(frame, "email", max_chars=320, required=False).strip()
    preferred = text_field(frame, "preferred_time", max_chars=20, required=False) or "nopreference"
    if preferred not in PREFERRED_TIMES:
        raise FrameError(
            "bad_field",
            f"'preferred_time' must be one of {', '.join(PREFERRED_TIMES)}",
            "preferred_time",
        )
    consent = frame.get("consent", False)
    if not isinstance(consent, bool):
        raise FrameError("bad_field", "'consent' must be true or false", "consent")
    if not phone and not email:
        # A rule of the frame itself (the rest waits for the dealership's region).
        raise FrameError("bad_field", "give a phone number or an e-mail address", "phone")
    honeypot = text_field(frame, "honeypot", max_chars=200, required=False)
    trade_in = object_field(frame, "trade_in", max_keys=12)
    return ContactDetails(name, phone, email, preferred, consent, honeypot, trade_in)


def parse_visitor_frame(
    frame: dict[str, Any],
) -> SendMessage | ContactDetails | Typing | Context:
    kind = frame["type"]
    if kind == "message":
        return SendMessage(client_id=client_id_field(frame), body=body_field(frame))
    if kind == "contact":
        return parse_contact(frame)
    if kind == "typing":
        return Typing(active=bool_field(frame, "active"))
    if kind == "context":
        return parse_context(frame)
    if kind == "hello":
        raise FrameError("bad_frame", "hello was already received")
    raise FrameError("unknown_type", f"unknown frame type {kind[:40]!r}")


# --- console frames -------------------------------------------------------------


def _shift_end(raw: object) -> datetime | None:
    """``until`` of a ``presence`` frame: absent or null, or an ISO 8601 time with its offset."""
    if raw is None:
        return None
    problem = "'until' must be a date and time with its offset, e.g. 2026-12-03T18:00:00-06:00"
    if not isinstance(raw, str) or len(raw) > 40:
        raise FrameError("bad_field", problem, "until")
    try:
        until = datetime.fromisoformat(raw)
    except ValueError:
        raise FrameError("bad_field", problem, "until") from None
    if until.tzinfo is None:
        raise FrameError("bad_field", problem, "until")
    return until


@dataclass(frozen=True)
class SetPresence:
    status: str
    until: datetime | None = None  # the end of the shift, with "available"


@dataclass(frozen=True)
class ConversationAction:
    action: str  # accept, decline, close
    conversation: str


def conversation_field(frame: dict[str, Any]) -> str:
    value = frame.get("conversation")
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise FrameError("bad_field", "'conversation' must be a conversation id", "conversation")
    return value


# ``busy``: signed in and working, but not to be rung (see chats/roster.py).
PRESENCE_STATUSES = ("available", "busy", "away")
MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class AddNote:
    conversation: str
    body: str


def parse_note(frame: dict[str, Any]) -> AddNote:
    body = text_field(frame, "body", max_chars=MAX_NOTE_CHARS).strip()
    if not body:
        raise FrameError("bad_field", "'body' is empty", "body")
    return AddNote(conversation_field(frame), body)


@dataclass(frozen=True)
class ConsoleContact:
    """Contact details a receptionist (or salesperson) took down in the chat."""

    conversation: str
    details: ContactDetails


@dataclass(frozen=True)
class TransferRequest:
    """Hand a chat on: to one colleague (``to``), or back to the store (``to`` is None)."""

    conversation: str
    to: int | None


def parse_console_frame(
    frame: dict[str, Any],
) -> (
    SetPresence
    | ConversationAction
    | SendMessage
    | Typing
    | AddNote
    | ConsoleContact
    | TransferRequest
):
    kind = frame["type"]
    if kind == "contact":
        return ConsoleContact(conversation_field(frame), parse_contact(frame))
    if kind == "note":
        return parse_note(frame)
    if kind == "presence":
        status = frame.get("status")
        if status not in PRESENCE_STATUSES:
            raise FrameError("bad_field", "'status' must be available, busy or away", "status")
        return SetPresence(status, _shift_end(frame.get("until")))
    if kind in ("accept", "decline", "close"):
        return ConversationAction(kind, conversation_field(frame))
    if kind == "transfer":
        to = frame.get("to")
        if to is not None and (not isinstance(to, int) or isinstance(to, bool)):
            raise FrameError(
                "bad_field", "'to' must be an operator id, or null for the store", "to"
            )
        return TransferRequest(conversation_field(frame), to)
    if kind == "message":
        return SendMessage(
            client_id=client_id_field(frame),
            body=body_field(frame),
            conversation=conversation_field(frame),
        )
    if kind == "typing":
        return Typing(active=bool_field(frame, "active"), conversation=conversation_field(frame))
    raise FrameError("unknown_type", f"unknown frame type {kind[:40]!r}")
