"""Dated exceptions to weekly hours: holidays, closures and special hours (issue 14).

Unit tests pin the rules with examples; property tests check them across daylight-saving
changes (Chicago, London, Sydney) and overnight ranges against a plain wall-clock oracle and
against the weekly-only code as it was before dated exceptions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat_server.ladder.hours import (
    DAYS,
    DEPARTMENTS,
    LABEL_MAX,
    DatedHours,
    WeekHours,
    dated_for,
    department_open,
    is_open,
    next_opening,
    parse_dated,
    parse_week,
)
from chat_server.widget_theme import opens_next

TZ = "America/Chicago"
CHICAGO = ZoneInfo(TZ)
WEEKDAYS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def local(*args: int, zone: ZoneInfo = CHICAGO, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=zone, fold=fold)  # type: ignore[misc]


def closure(day: str, *departments: str, label: str = "Holiday") -> dict:
    return {
        "date": day,
        "departments": list(departments or ("sales",)),
        "ranges": [],
        "label": label,
    }


def special(day: str, *ranges: tuple[str, str], departments=("sales",)) -> dict:
    return {"date": day, "departments": list(departments), "ranges": [list(r) for r in ranges]}


# --- parsing ------------------------------------------------------------------


def test_parse_dated_reads_dates_departments_ranges_and_label():
    parsed = parse_dated(
        [
            {
                "date": "2025-12-26",
                "departments": ["service", "sales"],
                "ranges": [["10:00", "14:00"]],
            },
            closure("2025-12-25", "sales", "parts", label="  Christmas   Day "),
        ]
    )
    assert parsed == (
        DatedHours(date(2025, 12, 25), ("sales", "parts"), (), "Christmas Day"),
        DatedHours(date(2025, 12, 26), ("sales", "service"), ((600, 840),), ""),
    )
    assert parsed[0].closed and not parsed[1].closed
    assert parsed[1].to_json() == {
        "date": "2025-12-26",
        "departments": ["sales", "service"],
        "ranges": [["10:00", "14:00"]],
        "label": "",
    }
    # The stored form reads back the same, overnight and to-midnight ranges included.
    odd = special("2025-12-31", ("20:00", "02:00"), ("06:00", "24:00"))
    assert parse_dated([parse_dated([odd])[0].to_json()]) == parse_dated([odd])
    assert parse_dated(None) == () and parse_dated([]) == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([closure("2025-13-01")], "date '2025-13-01' is not a real date"),
        ([closure("2025-02-30")], "date '2025-02-30' is not a real date"),
        ([closure("25/12/2025")], "date '25/12/2025' is not YYYY-MM-DD"),
        ([{"departments": ["sales"], "ranges": []}], "date None is not YYYY-MM-DD"),
        ([closure("2025-12-25", "finance")], "2025-12-25: unknown department 'finance'"),
        ([{"date": "2025-12-25", "departments": [], "ranges": []}], "name at least one department"),
        ([closure("2025-12-25", "sales", "sales")], "a department is listed twice"),
        ([special("2025-12-24", ("9:00", "12:00"))], "2025-12-24: time '9:00' is not HH:MM"),
        ([special("2025-12-24", ("09:00", "25:00"))], "2025-12-24: time '25:00' is out of range"),
        ([special("2025-12-24", ("24:00", "02:00"))], "24:00 is only allowed as a closing time"),
        (
            [closure("2025-12-25", "sales", "service"), closure("2025-12-25", "service")],
            "2025-12-25: service already has an exception on that date",
        ),
        ([closure("2025-12-25", label="x" * (LABEL_MAX + 1))], f"longer than {LABEL_MAX}"),
        ([{**closure("2025-12-25"), "label": 7}], "label must be text"),
        ([{**closure("2025-12-25"), "open": True}], "unknown field 'open'"),
        (["2025-12-25"], "must be an object"),
        ({"date": "2025-12-25"}, "must be a list of exceptions"),
    ],
)
def test_bad_dated_hours_name_the_problem(raw, message):
    with pytest.raises(ValueError) as raised:
        parse_dated(raw)
    assert message in str(raised.value)


def test_the_same_date_for_different_departments_is_fine():
    parsed = parse_dated([closure("2025-12-25", "sales"), closure("2025-12-25", "service")])
    assert dated_for(parsed, "sales") == {date(2025, 12, 25): ()}
    assert dated_for(parsed, "parts") == {}


# --- is_open with exceptions --------------------------------------------------


def test_a_closure_closes_its_date_only():
    week = parse_week(WEEKDAYS)
    christmas = [closure("2025-12-25")]  # a Thursday
    kw = {"dated": christmas, "department": "sales"}
    assert is_open(week, TZ, local(2025, 12, 25, 12, 0))  # without the exception
    assert not is_open(week, TZ, local(2025, 12, 25, 12, 0), **kw)
    assert is_open(week, TZ, local(2025, 12, 24, 12, 0), **kw)
    assert is_open(week, TZ, local(2025, 12, 26, 9, 0), **kw)


def test_special_hours_replace_the_weekday_and_may_open_a_closed_day():
    week = parse_week(WEEKDAYS)
    dated = [special("2025-12-24", ("10:00", "14:00")), special("2025-12-28", ("12:00", "16:00"))]
    kw = {"dated": dated, "department": "sales"}
    assert not is_open(week, TZ, local(2025, 12, 24, 9, 30), **kw)  # weekday would be open
    assert is_open(week, TZ, local(2025, 12, 24, 13, 59), **kw)
    assert not is_open(week, TZ, local(2025, 12, 24, 14, 0), **kw)
    assert is_open(week, TZ, local(2025, 12, 28, 12, 0), **kw)  # a Sunday


def test_the_evening_before_a_holiday_runs_into_it():
    week = parse_week({"wed": [["20:00", "02:00"]], "thu": [["09:00", "18:00"]]})
    kw = {"dated": [closure("2025-12-25")], "department": "sales"}
    assert is_open(week, TZ, local(2025, 12, 25, 1, 59), **kw)  # Wednesday's range
    assert not is_open(week, TZ, local(2025, 12, 25, 2, 0), **kw)
    assert not is_open(week, TZ, local(2025, 12, 25, 9, 0), **kw)


def test_a_holidays_own_overnight_range_is_dropped_and_special_hours_may_run_past_midnight():
    week = parse_week({"wed": [["20:00", "02:00"]]})
    closed = {"dated": [closure("2025-12-24")], "department": "sales"}
    assert not is_open(week, TZ, local(2025, 12, 24, 21, 0), **closed)
    assert not is_open(week, TZ, local(2025, 12, 25, 1, 0), **closed)
    late = {"dated": [special("2025-12-31", ("20:00", "03:00"))], "department": "sales"}
    assert is_open(week, TZ, local(2026, 1, 1, 2, 59), **late)  # into an ordinary Thursday
    assert not is_open(week, TZ, local(2026, 1, 1, 3, 0), **late)


def test_exceptions_follow_the_department():
    hours = {"sales": WEEKDAYS, "service": WEEKDAYS}
    dated = [closure("2025-12-25", "service")]
    noon = local(2025, 12, 25, 12, 0)
    assert department_open(hours, "sales", TZ, noon, dated=dated)
    assert not department_open(hours, "service", TZ, noon, dated=dated)
    # A department without weekly hours may still have special hours on a date.
    parts = [special("2025-12-27", ("08:00", "12:00"), departments=("parts",))]
    assert department_open(hours, "parts", TZ, local(2025, 12, 27, 9, 0), dated=parts)
    assert not department_open(hours, "parts", TZ, local(2025, 12, 28, 9, 0), dated=parts)


def test_is_open_needs_the_department_to_use_exceptions():
    week = parse_week(WEEKDAYS)
    with pytest.raises(ValueError, match="need the department"):
        is_open(week, TZ, local(2025, 12, 25, 12, 0), dated=[closure("2025-12-25")])
    with pytest.raises(ValueError, match="unknown department 'finance'"):
        is_open(week, TZ, local(2025, 12, 25), dated=[closure("2025-12-25")], department="finance")
    assert is_open(week, TZ, local(2025, 12, 25, 12, 0), dated=[])  # nothing to apply


def test_parsed_exceptions_are_accepted_as_they_are():
    parsed = parse_dated([closure("2025-12-25")])
    assert not department_open(
        {"sales": WEEKDAYS}, "sales", TZ, local(2025, 12, 25, 12), dated=parsed
    )


def test_a_closure_on_the_spring_forward_date():
    week = parse_week({day: [["00:00", "24:00"]] for day in DAYS})
    kw = {"dated": [closure("2025-03-09")], "department": "sales"}
    assert is_open(week, TZ, datetime(2025, 3, 9, 5, 59, tzinfo=UTC), **kw)  # Sat 23:59 CST
    assert not is_open(week, TZ, datetime(2025, 3, 9, 6, 0, tzinfo=UTC), **kw)
    assert not is_open(week, TZ, datetime(2025, 3, 10, 4, 59, tzinfo=UTC), **kw)  # 23:59 CDT
    assert is_open(week, TZ, datetime(2025, 3, 10, 5, 0, tzinfo=UTC), **kw)


# --- next_opening with exceptions ---------------------------------------------


def test_next_opening_skips_a_closure():
    week = parse_week(WEEKDAYS)
    kw = {"dated": [closure("2025-12-25"), closure("2025-12-26")], "department": "sales"}
    opening = next_opening(week, TZ, local(2025, 12, 24, 18, 0), **kw)
    assert opening == local(2025, 12, 29, 9, 0)


def test_next_opening_searches_past_a_two_week_closure():
    week = parse_week(WEEKDAYS)
    start = date(2025, 7, 1)
    days = [(start + timedelta(days=n)).isoformat() for n in range(14)]
    kw = {"dated": [closure(day) for day in days], "department": "sales"}
    opening = next_opening(week, TZ, local(2025, 6, 30, 19, 0), **kw)
    assert opening == local(2025, 7, 15, 9, 0)  # the Tuesday after the closure


def test_next_opening_finds_special_hours_first():
    week = parse_week(WEEKDAYS)
    kw = {"dated": [special("2025-12-27", ("10:00", "14:00"))], "department": "sales"}
    assert next_opening(week, TZ, local(2025, 12, 26, 19, 0), **kw) == local(2025, 12, 27, 10, 0)


def test_next_opening_with_only_special_hours():
    week = parse_week({})
    kw = {"dated": [special("2026-02-14", ("10:00", "14:00"))], "department": "sales"}
    assert next_opening(week, TZ, local(2025, 12, 1, 8, 0), **kw) == local(2026, 2, 14, 10, 0)
    assert next_opening(week, TZ, local(2026, 2, 14, 14, 0), **kw) is None


def test_next_opening_when_every_later_day_is_closed_by_exceptions_is_a_week_on():
    week = parse_week({"mon": [["09:00", "10:00"]]})
    dated = [closure((date(2025, 12, 1) + timedelta(days=7 * n)).isoformat()) for n in range(8)]
    opening = next_opening(week, TZ, local(2025, 11, 30), dated=dated, department="sales")
    assert opening == local(2026, 1, 26, 9, 0)


def test_the_widget_names_the_date_after_a_long_closure():
    hours = {"sales": WEEKDAYS}
    days = [(date(2025, 7, 1) + timedelta(days=n)).isoformat() for n in range(14)]
    now = local(2025, 6, 30, 19, 0).astimezone(UTC)
    found = opens_next(hours, "sales", TZ, now, "en", dated=[closure(day) for day in days])
    assert found == {
        "at": "2025-07-15T09:00:00-05:00",
        "text": "Sales opens Tuesday, July 15 9:00 AM",
    }
    es = opens_next(hours, "sales", TZ, now, "es", dated=[closure(day) for day in days])
    assert es is not None and es["text"] == "Ventas abre el martes 15 de julio a las 9:00"
    # Without exceptions nothing changes.
    assert opens_next(hours, "sales", TZ, now, "en")["text"] == "Sales opens tomorrow at 9:00 AM"


# --- property tests across DST changes and overnight ranges -------------------

# 2025's clock changes (UTC instants): spring forward, fall back.
TRANSITIONS = {
    "America/Chicago": (datetime(2025, 3, 9, 8, tzinfo=UTC), datetime(2025, 11, 2, 7, tzinfo=UTC)),
    "Europe/London": (datetime(2025, 3, 30, 1, tzinfo=UTC), datetime(2025, 10, 26, 1, tzinfo=UTC)),
    # Southern hemisphere: falls back in April, springs forward in October.
    "Australia/Sydney": (
        datetime(2025, 4, 5, 16, tzinfo=UTC),
        datetime(2025, 10, 4, 16, tzinfo=UTC),
    ),
}

clock = st.integers(min_value=0, max_value=24 * 4 - 1).map(lambda q: q * 15)  # quarter hours


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def day_ranges(draw) -> list[list[str]]:
    """Zero to two ranges; a close not after the open runs past midnight."""
    out = []
    for _ in range(draw(st.integers(0, 2))):
        open_min, close_min = draw(clock), draw(clock)
        close = "24:00" if close_min == 0 and draw(st.booleans()) else _hhmm(close_min)
        out.append([_hhmm(open_min), close])
    return out


weeks = st.fixed_dictionaries({}, optional={day: day_ranges() for day in DAYS})


@st.composite
def scenarios(draw):
    """A zone, an instant within four days of one of its clock changes, weekly hours, and
    exceptions on dates around that change (for sales and sometimes other departments)."""
    tz = draw(st.sampled_from(sorted(TRANSITIONS)))
    change = draw(st.sampled_from(TRANSITIONS[tz]))
    at = change + timedelta(minutes=draw(st.integers(-4 * 24 * 60, 4 * 24 * 60)))
    raw_week = draw(weeks)
    change_day = change.astimezone(ZoneInfo(tz)).date()
    offsets = draw(st.lists(st.integers(-3, 3), unique=True, max_size=4))
    dated = [
        {
            "date": (change_day + timedelta(days=n)).isoformat(),
            "departments": draw(
                st.sampled_from([["sales"], ["sales", "service"], ["service"], ["parts", "sales"]])
            ),
            "ranges": draw(day_ranges()),
            "label": "",
        }
        for n in offsets
    ]
    return tz, at, raw_week, dated


def oracle(week: WeekHours, overrides: dict[date, tuple], tz: str, at: datetime) -> bool:
    """Open when the local wall clock lies in a range of today or yesterday (the day the range
    opens on), where a date with an exception uses the exception's ranges."""
    wall = at.astimezone(ZoneInfo(tz)).replace(tzinfo=None, fold=0)
    for back in (0, 1):
        day = wall.date() - timedelta(days=back)
        ranges = overrides.get(day, week.ranges(day.weekday()))
        midnight = datetime.combine(day, time())
        for open_min, close_min in ranges:
            if (
                midnight + timedelta(minutes=open_min)
                <= wall
                < midnight + timedelta(minutes=close_min)
            ):
                return True
    return False


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(scenarios())
def test_without_exceptions_nothing_changes(scenario):
    tz, at, raw_week, _dated = scenario
    week = parse_week(raw_week)
    assert is_open(week, tz, at) == weekly_is_open(week, tz, at) == oracle(week, {}, tz, at)
    assert is_open(week, tz, at, dated=[], department="sales") == is_open(week, tz, at)
    new, old = next_opening(week, tz, at), weekly_next_opening(week, tz, at)
    assert (new is None and old is None) or new.astimezone(UTC) == old.astimezone(UTC)


@PROPERTY
@given(scenarios())
def test_is_open_is_the_wall_clock_with_each_dates_own_ranges(scenario):
    tz, at, raw_week, dated = scenario
    week = parse_week(raw_week)
    for department in DEPARTMENTS:
        overrides = dated_for(dated, department)
        got = is_open(week, tz, at, dated=dated, department=department)
        assert got == oracle(week, overrides, tz, at)


@PROPERTY
@given(scenarios())
def test_an_exception_affects_only_its_own_date_and_the_spill_over(scenario):
    tz, at, raw_week, dated = scenario
    week = parse_week(raw_week)
    today = at.astimezone(ZoneInfo(tz)).date()
    touched = {item.day for item in parse_dated(dated) if "sales" in item.departments}
    if not touched & {today, today - timedelta(days=1)}:
        assert is_open(week, tz, at, dated=dated, department="sales") == is_open(week, tz, at)


@PROPERTY
@given(scenarios())
def test_a_closure_date_is_closed_but_for_the_day_befores_spill_over(scenario):
    tz, at, raw_week, dated = scenario
    week = parse_week(raw_week)
    zone = ZoneInfo(tz)
    day = at.astimezone(zone).date()
    dated = [item for item in dated if item["date"] != day.isoformat()] + [closure(day.isoformat())]
    overrides = dated_for(dated, "sales")
    yesterday = overrides.get(
        day - timedelta(days=1), week.ranges((day - timedelta(days=1)).weekday())
    )
    spill_until = max((close - 24 * 60 for _o, close in yesterday), default=0)  # minutes
    probe = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    while probe < end:
        wall = probe.astimezone(zone)
        minute = wall.hour * 60 + wall.minute
        expected = minute < spill_until
        assert is_open(week, tz, probe, dated=dated, department="sales") == expected, wall
        probe += timedelta(minutes=10)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_next_opening_is_open_and_nothing_before_it_is(scenario):
    tz, at, raw_week, dated = scenario
    week = parse_week(raw_week)
    parsed = parse_dated(dated)  # parsed once: the sampling below calls is_open often
    kw = {"dated": parsed, "department": "sales"}
    opening = next_opening(week, tz, at, **kw)
    horizon = at + timedelta(days=16)
    if opening is None:
        probe = at
        while probe < horizon:
            assert not is_open(week, tz, probe, **kw)
            probe += timedelta(minutes=37)
        return
    assert opening.tzinfo == ZoneInfo(tz)
    assert opening >= at and is_open(week, tz, opening, **kw)
    if opening > at:
        # In UTC: arithmetic on a local datetime is wall-clock arithmetic (PEP 495).
        assert not is_open(week, tz, opening.astimezone(UTC) - timedelta(seconds=1), **kw)
    probe = at
    while probe < opening:
        assert not is_open(week, tz, probe, **kw), probe
        probe += timedelta(minutes=7)


# --- the weekly-only code as it was before dated exceptions (the reference) -----------


def weekly_is_open(week: WeekHours, tz: str, at: datetime) -> bool:
    local_at = at.astimezone(ZoneInfo(tz))
    second = local_at.hour * 3600 + local_at.minute * 60 + local_at.second
    today = local_at.weekday()
    for open_min, close_min in week.ranges(today):
        if open_min * 60 <= second < close_min * 60:
            return True
    for _open_min, close_min in week.ranges((today - 1) % 7):
        if second < (close_min - 24 * 60) * 60:
            return True
    return False


def weekly_next_opening(week: WeekHours, tz: str, at: datetime) -> datetime | None:
    zone = ZoneInfo(tz)
    if weekly_is_open(week, tz, at):
        return at.astimezone(zone)
    if not any(week.days):
        return None
    start_utc = at.astimezone(UTC)
    first_day = at.astimezone(zone).date()
    candidates: list[datetime] = []
    for offset in range(-1, 9):
        day = first_day + timedelta(days=offset)
        midnight = datetime.combine(day, time())
        for open_min, _close_min in week.ranges(day.weekday()):
            wall = midnight + timedelta(minutes=open_min)
            for fold in (0, 1):
                candidates.append(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC))
        candidates.extend(_weekly_offset_change(zone, day))
    for candidate in sorted(c for c in candidates if c > start_utc):
        if weekly_is_open(week, tz, candidate):
            return candidate.astimezone(zone)
    return None


def _weekly_offset_change(zone: ZoneInfo, day: date) -> list[datetime]:
    low = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    high = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    before = low.astimezone(zone).utcoffset()
    if high.astimezone(zone).utcoffset() == before:
        return []
    lo, hi = 0, int((high - low).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (low + timedelta(seconds=mid)).astimezone(zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return [low + timedelta(seconds=hi)]
