"""De-duplication: the same shopper at the same dealership within 30 days is one lead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Candidate:
    """An existing lead as the rule sees it."""

    id: int
    dealership_id: int
    email_key: str
    name_phone_key: str
    last_activity: datetime  # created, or last merged into


def find_duplicate(
    candidates: Sequence[Candidate],
    dealership_id: int,
    email_key: str,
    name_phone_key: str,
    now: datetime,
) -> int | None:
    """The lead to merge into: same e-mail, or same name and phone, same dealership, within
    30 days of its last activity; the most recently active one wins."""
    matches = [
        c
        for c in candidates
        if c.dealership_id == dealership_id
        and now - c.last_activity <= WINDOW
        and (
            (email_key and c.email_key == email_key)
            or (name_phone_key and c.name_phone_key == name_phone_key)
        )
    ]
    if not matches:
        return None
    return max(matches, key=lambda c: (c.last_activity, c.id)).id
