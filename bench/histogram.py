"""Latency recording in microseconds on an HdrHistogram, summarised in milliseconds."""

from __future__ import annotations

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 120_000_000  # two minutes: anything slower is clamped
SIGNIFICANT_DIGITS = 3


class Latency:
    """One distribution of delays (recorded in nanoseconds, stored in microseconds)."""

    def __init__(self) -> None:
        self.histogram = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)

    def record_ns(self, delay_ns: int) -> None:
        self.histogram.record_value(min(max(delay_ns // 1000, LOWEST_US), HIGHEST_US))

    @property
    def count(self) -> int:
        return int(self.histogram.get_total_count())

    def percentile_ms(self, percentile: float) -> float | None:
        if self.count == 0:
            return None
        return round(self.histogram.get_value_at_percentile(percentile) / 1000, 3)

    def summary(self) -> dict[str, float | int | None]:
        """count, p50, p99, p99.9 and max, in milliseconds (None when nothing was recorded)."""
        return {
            "count": self.count,
            "p50_ms": self.percentile_ms(50),
            "p99_ms": self.percentile_ms(99),
            "p999_ms": self.percentile_ms(99.9),
            "max_ms": round(self.histogram.get_max_value() / 1000, 3) if self.count else None,
        }
