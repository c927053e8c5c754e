"""What a console says about being rung: the pure rule, every branch."""

from __future__ import annotations

import pytest

from chat_server.chats.reachability import Reach, reach_of


@pytest.mark.parametrize(
    ("role", "presence", "store_open", "store_first", "expected"),
    [
        ("salesperson", "available", True, True, Reach(True, "on_shift", 0)),
        ("salesperson", "available", False, True, Reach(True, "on_shift", 0)),
        ("salesperson", "available", False, False, Reach(False, "closed_pool_only", 0)),
        ("salesperson", "available", True, False, Reach(True, "on_shift", 0)),
        ("salesperson", "busy", True, True, Reach(False, "not_available", 0)),
        ("salesperson", "away", True, True, Reach(False, "not_available", 0)),
        ("receptionist", "available", None, True, Reach(True, "on_shift", 0)),
        ("receptionist", "away", None, True, Reach(False, "not_available", 0)),
        ("manager", "available", True, True, Reach(False, "not_rung", 0)),
        ("admin", "available", None, True, Reach(False, "not_rung", 0)),
    ],
)
def test_reach(
    role: str, presence: str, store_open: bool | None, store_first: bool, expected: Reach
) -> None:
    assert (
        reach_of(
            role=role,
            presence=presence,
            phones=0,
            store_open=store_open,
            after_hours_store_first=store_first,
        )
        == expected
    )


def test_phones_are_counted_whatever_the_answer() -> None:
    reach = reach_of(
        role="salesperson", presence="away", phones=2, store_open=True, after_hours_store_first=True
    )
    assert reach.phones == 2 and reach.as_json() == {
        "rung": False,
        "reason": "not_available",
        "phones": 2,
        "until": None,
        "texts": False,
    }
