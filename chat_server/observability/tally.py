"""What one committed step implies for the metrics, collected inside its transaction.

The ladder shell and the message store fill a ``Tally`` while their transaction is open;
``chats.fanout.publish`` hands it to the node's metrics after the commit, with the frames.
Counting at commit time means a rolled-back step (a lost race, a storage error) counts
nothing, and the store code needs no handle on the metrics (it has no ``Runtime``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    """Plain counts; cheap to fill on the hot path (no Prometheus objects in here)."""

    rings_offered: Counter[str] = field(default_factory=Counter)  # by tier: store, pool
    ring_cancellations: Counter[str] = field(default_factory=Counter)  # by reason
    outcomes: list[str] = field(default_factory=list)  # up, pool, missed, abandoned
    messages_stored: int = 0
    # Seconds from the shopper's first message to the first human reply, once per chat.
    first_human_waits: list[float] = field(default_factory=list)
