"""A deliberately busy machine: one busy-loop process per CPU core, for as long as a test runs.

Production nodes share their cores with other work, and the chaos test's invariants must hold
there too: a late frame, a slow commit or a reconnect that takes seconds must not lose or double
a message. ``DEALER_CHAT_CHAOS_HOG=1`` turns this on for the chaos test (``hog_from_env``).
The processes are stopped when the block ends, however it ends (a failed assertion, Ctrl-C),
and they are started in their own process group so that nothing outlives the test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

HOG_ENV = "DEALER_CHAT_CHAOS_HOG"
_BUSY_LOOP = "while True:\n    pass\n"


def hog_wanted() -> bool:
    """Whether ``DEALER_CHAT_CHAOS_HOG`` asks for a CPU hog (``1``, ``true``, ``yes``)."""
    return os.environ.get(HOG_ENV, "").strip().lower() in ("1", "true", "yes")


@contextmanager
def cpu_hog(processes: int | None = None) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Run ``processes`` busy loops (default: one per core) until the block ends."""
    count = processes if processes is not None else (os.cpu_count() or 1)
    hogs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            hogs.append(
                subprocess.Popen(
                    [sys.executable, "-c", _BUSY_LOOP],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,  # a Ctrl-C to pytest's group is handled below
                )
            )
        yield hogs
    finally:
        for hog in hogs:
            if hog.poll() is None:
                hog.send_signal(signal.SIGKILL)
        for hog in hogs:
            hog.wait(timeout=10)


@contextmanager
def hog_from_env() -> Iterator[int]:
    """A CPU hog on every core when ``DEALER_CHAT_CHAOS_HOG`` asks for one; yields its size."""
    if not hog_wanted():
        yield 0
        return
    with cpu_hog() as hogs:
        yield len(hogs)
