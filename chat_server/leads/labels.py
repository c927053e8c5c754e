"""Plain words for what the console shows about leads: statuses, services, segments, outcomes,
contact times, follow-up channels, delivery states, and times in the dealership's own zone.

Pure: no I/O. The stored values stay short codes ("nopreference", "unanswered"); people read
these words instead. Unknown codes fall back to the code itself, never to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

STATUS_WORDS = {
    "new": "New",
    "contacted": "Contacted",
    "appointment": "Appointment set",
    "sold": "Sold",
    "lost": "Lost",
}
SERVICE_WORDS = {
    "store": "Answered by the store",
    "pool": "Answered by a receptionist",
    "unanswered": "Nobody answered",
}
SEGMENT_WORDS = {
    "lead": "Inquiry only",
    "prospect": "Engaged shopper",
    "customer": "Customer (bought here)",
}
# The same words as the Conversations pages (chat_server/history/labels.py).
OUTCOME_WORDS = {
    "up": "Answered by the store",
    "pool": "Answered by a receptionist",
    "missed": "Missed (nobody answered)",
    "abandoned": "Shopper left unanswered",
}
CONTACT_TIME_WORDS = {
    "morning": "Morning",
    "afternoon": "Afternoon",
    "evening": "Evening",
    "day": "During the day",
    "nopreference": "Any time",
    "": "Any time",
}
DEPARTMENT_WORDS = {"sales": "Sales", "service": "Service", "parts": "Parts"}
CHANNEL_WORDS = {"call": "Phone call", "text": "Text message", "email": "E-mail"}

# What the SMTP sender returns when the server has no SMTP host: the lead was written to the
# log, not sent (chat_server/leads/smtp.py). A delivery that says so was never delivered.
LOGGED_ONLY_OUTCOME = "logged (no SMTP host configured)"


def word(table: dict[str, str], code: str | None, default: str = "") -> str:
    """``code`` in plain words; the code itself when the table does not know it."""
    if not code:
        return table.get("", default)
    return table.get(code, code)


VEHICLE_FIELD_WORDS = {
    "vin": "VIN",
    "stock": "stock no.",
    "price": "price",
    "condition": "condition",
    "mileage": "mileage",
    "color": "colour",
}


def vehicle_words(vehicle: dict[str, object] | None) -> str:
    """The vehicle the page showed, as a person says it: "2021 Toyota RAV4 XLE · VIN 4T3…";
    "" when none is known."""
    if not vehicle:
        return ""
    name = " ".join(str(vehicle[k]) for k in ("year", "make", "model", "trim") if vehicle.get(k))
    extras = [
        f"{VEHICLE_FIELD_WORDS.get(key, key.replace('_', ' '))} {value}"
        for key, value in vehicle.items()
        if key not in ("year", "make", "model", "trim") and value not in (None, "")
    ]
    return " · ".join(part for part in (name, *extras) if part)


def local_time(at: datetime | None, time_zone: str) -> str:
    """``at`` on the dealership's clock, "Mar 3, 2026, 9:05 AM CST" (as the Conversations
    pages write it); "" for none."""
    if at is None:
        return ""
    local = at.astimezone(ZoneInfo(time_zone))
    hour = local.hour % 12 or 12
    noon = "AM" if local.hour < 12 else "PM"
    return f"{local:%b} {local.day}, {local.year}, {hour}:{local:%M} {noon} {local.tzname()}"


@dataclass(frozen=True)
class DeliveryWords:
    """One CRM send as people read it: ``state`` is a stable key for styling and tests
    (queued, retrying, failed, delivered, logged), ``symbol`` the non-colour cue."""

    state: str
    symbol: str
    title: str
    detail: str


def delivery_words(
    *,
    channel: str,
    target: str,
    state: str,
    attempts: int,
    last_error: str,
    next_attempt_at: datetime | None,
    delivered_at: datetime | None,
    time_zone: str,
) -> DeliveryWords:
    """The honest state of one send: a lead only written to the log is never "delivered"."""
    where = "the webhook" if channel == "webhook" else target
    tries = f"{attempts} attempt{'' if attempts == 1 else 's'}"
    if state == "delivered" and (channel == "log" or last_error == LOGGED_ONLY_OUTCOME):
        return DeliveryWords(
            "logged",
            "!",
            "Logged only — no CRM e-mail is configured",
            f"Not sent to {where}: this server has no mail (SMTP) server set up, so the lead "
            "was only written to the server's log. The CRM has not received it.",
        )
    if state == "delivered":
        said = f" The receiver said: {last_error}" if last_error else ""
        return DeliveryWords(
            "delivered",
            "✓",
            f"Delivered {local_time(delivered_at, time_zone)}".rstrip(),
            f"Sent to {where} ({tries}).{said}",
        )
    if state == "failed":
        return DeliveryWords(
            "failed",
            "✕",
            f"Failed after {tries}",
            f"Gave up sending to {where}. Last error: {last_error or 'not recorded'}. "
            "Use “Resend to the CRM” once the problem is fixed.",
        )
    if attempts:
        return DeliveryWords(
            "retrying",
            "↻",
            f"Retrying: attempt {attempts} failed",
            f"Next try {local_time(next_attempt_at, time_zone) or 'soon'}. "
            f"Last error: {last_error or 'not recorded'}.",
        )
    return DeliveryWords("queued", "…", "Waiting to send", f"Queued for {where}; not sent yet.")
