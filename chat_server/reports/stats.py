"""Dashboard statistics as pure functions over plain records (no database, no clock).

Definitions, so the numbers can be audited:

- *time to first human*: from the shopper's first message to the first reply written by a
  person (salesperson, manager or receptionist); chats nobody replied to are not in it.
- *median*: the middle value, or the mean of the two middle values.
- *90th percentile*: nearest rank: the smallest value with at least 90% of values at or
  below it (``ceil(0.9 * n)``-th in sorted order); always one of the observed values.
- per operator, from the ``rings`` table: *offered* every ring they got, *accepted* rings
  they accepted, *missed* rings that ran out while ringing them (``timeout``), and the
  median time from the ring being offered to their accepting it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median as _median

OUTCOMES = ("up", "pool", "missed", "abandoned")
LEAD_STATUSES = ("new", "contacted", "appointment", "sold", "lost")
# Histogram buckets for time to first human: (label, upper bound in seconds, exclusive).
BUCKETS: tuple[tuple[str, float], ...] = (
    ("under 15 s", 15),
    ("15–30 s", 30),
    ("30–60 s", 60),
    ("1–2 min", 120),
    ("2–5 min", 300),
    ("over 5 min", math.inf),
)


@dataclass(frozen=True)
class ChatFact:
    id: str
    state: str
    outcome: str | None
    owner_id: int | None
    owner_tier: str | None
    first_message_at: datetime
    pool_rung_at: datetime | None = None
    accepted_at: datetime | None = None
    first_human_reply_at: datetime | None = None


@dataclass(frozen=True)
class RingFact:
    operator_id: int
    tier: str
    offered_at: datetime
    ended_at: datetime | None
    end_reason: str | None


@dataclass(frozen=True)
class Summary:
    count: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class OperatorStats:
    operator_id: int
    name: str
    offered: int
    accepted: int
    missed: int
    median_accept_s: float | None


@dataclass(frozen=True)
class PoolStats:
    reached_pool: int  # chats that rang the pool
    answered: int  # of those, answered by a receptionist
    median_accept_s: float | None  # pool ring to a receptionist's accept
    first_human: Summary  # for the chats the pool answered


@dataclass(frozen=True)
class Dashboard:
    chats: int
    outcomes: dict[str, int]
    still_open: int
    first_human: Summary
    histogram: list[tuple[str, int]]
    salespeople: list[OperatorStats]
    receptionists: list[OperatorStats]
    pool: PoolStats
    leads_by_status: dict[str, int] = field(default_factory=dict)


def median(values: Sequence[float]) -> float | None:
    return float(_median(values)) if values else None


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (see the module docstring); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[rank - 1])


def summarise(values: Sequence[float]) -> Summary:
    return Summary(count=len(values), median_s=median(values), p90_s=percentile(values, 0.9))


def first_human_seconds(chats: Iterable[ChatFact]) -> list[float]:
    return [
        (c.first_human_reply_at - c.first_message_at).total_seconds()
        for c in chats
        if c.first_human_reply_at is not None
    ]


def histogram(seconds: Iterable[float]) -> list[tuple[str, int]]:
    counts = [0] * len(BUCKETS)
    for value in seconds:
        for index, (_label, upper) in enumerate(BUCKETS):
            if value < upper:
                counts[index] += 1
                break
    return [(label, count) for (label, _upper), count in zip(BUCKETS, counts, strict=True)]


def operator_stats(
    rings: Iterable[RingFact], names: dict[int, str], operator_ids: Iterable[int]
) -> list[OperatorStats]:
    """One row per operator in ``operator_ids`` (so someone never rung shows zeros)."""
    by_operator: dict[int, list[RingFact]] = {o: [] for o in operator_ids}
    for ring in rings:
        if ring.operator_id in by_operator:
            by_operator[ring.operator_id].append(ring)
    rows = []
    for operator_id, own in by_operator.items():
        accepted = [r for r in own if r.end_reason == "accepted" and r.ended_at is not None]
        rows.append(
            OperatorStats(
                operator_id=operator_id,
                name=names.get(operator_id, f"#{operator_id}"),
                offered=len(own),
                accepted=len(accepted),
                missed=sum(1 for r in own if r.end_reason == "timeout"),
                median_accept_s=median(
                    [(r.ended_at - r.offered_at).total_seconds() for r in accepted]  # type: ignore[operator]
                ),
            )
        )
    return sorted(rows, key=lambda r: (r.name.lower(), r.operator_id))


def pool_stats(chats: Sequence[ChatFact]) -> PoolStats:
    reached = [c for c in chats if c.pool_rung_at is not None]
    answered = [c for c in reached if c.owner_tier == "pool"]
    return PoolStats(
        reached_pool=len(reached),
        answered=len(answered),
        median_accept_s=median(
            [
                (c.accepted_at - c.pool_rung_at).total_seconds()  # type: ignore[operator]
                for c in answered
                if c.accepted_at is not None
            ]
        ),
        first_human=summarise(first_human_seconds(answered)),
    )


def build_dashboard(
    chats: Sequence[ChatFact],
    rings: Sequence[RingFact],
    lead_statuses: Iterable[str],
    *,
    names: dict[int, str],
    salespeople: Iterable[int],
    receptionists: Iterable[int],
) -> Dashboard:
    """Everything the dashboard shows for one dealership and one period."""
    outcome_counts = Counter(c.outcome for c in chats if c.outcome is not None)
    seconds = first_human_seconds(chats)
    statuses = Counter(lead_statuses)
    return Dashboard(
        chats=len(chats),
        outcomes={name: outcome_counts.get(name, 0) for name in OUTCOMES},
        still_open=sum(1 for c in chats if c.outcome is None),
        first_human=summarise(seconds),
        histogram=histogram(seconds),
        salespeople=operator_stats([r for r in rings if r.tier == "store"], names, salespeople),
        receptionists=operator_stats([r for r in rings if r.tier == "pool"], names, receptionists),
        pool=pool_stats(chats),
        leads_by_status={s: statuses.get(s, 0) for s in LEAD_STATUSES}
        | {s: n for s, n in statuses.items() if s not in LEAD_STATUSES},
    )
