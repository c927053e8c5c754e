"""Weekly business hours per department, read in the dealership's own time zone.

Raw hours are JSON-able: ``{"mon": [["09:00", "20:00"]], ..., "sun": []}``. A missing
day is closed; ``"24:00"`` may close a range; a range whose close is not after its open
runs past midnight into the next day (``["22:00", "02:00"]``, ``["00:00", "00:00"]`` is
24 hours). Times are wall-clock times: on a daylight-saving change the store opens when
the local clock says so, whatever the UTC offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "ALWAYS_OPEN",
    "DAYS",
    "DEPARTMENTS",
    "WeekHours",
    "department_open",
    "is_open",
    "next_opening",
    "parse_week",
]

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEPARTMENTS: tuple[str, ...] = ("sales", "service", "parts")
ALWAYS_OPEN: dict[str, list[list[str]]] = {day: [["00:00", "24:00"]] for day in DAYS}

_DAY_MINUTES = 24 * 60
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class WeekHours:
    """Parsed hours: for each weekday (Monday first), ranges as minutes after midnight.

    ``close`` is after ``open`` and may exceed 1440 when the range runs into the next day.
    """

    days: tuple[tuple[tuple[int, int], ...], ...]

    def ranges(self, weekday: int) -> tuple[tuple[int, int], ...]:
        return self.days[weekday]


def parse_week(raw: dict[str, Any]) -> WeekHours:
    """Validate and parse raw weekly hours; ValueError names the bad day and value."""
    if not isinstance(raw, dict):
        raise ValueError(f"hours must be an object keyed by day, got {type(raw).__name__}")
    unknown = [key for key in raw if key not in DAYS]
    if unknown:
        raise ValueError(f"unknown day {unknown[0]!r} in hours; use {', '.join(DAYS)}")
    return WeekHours(tuple(_parse_day(day, raw.get(day) or []) for day in DAYS))


def is_open(week: WeekHours, tz: str, at: datetime) -> bool:
    """Whether the department is open at the instant ``at`` (aware), in time zone ``tz``."""
    local = _require_aware(at).astimezone(_zone(tz))
    second = local.hour * 3600 + local.minute * 60 + local.second
    today = local.weekday()
    for open_min, close_min in week.ranges(today):
        if open_min * 60 <= second < close_min * 60:
            return True
    # Yesterday's ranges that run past midnight.
    for _open_min, close_min in week.ranges((today - 1) % 7):
        if second < (close_min - _DAY_MINUTES) * 60:
            return True
    return False


def next_opening(week: WeekHours, tz: str, at: datetime) -> datetime | None:
    """The first instant at or after ``at`` when the department is open, in ``tz``.

    Returns ``at`` (as a ``tz`` datetime) when open now, None when the week has no hours.
    In the repeated hour after a fall-back the result carries ``fold=1``; such a datetime
    orders correctly against any other but, per PEP 495, never compares ``==`` to one in
    another zone: convert both to UTC to test equality.
    """
    zone = _zone(tz)
    if is_open(week, tz, at):
        return at.astimezone(zone)
    if not any(week.days):
        return None
    start_utc = at.astimezone(UTC)
    first_day = at.astimezone(zone).date()
    candidates: list[datetime] = []
    # Nine days cover a whole week after today whatever today's hours are.
    for offset in range(-1, 9):
        day = first_day + timedelta(days=offset)
        candidates.extend(_openings(week, zone, day))
        candidates.extend(_offset_changes(zone, day))
    for candidate in sorted(c for c in candidates if c > start_utc):
        # A candidate can be a wall time that does not exist (spring forward) or a clock
        # change that lands outside every range: keep only instants that really are open.
        if is_open(week, tz, candidate):
            return candidate.astimezone(zone)
    return None


def department_open(hours: dict[str, Any], department: str, tz: str, at: datetime) -> bool:
    """Whether ``department`` (sales, service or parts) is open at ``at``.

    ``hours`` maps departments to raw weeks (or parsed ``WeekHours``); a known department
    without hours is closed.
    """
    if department not in DEPARTMENTS:
        raise ValueError(f"unknown department {department!r}; use {', '.join(DEPARTMENTS)}")
    week = hours.get(department)
    if week is None:
        return False
    if not isinstance(week, WeekHours):
        week = parse_week(week)
    return is_open(week, tz, at)


# --- helpers ------------------------------------------------------------------


def _parse_day(day: str, ranges: Any) -> tuple[tuple[int, int], ...]:
    if not isinstance(ranges, list | tuple):
        raise ValueError(f"{day}: expected a list of [open, close] ranges, got {ranges!r}")
    parsed = []
    for item in ranges:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise ValueError(f"{day}: expected an [open, close] pair, got {item!r}")
        open_min = _parse_clock(day, item[0], closing=False)
        close_min = _parse_clock(day, item[1], closing=True)
        if close_min <= open_min:
            close_min += _DAY_MINUTES  # runs past midnight into the next day
        parsed.append((open_min, close_min))
    return tuple(sorted(parsed))


def _parse_clock(day: str, value: Any, *, closing: bool) -> int:
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{day}: time {value!r} is not HH:MM")
    hours, minutes = int(match[1]), int(match[2])
    if (hours, minutes) == (24, 0):
        if not closing:
            raise ValueError(f"{day}: 24:00 is only allowed as a closing time")
        return _DAY_MINUTES
    if hours > 23 or minutes > 59:
        raise ValueError(f"{day}: time {value!r} is out of range (00:00-23:59, or 24:00)")
    return hours * 60 + minutes


def _openings(week: WeekHours, zone: ZoneInfo, day: date) -> list[datetime]:
    """Every opening on ``day``, as UTC instants; both readings of an ambiguous wall time."""
    midnight = datetime.combine(day, time())
    found = []
    for open_min, _close_min in week.ranges(day.weekday()):
        wall = midnight + timedelta(minutes=open_min)
        for fold in (0, 1):
            found.append(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC))
    return found


def _offset_changes(zone: ZoneInfo, day: date) -> list[datetime]:
    """The instant the UTC offset changes during ``day``, if it does.

    A clock change can open the store without any opening time passing: springing
    forward into the middle of a range, or falling back into one.
    """
    low = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    high = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    before = low.astimezone(zone).utcoffset()
    if high.astimezone(zone).utcoffset() == before:
        return []
    # Bisect to the second: the first instant that has the new offset.
    lo, hi = 0, int((high - low).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (low + timedelta(seconds=mid)).astimezone(zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return [low + timedelta(seconds=hi)]


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc


def _require_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got {at!r}")
    return at
