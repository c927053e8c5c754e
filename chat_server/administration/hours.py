"""A dealership's hours: weekly hours per department, its time zone, and dated exceptions
(holidays, closures, special hours).

The console's Hours page and the ``dealer-chat admin`` hours commands both call these
functions. Each checks scope first, validates everything before it writes anything (a refused
change saves nothing) and writes one audit entry per change: ``hours.set``,
``hours.time_zone``, ``hours.add_exception``, ``hours.remove_exception``.

Form field names, which a :class:`SettingsError` names when a value is wrong:
``{department}_{day}_closed`` / ``_all_day`` / ``_open_1`` / ``_close_1`` / ``_open_2`` /
``_close_2`` for the weekly table, ``time_zone``, and for an exception ``date``,
``departments``, ``open_1`` ... ``close_2`` and ``label``.

This supersedes ``chat_server.admin.set_hours``, ``check_hours`` and ``check_time_zone``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.administration import audit
from chat_server.administration.actors import Actor
from chat_server.administration.errors import SettingsError
from chat_server.administration.platform import check_time_zone
from chat_server.administration.scope import dealership_for
from chat_server.ladder.hours import (
    DAYS,
    DEPARTMENTS,
    LABEL_MAX,
    DatedHours,
    WeekHours,
    department_open,
    next_opening,
    parse_dated,
    parse_week,
)
from chat_server.store.models import Dealership
from chat_server.widget_theme import opening_text

MAX_RANGES = 2  # a day's ranges: the page offers two (e.g. a lunch break)
MAX_EXCEPTIONS = 400  # more than a year of daily entries
MAX_YEARS_AHEAD = 3  # a date further out is a typo (2205 for 2025)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_TITLES = dict(zip(DAYS, WEEKDAY_NAMES, strict=True))
DEPARTMENT_TITLES = {"sales": "Sales", "service": "Service", "parts": "Parts"}
_TYPED_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")
_DAY_MINUTES = 24 * 60

Pair = tuple[str, str]


@dataclass(frozen=True)
class DayInput:
    """One day as a form (or a command) gives it: closed, open 24 hours, or up to two
    (open, close) ranges as typed. A pair left blank on both sides is ignored."""

    closed: bool = False
    all_day: bool = False
    ranges: tuple[Pair, ...] = ()

    @classmethod
    def from_stored(cls, ranges: Sequence[Sequence[str]]) -> DayInput:
        """A stored day (``[["09:00", "18:00"]]``, ``[]`` for closed) as an input."""
        pairs = tuple((str(pair[0]), str(pair[1])) for pair in ranges)
        return cls(closed=not pairs, ranges=pairs)


@dataclass(frozen=True)
class DayRow:
    day: str
    title: str
    closed: bool
    all_day: bool
    ranges: tuple[Pair, ...]  # as HH:MM, at most MAX_RANGES; "24:00" shown as "00:00"


@dataclass(frozen=True)
class DepartmentHours:
    department: str
    title: str
    has_hours: bool
    open_now: bool
    status: str  # "Open now", "Opens Monday 9:00 AM", "Opens tomorrow at 9:00 AM", "No hours set"
    days: tuple[DayRow, ...]


@dataclass(frozen=True)
class ExceptionRow:
    date: str  # YYYY-MM-DD
    date_text: str  # "Thursday 25 December 2025"
    departments: tuple[str, ...]
    department_titles: str  # "Sales, Service"
    closed: bool
    hours_text: str  # "Closed all day", "10:00 AM – 2:00 PM"
    label: str
    past: bool


@dataclass(frozen=True)
class HoursSettings:
    """What the Hours page shows."""

    dealership_id: int
    dealership_name: str
    time_zone: str
    zone_abbreviation: str  # "CST"
    local_time: str  # "3:04 PM"
    departments: tuple[DepartmentHours, ...]
    exceptions: tuple[ExceptionRow, ...]


# --- reading ------------------------------------------------------------------------------


async def hours_settings(
    session: AsyncSession, actor: Actor, dealership_id: int, now: datetime
) -> HoursSettings:
    """The dealership's hours and exceptions, with each department's "open now" or next
    opening at ``now``, in the dealership's time zone."""
    row = await dealership_for(session, actor, dealership_id)
    zone = ZoneInfo(row.time_zone)
    local_now = now.astimezone(zone)
    dated = parse_dated(row.dated_hours or ())
    departments = tuple(_department(row, name, dated, now) for name in DEPARTMENTS)
    return HoursSettings(
        dealership_id=row.id,
        dealership_name=row.name,
        time_zone=row.time_zone,
        zone_abbreviation=local_now.tzname() or "",
        local_time=_clock_text(local_now.hour * 60 + local_now.minute),
        departments=departments,
        exceptions=tuple(exception_row(item, local_now.date()) for item in dated),
    )


def _department(
    row: Dealership, department: str, dated: tuple[DatedHours, ...], now: datetime
) -> DepartmentHours:
    raw = (row.hours or {}).get(department)
    week = parse_week(raw) if raw is not None else WeekHours(((),) * 7)
    title = DEPARTMENT_TITLES[department]
    open_now = department_open(row.hours or {}, department, row.time_zone, now, dated=dated)
    if open_now:
        status = "Open now"
    else:
        opens = next_opening(week, row.time_zone, now, dated=dated, department=department)
        # The widget's own words ("Sales opens Monday 9:00 AM"), under the department's name.
        status = (
            "Opens " + opening_text(department, opens, now, "en").removeprefix(f"{title} opens ")
            if opens is not None
            else "No hours set"
        )
    days = tuple(_day_row(day, (raw or {}).get(day) or []) for day in DAYS)
    return DepartmentHours(department, title, raw is not None, open_now, status, days)


def _day_row(day: str, stored: Sequence[Sequence[str]]) -> DayRow:
    pairs = tuple((str(p[0]), str(p[1])) for p in stored)[:MAX_RANGES]
    all_day = len(pairs) == 1 and pairs[0][0] == "00:00" and pairs[0][1] in ("24:00", "00:00")
    shown = tuple((o, "00:00" if c == "24:00" else c) for o, c in pairs)
    return DayRow(day, DAY_TITLES[day], closed=not pairs, all_day=all_day, ranges=shown)


def exception_row(item: DatedHours, today: date | None = None) -> ExceptionRow:
    """An exception as the page lists it (``past`` when its date is before ``today``)."""
    return ExceptionRow(
        date=item.day.isoformat(),
        date_text=f"{item.day:%A} {item.day.day} {item.day:%B %Y}",
        departments=item.departments,
        department_titles=", ".join(DEPARTMENT_TITLES[d] for d in item.departments),
        closed=item.closed,
        hours_text="Closed all day"
        if item.closed
        else ", ".join(f"{_clock_text(o)} – {_clock_text(c)}" for o, c in item.ranges),
        label=item.label,
        past=today is not None and item.day < today,
    )


def _clock_text(minutes: int) -> str:
    """Minutes after midnight as "9:00 AM" (a close past midnight wraps; 1440 is midnight)."""
    minutes %= _DAY_MINUTES
    hour, minute = divmod(minutes, 60)
    return f"{hour % 12 or 12}:{minute:02d} {'AM' if hour < 12 else 'PM'}"


# --- weekly hours -------------------------------------------------------------------------


async def set_week(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    department: str,
    week: Mapping[str, DayInput],
    *,
    at: datetime | None = None,
) -> dict[str, list[list[str]]]:
    """Replace one department's weekly hours; a day missing from ``week`` is closed.
    Returns the stored week."""
    row = await dealership_for(session, actor, dealership_id)
    department = check_department(department)
    unknown = sorted(set(week) - set(DAYS))
    if unknown:
        raise SettingsError(f"Unknown day {unknown[0]!r}: use {', '.join(DAYS)}.", "department")
    stored = {
        day: check_day(week.get(day, DayInput(closed=True)), f"{department}_{day}") for day in DAYS
    }
    parse_week(stored)  # the ladder's own check: never store what it cannot read
    before = (row.hours or {}).get(department)
    row.hours = {**(row.hours or {}), department: stored}
    await audit.record(
        session,
        actor,
        "hours.set",
        target=f"{row.name}: {DEPARTMENT_TITLES[department]} hours",
        dealership_id=row.id,
        changes=audit.diff({department: before}, {department: stored}),
        at=at,
    )
    return stored


def check_department(raw: str, field: str = "department") -> str:
    name = raw.strip().lower()
    if name not in DEPARTMENTS:
        raise SettingsError(
            f"Unknown department {raw[:40]!r}: use {', '.join(DEPARTMENTS)}.", field
        )
    return name


def check_day(day: DayInput, prefix: str) -> list[list[str]]:
    """One day's ranges as stored (``[]`` closed), or SettingsError on the field that is
    wrong: ``{prefix}_closed``, ``{prefix}_open_1``, ``{prefix}_close_2`` ..."""
    if day.closed and day.all_day:
        raise SettingsError("Choose closed or open 24 hours, not both.", f"{prefix}_closed")
    if day.closed:
        return []
    if day.all_day:
        return [["00:00", "24:00"]]
    ranges = check_ranges(day.ranges, prefix)
    if not ranges:
        raise SettingsError(
            "Give the opening and closing times, or tick Closed.", f"{prefix}_open_1"
        )
    return ranges


def check_ranges(pairs: Sequence[Pair], prefix: str) -> list[list[str]]:
    """Up to two (open, close) ranges; a close not after its open runs past midnight.
    Refuses a blank half, a bad time, open == close and overlapping ranges."""
    given = [
        (n, open_raw.strip(), close_raw.strip())
        for n, (open_raw, close_raw) in enumerate(pairs, start=1)
        if open_raw.strip() or close_raw.strip()
    ]
    if len(given) > MAX_RANGES:
        raise SettingsError(
            f"At most {MAX_RANGES} ranges a day.", _field(prefix, "open", given[MAX_RANGES][0])
        )
    parsed: list[tuple[int, int, int]] = []  # (open, close, n) in minutes; close may pass 1440
    for n, open_raw, close_raw in given:
        open_field, close_field = _field(prefix, "open", n), _field(prefix, "close", n)
        if not open_raw:
            raise SettingsError("Give the opening time too.", open_field)
        if not close_raw:
            raise SettingsError("Give the closing time too.", close_field)
        open_min = _minutes(open_raw, open_field, closing=False)
        close_min = _minutes(close_raw, close_field, closing=True)
        if close_min % _DAY_MINUTES == open_min and close_min != _DAY_MINUTES:
            raise SettingsError(
                "Opening and closing at the same time: for a whole day choose open 24 hours.",
                close_field,
            )
        if close_min <= open_min:
            close_min += _DAY_MINUTES  # past midnight, into the next day
        parsed.append((open_min, close_min, n))
    parsed.sort()
    for (_open1, close1, _n1), (open2, _close2, n2) in pairwise(parsed):
        if open2 < close1:
            raise SettingsError(
                f"This range overlaps the other one (which runs until {_clock_text(close1)}).",
                _field(prefix, "open", n2),
            )
    return [
        [_hhmm(open_min), "24:00" if close_min == _DAY_MINUTES else _hhmm(close_min)]
        for open_min, close_min, _n in parsed
    ]


def _field(prefix: str, side: str, n: int) -> str:
    return f"{prefix}_{side}_{n}" if prefix else f"{side}_{n}"


def _minutes(raw: str, field: str, *, closing: bool) -> int:
    match = _TYPED_CLOCK.match(raw)
    if match is None:
        raise SettingsError(f"{raw[:20]!r} is not a time: use 24-hour HH:MM, like 09:00.", field)
    hours, minutes = int(match[1]), int(match[2])
    if (hours, minutes) == (24, 0):
        if not closing:
            raise SettingsError("24:00 can only close a range; open at 00:00.", field)
        return _DAY_MINUTES
    if hours > 23 or minutes > 59:
        raise SettingsError(f"{raw[:20]!r} is not a time of day (00:00 to 23:59).", field)
    return hours * 60 + minutes


def _hhmm(minutes: int) -> str:
    minutes %= _DAY_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_range_text(text: str, prefix: str = "") -> tuple[Pair, ...]:
    """ "09:00-12:00, 13:00-18:00" (what a command line gives) as (open, close) pairs."""
    pairs = []
    for n, part in enumerate((p for p in text.split(",") if p.strip()), start=1):
        open_raw, dash, close_raw = part.partition("-")
        if not dash:
            raise SettingsError(
                f"{part.strip()[:20]!r} is not a range: use HH:MM-HH:MM, like 09:00-18:00.",
                _field(prefix, "open", n),
            )
        pairs.append((open_raw.strip(), close_raw.strip()))
    return tuple(pairs)


# --- time zone ----------------------------------------------------------------------------


async def set_time_zone(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    time_zone: str,
    *,
    at: datetime | None = None,
) -> str:
    """The dealership's IANA time zone, which every opening time is read in."""
    row = await dealership_for(session, actor, dealership_id)
    name = check_time_zone(time_zone, "time_zone")
    if name != row.time_zone:
        before, row.time_zone = row.time_zone, name
        await audit.record(
            session,
            actor,
            "hours.time_zone",
            target=f"{row.name}: time zone",
            dealership_id=row.id,
            changes=audit.diff({"time_zone": before}, {"time_zone": name}),
            at=at,
        )
    return name


# --- dated exceptions ---------------------------------------------------------------------


async def add_exception(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    *,
    day: str,
    departments: Sequence[str],
    closed: bool,
    ranges: Sequence[Pair] = (),
    label: str = "",
    now: datetime | None = None,
) -> DatedHours:
    """Close ``departments`` on ``day`` (``closed``) or give them special ``ranges`` instead
    of that weekday's hours. One exception per department and date."""
    row = await dealership_for(session, actor, dealership_id)
    now = now or datetime.now(UTC)
    when = check_date(day, row.time_zone, now)
    chosen = check_departments(departments)
    stored_ranges: list[list[str]] = []
    if not closed:
        stored_ranges = check_ranges(ranges, "")
        if not stored_ranges:
            raise SettingsError("Give the special hours, or choose closed all day.", "open_1")
    label = " ".join(label.split())
    if len(label) > LABEL_MAX:
        raise SettingsError(f"Keep the label to {LABEL_MAX} characters.", "label")
    wanted = parse_dated([_entry(when, chosen, stored_ranges, label)])[0]  # the ladder's check
    existing = list(parse_dated(row.dated_hours or ()))
    already: set[str] = set()
    for old in (e for e in existing if e.day == when):
        for department in set(chosen) & set(old.departments):
            if (old.ranges, old.label) != (wanted.ranges, wanted.label):
                raise SettingsError(
                    f"{DEPARTMENT_TITLES[department]} already has an exception on "
                    f"{_date_text(when)}: remove it first.",
                    "date",
                )
            already.add(department)  # the very same exception: adding it again changes nothing
    if already == set(chosen):
        return wanted
    if len(existing) >= MAX_EXCEPTIONS:
        raise SettingsError(
            f"A dealership may have at most {MAX_EXCEPTIONS} dated exceptions: remove old ones.",
            "date",
        )
    rest = tuple(d for d in chosen if d not in already)
    item = DatedHours(when, rest, wanted.ranges, wanted.label)
    stored = [*(e.to_json() for e in existing), item.to_json()]
    row.dated_hours = [e.to_json() for e in parse_dated(stored)]  # sorted by date
    await audit.record(
        session,
        actor,
        "hours.add_exception",
        target=f"{row.name}: {when.isoformat()} {label}".rstrip(),
        dealership_id=row.id,
        changes={when.isoformat(): {"from": None, "to": item.to_json()}},
        at=now,
    )
    return item


async def remove_exception(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    *,
    day: str,
    departments: Sequence[str] = (),
    at: datetime | None = None,
) -> int:
    """Remove the exceptions on ``day`` (for ``departments`` only, when given: an exception
    shared with another department stays for that one). Returns how many departments lost an
    exception: 0 when there was none (removing twice is no error, and changes nothing)."""
    row = await dealership_for(session, actor, dealership_id)
    when = _parse_date(day)
    only = set(check_departments(departments)) if departments else set(DEPARTMENTS)
    kept: list[DatedHours] = []
    removed: list[DatedHours] = []
    count = 0
    for item in parse_dated(row.dated_hours or ()):
        hit = [d for d in item.departments if d in only] if item.day == when else []
        if not hit:
            kept.append(item)
            continue
        count += len(hit)
        removed.append(item)
        rest = tuple(d for d in item.departments if d not in only)
        if rest:
            kept.append(DatedHours(item.day, rest, item.ranges, item.label))
    if not count:
        return 0
    row.dated_hours = [item.to_json() for item in kept]
    after = [item.to_json() for item in kept if item.day == when] or None
    await audit.record(
        session,
        actor,
        "hours.remove_exception",
        target=f"{row.name}: {when.isoformat()}",
        dealership_id=row.id,
        changes={when.isoformat(): {"from": [item.to_json() for item in removed], "to": after}},
        at=at,
    )
    return count


def _entry(
    when: date, departments: Sequence[str], ranges: list[list[str]], label: str
) -> dict[str, Any]:
    return {
        "date": when.isoformat(),
        "departments": list(departments),
        "ranges": ranges,
        "label": label,
    }


def check_date(raw: str, time_zone: str, now: datetime) -> date:
    """A date for an exception: real, not before today in the dealership's zone, and not
    more than a few years away (a typo)."""
    when = _parse_date(raw)
    today = now.astimezone(ZoneInfo(time_zone)).date()
    if when < today:
        raise SettingsError(f"{_date_text(when)} has passed: choose today or a later date.", "date")
    if when > today + timedelta(days=366 * MAX_YEARS_AHEAD):
        raise SettingsError(
            f"{_date_text(when)} is more than {MAX_YEARS_AHEAD} years away: check the year.",
            "date",
        )
    return when


def _parse_date(raw: str) -> date:
    text = raw.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        raise SettingsError("Give the date as YYYY-MM-DD, like 2025-12-25.", "date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SettingsError(f"{text!r} is not a real date.", "date") from None


def check_departments(raw: Sequence[str]) -> tuple[str, ...]:
    chosen = {check_department(name, "departments") for name in raw if name.strip()}
    if not chosen:
        raise SettingsError("Choose at least one department.", "departments")
    return tuple(d for d in DEPARTMENTS if d in chosen)


def _date_text(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def stored_week(raw: Mapping[str, Any]) -> dict[str, DayInput]:
    """A JSON week (``{"mon": [["09:00", "18:00"]]}``, as ``--hours`` gives it) as inputs;
    a day left out is closed."""
    if not isinstance(raw, Mapping):
        raise SettingsError('Give the hours as {"mon": [["09:00", "18:00"]], ...}.', "hours")
    week = {}
    for day, ranges in raw.items():
        if day not in DAYS:
            raise SettingsError(f"Unknown day {str(day)[:20]!r}: use {', '.join(DAYS)}.", "hours")
        if not isinstance(ranges, list) or not all(
            isinstance(p, list) and len(p) == 2 for p in ranges
        ):
            raise SettingsError(f"{day}: give a list of [open, close] pairs.", "hours")
        week[day] = DayInput.from_stored(ranges)
    return week
