"""When the outbox tries a failed delivery again: exponential, capped, and not forever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    first_s: float = 30.0  # after the first failure
    cap_s: float = 3600.0  # no gap longer than this
    give_up_s: float = 86400.0  # counted from the delivery's creation


def next_attempt(
    policy: RetryPolicy, attempts: int, created_at: datetime, now: datetime
) -> datetime | None:
    """After ``attempts`` failures, the time of the next try, or None to give up.

    The gaps double (30 s, 1 min, 2 min, ... up to an hour by default); the last try is made
    at the give-up horizon rather than skipped, so a receiver back just before it still gets
    the lead.
    """
    horizon = created_at + timedelta(seconds=policy.give_up_s)
    if now >= horizon:
        return None
    gap = min(policy.first_s * 2 ** max(attempts - 1, 0), policy.cap_s)
    return min(now + timedelta(seconds=gap), horizon)
