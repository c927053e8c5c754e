"""Background work owned by the app's lifespan: one poll-and-wake loop, and stopping tasks.

Several parts of a node poll the database on a timer and can be told to look now: the
deadline runner, the lead-delivery outbox, the presence heartbeat and its auto-away sweep.
They share :class:`PollingWorker`, so starting, waking, surviving an outage and stopping
cleanly are written (and tested, tests/test_background.py) once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Self


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task`` and wait until it has finished unwinding (None is a no-op)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class PollingWorker:
    """Runs :meth:`tick` every ``interval_s`` seconds, or sooner after :meth:`wake`.

    Use it as an async context manager: entering starts the loop's task, leaving cancels it
    and waits for it to unwind (a tick in progress is interrupted; ticks are written to be
    safe to cut short, as the database rolls back and leases expire). An exception from a
    tick is logged on the subclass's module logger and the loop goes on at the next
    interval: the usual cause is a database or Redis outage, which ends by itself.

    A :meth:`wake` during a tick is not lost: the next wait returns at once and the loop
    ticks again. With ``tick_at_start`` false the first tick comes one interval after start
    (or at the first wake) rather than at once.
    """

    #: The asyncio task's name (shows in ``asyncio.all_tasks()`` and debug dumps).
    name = "polling-worker"
    #: What the log says when a tick fails, and at which level.
    failure_message = "background poll failed; retrying"
    failure_level = logging.ERROR

    def __init__(self, interval_s: float, *, tick_at_start: bool = True) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s}")
        self.interval_s = interval_s
        self._tick_at_start = tick_at_start
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._log = logging.getLogger(type(self).__module__)

    async def tick(self) -> None:
        """One round of work; subclasses override this."""
        raise NotImplementedError

    def wake(self) -> None:
        """Tick now rather than at the end of the current interval."""
        self._wake.set()

    @property
    def running(self) -> bool:
        """True between entering and leaving the context."""
        return self._task is not None and not self._task.done()

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name=self.name)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task, self._task = self._task, None
        await stop_task(task)

    async def _run(self) -> None:
        if not self._tick_at_start:
            await self._wait()
        while True:
            try:
                await self.tick()
            except Exception:  # an outage: keep polling, it may come back
                self._log.log(self.failure_level, self.failure_message, exc_info=True)
            await self._wait()

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.interval_s)
        self._wake.clear()
