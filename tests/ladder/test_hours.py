"""Business hours: wall-clock ranges in the dealership's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chat_server.ladder.hours import (
    ALWAYS_OPEN,
    DAYS,
    WeekHours,
    department_open,
    is_open,
    next_opening,
    parse_week,
)

TZ = "America/Chicago"
CHICAGO = ZoneInfo(TZ)
WEEKDAYS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}

# 2025 in Chicago: clocks spring forward Sun 9 March 02:00 CST -> 03:00 CDT (08:00 UTC)
# and fall back Sun 2 November 02:00 CDT -> 01:00 CST (07:00 UTC).
SPRING = datetime(2025, 3, 9, 8, 0, tzinfo=UTC)
FALL = datetime(2025, 11, 2, 7, 0, tzinfo=UTC)


def local(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=CHICAGO, fold=fold)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- parsing ------------------------------------------------------------------


def test_parse_week_reads_minutes_and_missing_days_are_closed():
    week = parse_week({"mon": [["09:00", "20:00"]], "sun": []})
    assert week.ranges(0) == ((540, 1200),)
    assert all(week.ranges(day) == () for day in range(1, 7))


def test_overnight_and_full_day_ranges():
    week = parse_week(
        {"fri": [["22:00", "02:00"]], "sat": [["00:00", "00:00"]], "sun": [["18:00", "24:00"]]}
    )
    assert week.ranges(4) == ((1320, 1560),)
    assert week.ranges(5) == ((0, 1440),)
    assert week.ranges(6) == ((1080, 1440),)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"funday": []}, "unknown day 'funday'"),
        ({"mon": "09:00-17:00"}, "mon: expected a list"),
        ({"tue": [["09:00"]]}, "tue: expected an [open, close] pair"),
        ({"wed": [["9:00", "17:00"]]}, "wed: time '9:00' is not HH:MM"),
        ({"thu": [["09:00", "25:00"]]}, "thu: time '25:00' is out of range"),
        ({"fri": [["09:60", "17:00"]]}, "fri: time '09:60' is out of range"),
        ({"sat": [["24:00", "02:00"]]}, "sat: 24:00 is only allowed as a closing time"),
        ({"sun": [[900, 1700]]}, "sun: time 900 is not HH:MM"),
    ],
)
def test_bad_hours_name_the_day_and_value(raw, message):
    with pytest.raises(ValueError) as raised:
        parse_week(raw)
    assert message in str(raised.value)


def test_hours_must_be_an_object():
    with pytest.raises(ValueError, match="object keyed by day"):
        parse_week([["09:00", "17:00"]])  # type: ignore[arg-type]


# --- is_open ------------------------------------------------------------------


def test_open_between_open_and_close_in_the_local_zone():
    week = parse_week(WEEKDAYS)
    # Monday 3 March 2025; Chicago is UTC-6 in winter.
    assert not is_open(week, TZ, local(2025, 3, 3, 8, 59, 59))
    assert is_open(week, TZ, local(2025, 3, 3, 9, 0))
    assert is_open(week, TZ, utc(2025, 3, 3, 15, 0))  # the same instant given in UTC
    assert is_open(week, TZ, local(2025, 3, 3, 17, 59, 59))
    assert not is_open(week, TZ, local(2025, 3, 3, 18, 0))


def test_closed_days():
    week = parse_week({**WEEKDAYS, "sat": []})
    assert not is_open(week, TZ, local(2025, 3, 8, 12, 0))  # Saturday, empty
    assert not is_open(week, TZ, local(2025, 3, 9, 12, 0))  # Sunday, missing


def test_overnight_range_runs_into_the_next_day():
    week = parse_week({"fri": [["22:00", "02:00"]], "sun": [["20:00", "03:00"]]})
    assert not is_open(week, TZ, local(2025, 3, 7, 21, 59))
    assert is_open(week, TZ, local(2025, 3, 7, 23, 0))
    assert is_open(week, TZ, local(2025, 3, 8, 1, 59))  # Saturday morning, Friday's range
    assert not is_open(week, TZ, local(2025, 3, 8, 2, 0))
    # Sunday night wraps round the week into Monday morning.
    assert is_open(week, TZ, local(2025, 3, 17, 2, 30))
    assert not is_open(week, TZ, local(2025, 3, 17, 3, 0))


def test_24_00_closes_at_midnight():
    week = parse_week({"sat": [["18:00", "24:00"]]})
    assert is_open(week, TZ, local(2025, 3, 8, 23, 59, 59))
    assert not is_open(week, TZ, local(2025, 3, 9, 0, 0))


def test_always_open_is_open_across_both_clock_changes():
    week = parse_week(ALWAYS_OPEN)
    for moment in (SPRING, FALL):
        for minutes in range(-90, 91, 15):
            assert is_open(week, TZ, moment + timedelta(minutes=minutes))


def test_spring_forward_skips_the_missing_hour():
    week = parse_week({"sun": [["01:00", "04:00"]]})
    assert is_open(week, TZ, SPRING - timedelta(seconds=1))  # 01:59:59 CST
    assert is_open(week, TZ, SPRING)  # 03:00 CDT
    # 04:00 CDT: the range held only two real hours that night.
    assert not is_open(week, TZ, SPRING + timedelta(hours=1))


def test_fall_back_repeats_the_hour():
    week = parse_week({"sun": [["01:00", "01:30"]]})
    assert is_open(week, TZ, utc(2025, 11, 2, 6, 15))  # 01:15 CDT
    assert not is_open(week, TZ, utc(2025, 11, 2, 6, 45))  # 01:45 CDT
    assert is_open(week, TZ, utc(2025, 11, 2, 7, 15))  # 01:15 CST, the second time round
    assert not is_open(week, TZ, utc(2025, 11, 2, 7, 45))


def test_fall_back_keeps_wall_clock_hours_the_day_after():
    week = parse_week(WEEKDAYS)
    assert not is_open(week, TZ, utc(2025, 11, 3, 14, 59))  # 08:59 CST
    assert is_open(week, TZ, utc(2025, 11, 3, 15, 0))  # 09:00 CST, not 08:00


# --- next_opening -------------------------------------------------------------


def test_next_opening_is_now_when_open():
    week = parse_week(WEEKDAYS)
    now = utc(2025, 3, 3, 16, 0)
    opening = next_opening(week, TZ, now)
    assert opening == now
    assert opening.tzinfo == CHICAGO


def test_next_opening_across_a_weekend():
    week = parse_week(WEEKDAYS)
    opening = next_opening(week, TZ, local(2025, 3, 14, 18, 30))  # Friday evening
    assert opening == local(2025, 3, 17, 9, 0)
    assert opening.tzinfo == CHICAGO
    assert opening.isoformat() == "2025-03-17T09:00:00-05:00"


def test_next_opening_across_the_spring_forward_weekend():
    week = parse_week(WEEKDAYS)
    opening = next_opening(week, TZ, local(2025, 3, 7, 19, 0))  # Friday, still CST
    assert opening == utc(2025, 3, 10, 14, 0)  # Monday 09:00 CDT
    assert opening.utcoffset() == timedelta(hours=-5)


def test_next_opening_later_the_same_day_and_the_next_day():
    week = parse_week(WEEKDAYS)
    assert next_opening(week, TZ, local(2025, 3, 3, 7, 0)) == local(2025, 3, 3, 9, 0)
    assert next_opening(week, TZ, local(2025, 3, 3, 19, 0)) == local(2025, 3, 4, 9, 0)


def test_next_opening_when_a_range_starts_in_the_missing_hour():
    # 02:30 never happens on 9 March: the store opens as the clock jumps to 03:00.
    week = parse_week({"sun": [["02:30", "05:00"]]})
    opening = next_opening(week, TZ, utc(2025, 3, 9, 7, 0))
    assert opening == SPRING
    assert opening.isoformat() == "2025-03-09T03:00:00-05:00"


def test_next_opening_in_the_repeated_hour():
    week = parse_week({"sun": [["01:15", "01:30"]]})
    opening = next_opening(week, TZ, utc(2025, 11, 2, 6, 45))  # 01:45 CDT, just closed
    # An ambiguous local time never compares == across zones (PEP 495): compare in UTC.
    assert opening.astimezone(UTC) == utc(2025, 11, 2, 7, 15)  # 01:15 CST, the second time
    assert (opening.tzinfo, opening.fold) == (CHICAGO, 1)
    assert opening.utcoffset() == timedelta(hours=-6)


def test_next_opening_when_falling_back_into_a_range():
    # Closed at 01:45 CDT, but the clock falls back to 01:00 CST, inside the range.
    week = parse_week({"sun": [["00:30", "01:30"]]})
    assert next_opening(week, TZ, utc(2025, 11, 2, 6, 45)).astimezone(UTC) == FALL


def test_next_opening_never_open():
    assert next_opening(parse_week({}), TZ, utc(2025, 3, 3, 12, 0)) is None


def test_next_opening_is_open_and_nothing_earlier_is():
    week = parse_week({"wed": [["13:15", "13:20"]], "sat": [["23:00", "01:00"]]})
    start = utc(2025, 3, 1, 0, 0)
    opening = next_opening(week, TZ, start)
    assert opening is not None and is_open(week, TZ, opening)
    probe = start
    while probe < opening:
        assert not is_open(week, TZ, probe)
        probe += timedelta(minutes=5)


# --- departments and validation -----------------------------------------------


def test_department_open():
    hours = {"sales": WEEKDAYS, "service": parse_week({"sat": [["08:00", "12:00"]]})}
    monday = local(2025, 3, 3, 10, 0)
    saturday = local(2025, 3, 8, 10, 0)
    assert department_open(hours, "sales", TZ, monday)
    assert not department_open(hours, "sales", TZ, saturday)
    assert department_open(hours, "service", TZ, saturday)
    assert not department_open(hours, "parts", TZ, monday)  # no hours given: closed
    with pytest.raises(ValueError, match="unknown department 'finance'"):
        department_open(hours, "finance", TZ, monday)


def test_department_hours_are_validated():
    with pytest.raises(ValueError, match="mon:"):
        department_open({"sales": {"mon": [["9", "5"]]}}, "sales", TZ, utc(2025, 3, 3, 12, 0))


def test_naive_times_and_unknown_zones_are_refused():
    week = parse_week(ALWAYS_OPEN)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(week, TZ, datetime(2025, 3, 3, 12, 0))
    with pytest.raises(ValueError, match="unknown time zone"):
        is_open(week, "America/Atlantis", utc(2025, 3, 3, 12, 0))


def test_week_hours_is_frozen():
    week = parse_week(ALWAYS_OPEN)
    assert isinstance(week, WeekHours)
    with pytest.raises(AttributeError):
        week.days = ()  # type: ignore[misc]


# --- properties ---------------------------------------------------------------

clock = st.sampled_from([f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)] + ["24:00"])
day_ranges = st.lists(st.tuples(clock, clock), max_size=2).map(
    # 24:00 may only close a range.
    lambda pairs: [[("00:00" if a == "24:00" else a), b] for a, b in pairs]
)
weeks = st.dictionaries(st.sampled_from(DAYS), day_ranges)
# Instants within a few days of each clock change, and an ordinary week.
instants = st.tuples(
    st.sampled_from([SPRING, FALL, utc(2025, 6, 4, 12, 0)]), st.integers(-4 * 1440, 4 * 1440)
).map(lambda pair: pair[0] + timedelta(minutes=pair[1], seconds=pair[1] % 7))


@settings(max_examples=200, deadline=None)
@given(raw=weeks, at=instants)
def test_next_opening_is_the_first_open_instant(raw, at):
    week = parse_week(raw)
    opening = next_opening(week, TZ, at)
    if opening is None:
        assert not any(week.days)
        return
    assert is_open(week, TZ, opening)
    assert opening.astimezone(UTC) >= at
    if opening.astimezone(UTC) > at:
        assert not is_open(week, TZ, opening.astimezone(UTC) - timedelta(seconds=1))
