"""Weekly business hours per department, plus dated exceptions, in the dealership's time zone.

Raw weekly hours are JSON-able: ``{"mon": [["09:00", "20:00"]], ..., "sun": []}``. A missing
day is closed; ``"24:00"`` may close a range; a range whose close is not after its open
runs past midnight into the next day (``["22:00", "02:00"]``, ``["00:00", "00:00"]`` is
24 hours).

Dated exceptions (holidays, closures, special hours) are stored on the dealership as a list:
``{"date": "2025-12-25", "departments": ["sales", "service"], "ranges": [], "label": "Christmas"}``.
``ranges`` uses the weekly format; empty means closed all day. The rules:

- On a local date that has an exception for the department, that date's own ranges are the
  exception's ranges instead of the weekday's. Every other date keeps its weekday's ranges:
  an exception affects only its own date.
- A range that runs past midnight belongs to the day it opens on. So the evening before a
  holiday may still run into the holiday (Wednesday 22:00-02:00 is open until 02:00 on a
  closed Thursday), and a special-hours range may itself run past midnight into an ordinary day.
- One exception per department and date: two entries naming the same date for the same
  department are refused.

Times are wall-clock times in the dealership's zone: on a daylight-saving change the store
opens when the local clock says so, whatever the UTC offset. A wall time skipped by springing
forward never happens (a range that opens in the gap starts when the clock jumps past its
opening); in the repeated hour after falling back each wall time occurs twice and a range
covering it is open both times round, exactly as without exceptions.

``is_open`` and ``next_opening`` take one department's ``WeekHours``; when they are given
``dated`` they also need ``department=`` to pick that department's exceptions.
``department_open`` takes the department already. Without ``dated`` nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "ALWAYS_OPEN",
    "DAYS",
    "DEPARTMENTS",
    "LABEL_MAX",
    "Dated",
    "DatedHours",
    "WeekHours",
    "dated_for",
    "department_open",
    "is_open",
    "next_opening",
    "parse_dated",
    "parse_ranges",
    "parse_week",
]

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEPARTMENTS: tuple[str, ...] = ("sales", "service", "parts")
ALWAYS_OPEN: dict[str, list[list[str]]] = {day: [["00:00", "24:00"]] for day in DAYS}
LABEL_MAX = 80

_DAY_MINUTES = 24 * 60
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Past the last exception, this many days cover a whole ordinary week whatever the hours.
_WEEK_SEARCH_DAYS = 9

Ranges = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class WeekHours:
    """Parsed hours: for each weekday (Monday first), ranges as minutes after midnight.

    ``close`` is after ``open`` and may exceed 1440 when the range runs into the next day.
    """

    days: tuple[Ranges, ...]

    def ranges(self, weekday: int) -> Ranges:
        return self.days[weekday]


@dataclass(frozen=True)
class DatedHours:
    """One dated exception: on ``day`` the ``departments`` keep ``ranges`` (minutes, as in
    ``WeekHours``; empty = closed all day) instead of their weekday's hours."""

    day: date
    departments: tuple[str, ...]
    ranges: Ranges
    label: str = ""

    @property
    def closed(self) -> bool:
        return not self.ranges

    def to_json(self) -> dict[str, Any]:
        """The stored form (what ``Dealership.dated_hours`` holds)."""
        return {
            "date": self.day.isoformat(),
            "departments": list(self.departments),
            "ranges": [[_clock(o), _clock(c)] for o, c in self.ranges],
            "label": self.label,
        }


Dated = Iterable[Mapping[str, Any] | DatedHours]


def parse_week(raw: dict[str, Any]) -> WeekHours:
    """Validate and parse raw weekly hours; ValueError names the bad day and value."""
    if not isinstance(raw, dict):
        raise ValueError(f"hours must be an object keyed by day, got {type(raw).__name__}")
    unknown = [key for key in raw if key not in DAYS]
    if unknown:
        raise ValueError(f"unknown day {unknown[0]!r} in hours; use {', '.join(DAYS)}")
    return WeekHours(tuple(parse_ranges(day, raw.get(day) or []) for day in DAYS))


def parse_ranges(where: str, ranges: Any) -> Ranges:
    """One day's ``[[open, close], ...]`` as sorted minute pairs; ``where`` prefixes errors."""
    if not isinstance(ranges, list | tuple):
        raise ValueError(f"{where}: expected a list of [open, close] ranges, got {ranges!r}")
    parsed = []
    for item in ranges:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise ValueError(f"{where}: expected an [open, close] pair, got {item!r}")
        open_min = _parse_clock(where, item[0], closing=False)
        close_min = _parse_clock(where, item[1], closing=True)
        if close_min <= open_min:
            close_min += _DAY_MINUTES  # runs past midnight into the next day
        parsed.append((open_min, close_min))
    return tuple(sorted(parsed))


def parse_dated(raw: Dated | None) -> tuple[DatedHours, ...]:
    """Validate and parse dated exceptions (raw dicts or ``DatedHours``), sorted by date.

    ValueError names the problem: a bad date, an unknown department, a bad HH:MM, the same
    date twice for one department, a label that is too long.
    """
    if raw is None:
        return ()
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Iterable):
        raise ValueError(f"dated hours must be a list of exceptions, got {type(raw).__name__}")
    parsed = [item if isinstance(item, DatedHours) else _parse_exception(item) for item in raw]
    seen: dict[tuple[date, str], DatedHours] = {}
    for item in parsed:
        for department in item.departments:
            if (item.day, department) in seen:
                raise ValueError(
                    f"{item.day.isoformat()}: {department} already has an exception on that date"
                )
            seen[(item.day, department)] = item
    return tuple(sorted(parsed, key=lambda item: (item.day, item.departments)))


def dated_for(dated: Dated | None, department: str) -> dict[date, Ranges]:
    """One department's exceptions: local date -> that date's ranges."""
    _check_department(department)
    return {item.day: item.ranges for item in parse_dated(dated) if department in item.departments}


def is_open(
    week: WeekHours,
    tz: str,
    at: datetime,
    *,
    dated: Dated = (),
    department: str | None = None,
) -> bool:
    """Whether the department is open at the instant ``at`` (aware), in time zone ``tz``.

    ``dated`` is the dealership's dated exceptions; with any, ``department`` says whose.
    """
    return _open_at(week, _zone(tz), _overrides(dated, department), _require_aware(at))


def next_opening(
    week: WeekHours,
    tz: str,
    at: datetime,
    *,
    dated: Dated = (),
    department: str | None = None,
) -> datetime | None:
    """The first instant at or after ``at`` when the department is open, in ``tz``.

    Returns ``at`` (as a ``tz`` datetime) when open now, None when it never opens again
    (no weekly hours and no later special hours). Dated exceptions are honoured however
    long they run (a two-week closure is searched past). In the repeated hour after a
    fall-back the result carries ``fold=1``; such a datetime orders correctly against any
    other but, per PEP 495, never compares ``==`` to one in another zone: convert both to
    UTC to test equality.
    """
    zone = _zone(tz)
    overrides = _overrides(dated, department)
    at = _require_aware(at)
    if _open_at(week, zone, overrides, at):
        return at.astimezone(zone)
    first_day = at.astimezone(zone).date()
    later = [day for day, ranges in overrides.items() if day >= first_day - timedelta(days=1)]
    if not any(week.days) and not any(overrides[day] for day in later):
        return None
    last_day = max([first_day, *later]) + timedelta(days=_WEEK_SEARCH_DAYS)
    start_utc = at.astimezone(UTC)
    day = first_day - timedelta(days=1)
    while day <= last_day:
        # Each day's candidates fall within that local day, so days come out in order.
        candidates = [*_openings(_day_ranges(week, overrides, day), zone, day)]
        candidates.extend(_offset_changes(zone, day))
        for candidate in sorted(c for c in candidates if c > start_utc):
            # A candidate can be a wall time that does not exist (spring forward) or a clock
            # change that lands outside every range: keep only instants that really are open.
            if _open_at(week, zone, overrides, candidate):
                return candidate.astimezone(zone)
        day += timedelta(days=1)
    return None


def department_open(
    hours: dict[str, Any],
    department: str,
    tz: str,
    at: datetime,
    *,
    dated: Dated = (),
) -> bool:
    """Whether ``department`` (sales, service or parts) is open at ``at``.

    ``hours`` maps departments to raw weeks (or parsed ``WeekHours``); a known department
    without hours is closed except on a date whose exception gives it special hours.
    ``dated`` is the dealership's dated exceptions (``Dealership.dated_hours``).
    """
    _check_department(department)
    week = hours.get(department)
    if week is None:
        week = WeekHours(((),) * 7)
    elif not isinstance(week, WeekHours):
        week = parse_week(week)
    return is_open(week, tz, at, dated=dated, department=department)


# --- helpers ------------------------------------------------------------------


def _open_at(week: WeekHours, zone: ZoneInfo, overrides: dict[date, Ranges], at: datetime) -> bool:
    local = at.astimezone(zone)
    second = local.hour * 3600 + local.minute * 60 + local.second
    today = local.date()
    for open_min, close_min in _day_ranges(week, overrides, today):
        if open_min * 60 <= second < close_min * 60:
            return True
    # Yesterday's ranges that run past midnight: they belong to yesterday, exception or not.
    for _open_min, close_min in _day_ranges(week, overrides, today - timedelta(days=1)):
        if second < (close_min - _DAY_MINUTES) * 60:
            return True
    return False


def _day_ranges(week: WeekHours, overrides: dict[date, Ranges], day: date) -> Ranges:
    found = overrides.get(day)
    return week.ranges(day.weekday()) if found is None else found


def _overrides(dated: Dated, department: str | None) -> dict[date, Ranges]:
    if not dated:
        return {}
    if department is None:
        items = parse_dated(dated)
        if not items:
            return {}
        raise ValueError("dated exceptions need the department they apply to (department=...)")
    return dated_for(dated, department)


def _parse_exception(raw: Any) -> DatedHours:
    if not isinstance(raw, Mapping):
        raise ValueError(f"a dated exception must be an object, got {raw!r}")
    unknown = sorted(set(raw) - {"date", "departments", "ranges", "label"})
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r} in a dated exception")
    text = raw.get("date")
    if not isinstance(text, str) or not _DATE.match(text):
        raise ValueError(f"date {text!r} is not YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"date {text!r} is not a real date") from exc
    departments = raw.get("departments")
    if not isinstance(departments, list | tuple) or not departments:
        raise ValueError(f"{text}: name at least one department")
    for department in departments:
        _check_department(department, where=f"{text}: ")
    if len(set(departments)) != len(departments):
        raise ValueError(f"{text}: a department is listed twice")
    label = raw.get("label", "")
    if not isinstance(label, str):
        raise ValueError(f"{text}: label must be text")
    label = " ".join(label.split())
    if len(label) > LABEL_MAX:
        raise ValueError(f"{text}: label is longer than {LABEL_MAX} characters")
    ranges = parse_ranges(text, raw.get("ranges") or [])
    ordered = tuple(d for d in DEPARTMENTS if d in departments)
    return DatedHours(day=day, departments=ordered, ranges=ranges, label=label)


def _check_department(department: Any, *, where: str = "") -> None:
    if department not in DEPARTMENTS:
        raise ValueError(f"{where}unknown department {department!r}; use {', '.join(DEPARTMENTS)}")


def _parse_clock(where: str, value: Any, *, closing: bool) -> int:
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{where}: time {value!r} is not HH:MM")
    hours, minutes = int(match[1]), int(match[2])
    if (hours, minutes) == (24, 0):
        if not closing:
            raise ValueError(f"{where}: 24:00 is only allowed as a closing time")
        return _DAY_MINUTES
    if hours > 23 or minutes > 59:
        raise ValueError(f"{where}: time {value!r} is out of range (00:00-23:59, or 24:00)")
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    """Minutes after midnight back to HH:MM (a close past midnight wraps: 1560 -> 02:00)."""
    if minutes == _DAY_MINUTES:
        return "24:00"
    minutes %= _DAY_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _openings(ranges: Ranges, zone: ZoneInfo, day: date) -> list[datetime]:
    """Every opening on ``day``, as UTC instants; both readings of an ambiguous wall time."""
    midnight = datetime.combine(day, time())
    found = []
    for open_min, _close_min in ranges:
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
