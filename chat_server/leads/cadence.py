"""Follow-up cadence: when each attempt on a lead is due.

Default: the first attempt within 5 minutes (during the department's hours; a lead that
arrives after hours is due 5 minutes after the next opening), then on days 1, 3 and 7, then
weekly until day 90, the lead's useful life.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

FIRST_WITHIN = timedelta(minutes=5)
DEFAULT_DAYS: tuple[int, ...] = (1, 3, 7, *range(14, 91, 7))
LIFE_DAYS = 90

NextOpening = Callable[[datetime], datetime | None]


def cadence_days(configured: Sequence[object] | None) -> tuple[int, ...]:
    """The dealership's days after the first attempt (1..90, sorted, unique), or the default."""
    days = sorted({int(d) for d in configured or () if isinstance(d, int) and 1 <= d <= 365})
    return tuple(days) or DEFAULT_DAYS


def due_times(
    created_at: datetime,
    days: Sequence[int],
    is_open: Callable[[datetime], bool],
    next_opening: NextOpening,
) -> list[datetime]:
    """Due times of every step: step 0 is the first call, then one per cadence day."""
    if is_open(created_at):
        first = created_at + FIRST_WITHIN
    else:
        opening = next_opening(created_at)
        first = (opening or created_at) + FIRST_WITHIN
    return [first, *(created_at + timedelta(days=d) for d in days)]


def step_label(step: int, days: Sequence[int]) -> str:
    """A follow-up step in words, from the cadence: "First call, day 0", then "Attempt 2, day 1"
    and so on; an attempt logged after the cadence ran out is an "Extra attempt"."""
    if step == 0:
        return f"First call, day 0 (within {FIRST_WITHIN.seconds // 60} minutes)"
    if 1 <= step <= len(days):
        return f"Attempt {step + 1}, day {days[step - 1]}"
    return "Extra attempt"
