"""How big each scenario is: the full run (issue 7), a medium one and the test suite's tiny one."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Sizes:
    idle: tuple[int, ...]  # T1: idle visitor counts, measured in this order on the same server
    storm: int  # T4: sockets dropped and reconnected at once
    conversations: int  # T2: chat pairs
    rates: tuple[int, ...]  # T2: messages per second, one step each
    step_s: float  # T2: how long each rate is held
    consoles: int  # T3: available consoles rung by each new chat
    ring_trials: int  # T3: new chats, one after another
    settle_s: float  # pause before reading memory
    drain_s: float  # T2: how long to wait for stragglers after a step
    connect_in_flight: int  # handshakes the load generator keeps in flight at once

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


FULL = Sizes(
    idle=(5_000, 15_000),
    storm=5_000,
    conversations=1_000,
    rates=(250, 500, 1_000, 2_000, 4_000),
    step_s=5.0,
    consoles=50,
    ring_trials=40,
    settle_s=3.0,
    drain_s=5.0,
    connect_in_flight=200,
)

MEDIUM = Sizes(
    idle=(500, 1_500),
    storm=500,
    conversations=100,
    rates=(250, 500, 1_000),
    step_s=3.0,
    consoles=20,
    ring_trials=20,
    settle_s=1.5,
    drain_s=3.0,
    connect_in_flight=100,
)

# Every rate over conversations stays far below the per-socket limit (20 frames/s).
TINY = Sizes(
    idle=(20, 40),
    storm=20,
    conversations=8,
    rates=(20, 40),
    step_s=1.0,
    consoles=3,
    ring_trials=3,
    settle_s=0.2,
    drain_s=2.0,
    connect_in_flight=20,
)

SIZES = {"full": FULL, "medium": MEDIUM, "tiny": TINY}
