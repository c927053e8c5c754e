"""Time as a seam: the server reads the clock only through a ``Clock``."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock for tests that runs with real time and can be moved ahead at will.

    ``now()`` is the start plus the real time elapsed plus every ``advance``. Time keeps
    flowing (rather than standing still) so that rows written one after another still get
    increasing timestamps, which some queries order by; ladder windows of seconds are
    reached by ``advance`` instead of by waiting.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime.now(UTC)
        self._started = time.monotonic()
        self._skipped = timedelta(0)

    def now(self) -> datetime:
        elapsed = timedelta(seconds=time.monotonic() - self._started)
        return self._start + elapsed + self._skipped

    def advance(self, seconds: float) -> None:
        """Move time ahead by ``seconds`` (never back)."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self._skipped += timedelta(seconds=seconds)

    def advance_to(self, when: datetime) -> None:
        """Move time ahead to ``when``, if that is later than now."""
        gap = (when - self.now()).total_seconds()
        if gap > 0:
            self.advance(gap)
