"""Reporting periods (today, last 7 days, last 30 days) in the dealership's own time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

PERIOD_DAYS = {"today": 1, "7d": 7, "30d": 30}
PERIOD_LABELS = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days"}


@dataclass(frozen=True)
class Period:
    key: str
    start: datetime  # UTC, inclusive: local midnight of the first day
    end: datetime  # UTC, exclusive: now

    @property
    def label(self) -> str:
        return PERIOD_LABELS[self.key]


def period_bounds(key: str, now: datetime, time_zone: str) -> Period:
    """``today`` starts at the dealership's local midnight; ``7d`` six local midnights earlier.

    Days are counted on the local calendar (not as 24-hour blocks), so a day that has 23 or
    25 hours across a DST change is still one day.
    """
    if key not in PERIOD_DAYS:
        raise ValueError(f"period must be one of {', '.join(PERIOD_DAYS)}, got {key!r}")
    zone = ZoneInfo(time_zone)
    local_today = now.astimezone(zone).date()
    first_day = local_today - timedelta(days=PERIOD_DAYS[key] - 1)
    start = datetime.combine(first_day, time(0, 0), tzinfo=zone)
    return Period(key=key, start=start.astimezone(UTC), end=now.astimezone(UTC))
