"""Words people read on the Conversations pages: outcomes, tiers, ring endings, durations and
local times (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

# The outcome filter's choices, in the order the page lists them.
OUTCOME_CHOICES = {
    "up": "Answered by the store",
    "pool": "Answered by a receptionist",
    "missed": "Missed (nobody answered)",
    "abandoned": "Shopper left unanswered",
    "open": "Still open",
}
_OPEN_STATES = {
    "ringing_store": "Open: ringing the store",
    "ringing_pool": "Open: ringing the receptionists",
    "connected": "Open: chatting now",
    "lead_capture": "Open: asking for contact details",
    "captured": "Open: details left, lead sent",
}
DEPARTMENTS = {"sales": "Sales", "service": "Service", "parts": "Parts"}
TIERS = {"store": "Store", "pool": "Receptionist pool"}
RING_ENDINGS = {
    "accepted": "Accepted",
    "taken": "Someone else took it",
    "timeout": "Not answered in time",
    "left": "Shopper left",
    "declined": "Declined",
}
PREFERRED_TIMES = {
    "morning": "Morning",
    "afternoon": "Afternoon",
    "evening": "Evening",
    "day": "During the day",
    "nopreference": "Any time",
}


def outcome_label(state: str, outcome: str | None) -> str:
    if outcome is not None:
        return OUTCOME_CHOICES.get(outcome, outcome)
    return _OPEN_STATES.get(state, "Still open")


def outcome_key(state: str, outcome: str | None) -> str:
    """The outcome filter's key of a conversation ("open" while it has none)."""
    return outcome or "open"


def duration_label(seconds: float | None) -> str:
    """ "8 s", "1 min 05 s", "2 h 03 min"; "—" when there is none."""
    if seconds is None:
        return "—"
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def seconds_between(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


def local_time(at: datetime | None, zone: ZoneInfo) -> str:
    """ "Mar 3, 2026, 9:05 AM CST" in the dealership's own time zone."""
    if at is None:
        return ""
    local = at.astimezone(zone)
    hour = local.hour % 12 or 12
    return (
        f"{local:%b} {local.day}, {local.year}, {hour}:{local:%M} "
        f"{'AM' if local.hour < 12 else 'PM'} {local.tzname()}"
    )


def local_clock(at: datetime | None, zone: ZoneInfo) -> str:
    """ "9:05:12 AM": a time of day, for the timeline of one conversation."""
    if at is None:
        return ""
    local = at.astimezone(zone)
    hour = local.hour % 12 or 12
    return f"{hour}:{local:%M:%S} {'AM' if local.hour < 12 else 'PM'}"


def vehicle_label(vehicle: Mapping[str, Any] | None) -> str:
    """ "2024 Toyota Camry XSE" from the widget's vehicle context ("" when there is none)."""
    if not vehicle:
        return ""
    parts = [str(vehicle.get(k) or "").strip() for k in ("year", "make", "model", "trim")]
    label = " ".join(p for p in parts if p)
    return label or str(vehicle.get("title") or vehicle.get("name") or "").strip()


def shopper_name(contact: Mapping[str, Any] | None, visitor_name: str) -> str:
    """The name the shopper gave (in the contact form, or through the widget's identify)."""
    return " ".join(str((contact or {}).get("name") or visitor_name or "").split())
