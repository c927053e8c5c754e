"""Dashboard statistics are pure functions: exact numbers from hand-made records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat_server.reports.export import chats_csv
from chat_server.reports.periods import period_bounds
from chat_server.reports.stats import (
    ChatFact,
    RingFact,
    build_dashboard,
    histogram,
    median,
    percentile,
)

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def chat(i: int, outcome: str | None, *, reply: float | None = None, **kw: object) -> ChatFact:
    return ChatFact(
        id=f"c{i}",
        state="closed" if outcome else "connected",
        outcome=outcome,
        owner_id=kw.get("owner"),  # type: ignore[arg-type]
        owner_tier=kw.get("tier"),  # type: ignore[arg-type]
        first_message_at=T0,
        pool_rung_at=s(kw["pool"]) if "pool" in kw else None,  # type: ignore[arg-type]
        accepted_at=s(kw["accepted"]) if "accepted" in kw else None,  # type: ignore[arg-type]
        first_human_reply_at=s(reply) if reply is not None else None,
    )


def ring(operator: int, tier: str, after: float, reason: str | None) -> RingFact:
    return RingFact(operator, tier, T0, s(after) if reason else None, reason)


def test_median_and_nearest_rank_p90() -> None:
    assert median([]) is None and percentile([], 0.9) is None
    assert median([10, 20, 40, 90]) == 30
    assert median([7]) == 7
    assert percentile([10, 20, 40, 90], 0.9) == 90  # ceil(3.6) = 4th
    assert percentile(list(range(1, 11)), 0.9) == 9  # ceil(9.0) = 9th
    assert percentile(list(range(1, 12)), 0.9) == 10  # ceil(9.9) = 10th


@given(st.lists(st.floats(0, 10_000), min_size=1, max_size=50))
def test_p90_is_an_observed_value_at_or_above_the_median(values: list[float]) -> None:
    p90 = percentile(values, 0.9)
    assert p90 in values
    assert p90 >= median(values)  # type: ignore[operator]
    assert sum(v <= p90 for v in values) >= 0.9 * len(values)  # type: ignore[operator]


def test_histogram_buckets_are_half_open() -> None:
    counts = dict(histogram([0, 14.9, 15, 59.99, 60, 119, 120, 299, 300, 5000]))
    assert counts == {
        "under 15 s": 2,
        "15–30 s": 1,
        "30–60 s": 1,
        "1–2 min": 2,
        "2–5 min": 2,
        "over 5 min": 2,
    }


def test_a_known_scenario_gives_exact_numbers() -> None:
    alex, sam, riley = 1, 2, 9
    chats = [
        chat(1, "up", reply=10, owner=alex, tier="store", accepted=6),
        chat(2, "up", reply=20, owner=sam, tier="store", accepted=15),
        chat(3, "pool", reply=40, owner=riley, tier="pool", pool=20, accepted=30),
        chat(4, "missed", pool=20),
        chat(5, "abandoned"),
        chat(6, "up", reply=90, owner=alex, tier="store", accepted=5),
        chat(7, None),  # still going: counted as a chat, not as an outcome
    ]
    rings = [
        ring(alex, "store", 6, "accepted"),
        ring(sam, "store", 6, "taken"),
        ring(alex, "store", 15, "taken"),
        ring(sam, "store", 15, "accepted"),
        ring(alex, "store", 20, "timeout"),
        ring(sam, "store", 20, "timeout"),
        ring(riley, "pool", 10, "accepted"),
        ring(alex, "store", 20, "timeout"),
        ring(sam, "store", 20, "declined"),
        ring(alex, "store", 5, "accepted"),
        ring(sam, "store", 0, None),  # still ringing
    ]
    board = build_dashboard(
        chats,
        rings,
        ["new", "contacted", "new", "lost"],
        names={alex: "Alex", sam: "Sam", riley: "Riley", 3: "Quinn"},
        salespeople=[alex, sam, 3],
        receptionists=[riley],
    )
    assert board.chats == 7 and board.still_open == 1
    assert board.outcomes == {"up": 3, "pool": 1, "missed": 1, "abandoned": 1}
    assert (board.first_human.count, board.first_human.median_s, board.first_human.p90_s) == (
        4,
        30.0,
        90.0,
    )
    assert dict(board.histogram)["1–2 min"] == 1
    rows = {r.name: (r.offered, r.accepted, r.missed, r.median_accept_s) for r in board.salespeople}
    assert rows == {
        "Alex": (5, 2, 2, 5.5),
        "Sam": (5, 1, 1, 15.0),
        "Quinn": (0, 0, 0, None),  # never rung, still listed
    }
    [pool_row] = board.receptionists
    assert (pool_row.offered, pool_row.accepted, pool_row.median_accept_s) == (1, 1, 10.0)
    assert (board.pool.reached_pool, board.pool.answered, board.pool.median_accept_s) == (2, 1, 10)
    assert board.leads_by_status == {
        "new": 2,
        "contacted": 1,
        "appointment": 0,
        "sold": 0,
        "lost": 1,
    }


def test_periods_start_at_local_midnight_across_dst() -> None:
    # 2026-03-08 is the US spring-forward day; 03:30 UTC on the 9th is 22:30 CDT on the 8th.
    now = datetime(2026, 3, 9, 3, 30, tzinfo=UTC)
    today = period_bounds("today", now, "America/Chicago")
    assert today.start == datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # midnight CST = 06:00 UTC
    week = period_bounds("7d", now, "America/Chicago")
    assert week.start == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    month = period_bounds("30d", now, "America/Chicago")
    assert month.start == datetime(2026, 2, 7, 6, 0, tzinfo=UTC)
    assert today.end == week.end == now
    with pytest.raises(ValueError, match="period"):
        period_bounds("year", now, "America/Chicago")


def test_csv_has_local_times_and_defuses_formulas() -> None:
    text = chats_csv(
        [chat(1, "up", reply=10, owner=1, tier="store", accepted=6)],
        {1: "=HYPERLINK(evil)"},
        "America/Chicago",
    )
    header, row = text.strip().splitlines()
    assert header.startswith("conversation,first_message_local")
    assert row == "c1,2026-03-02T09:00:00-06:00,closed,up,store,'=HYPERLINK(evil),6.0,10.0,"
    named = chats_csv([chat(1, "up")], {}, "America/Chicago", {"c1": "-Pat Shopper"})
    assert named.strip().splitlines()[1].endswith(",'-Pat Shopper")
