"""The poll-and-wake base every background worker shares: tick, wake, survive, stop cleanly."""

from __future__ import annotations

import asyncio
import logging

import pytest

from chat_server.background import PollingWorker

LONG = 3600.0  # an interval that never elapses during a test: only wake() can cause a tick


class Counting(PollingWorker):
    """Counts ticks and lets a test wait for the n-th one; optionally fails or blocks."""

    name = "counting-worker"
    failure_message = "counting tick failed"

    def __init__(self, interval_s: float, *, tick_at_start: bool = True) -> None:
        super().__init__(interval_s, tick_at_start=tick_at_start)
        self.ticks = 0
        self.fail_next = 0
        self.block: asyncio.Event | None = None
        self.entered_tick = asyncio.Event()
        self._ticked = asyncio.Condition()

    async def tick(self) -> None:
        self.entered_tick.set()
        if self.block is not None:
            await self.block.wait()
        async with self._ticked:
            self.ticks += 1
            self._ticked.notify_all()
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("the database went away")

    async def until(self, ticks: int) -> None:
        async with self._ticked:
            await asyncio.wait_for(self._ticked.wait_for(lambda: self.ticks >= ticks), 5)


async def test_it_ticks_at_start_then_every_interval() -> None:
    async with Counting(0.01) as worker:
        await worker.until(1)
        await worker.until(4)  # no wake(): only the interval can bring these
        assert worker.running


async def test_wake_ticks_now_instead_of_at_the_end_of_the_interval() -> None:
    async with Counting(LONG) as worker:
        await worker.until(1)
        await asyncio.sleep(0.05)
        assert worker.ticks == 1  # the interval is an hour: nothing else ticks it
        worker.wake()
        await worker.until(2)
        worker.wake()
        await worker.until(3)


async def test_a_wake_during_a_tick_is_not_lost() -> None:
    worker = Counting(LONG)
    worker.block = asyncio.Event()
    async with worker:
        await asyncio.wait_for(worker.entered_tick.wait(), 5)
        worker.wake()  # arrives while the first tick is still running
        worker.block.set()
        await worker.until(2)


async def test_without_tick_at_start_the_first_tick_waits_for_the_interval_or_a_wake() -> None:
    async with Counting(LONG, tick_at_start=False) as worker:
        await asyncio.sleep(0.05)
        assert worker.ticks == 0
        worker.wake()
        await worker.until(1)
    async with Counting(0.01, tick_at_start=False) as worker:
        await worker.until(2)


async def test_a_failing_tick_is_logged_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=__name__)
    worker = Counting(0.01)
    worker.fail_next = 2
    async with worker:
        await worker.until(4)
        assert worker.running
    failures = [r for r in caplog.records if r.getMessage() == "counting tick failed"]
    assert len(failures) == 2
    # Logged on the worker's own module logger, at its level, with the traceback.
    assert all(r.name == __name__ and r.levelno == logging.ERROR for r in failures)
    assert all(r.exc_info and "the database went away" in str(r.exc_info[1]) for r in failures)


async def test_leaving_cancels_a_tick_in_progress_and_stops_the_loop() -> None:
    worker = Counting(0.01)
    worker.block = asyncio.Event()  # never set: the tick would wait for ever
    async with worker:
        await asyncio.wait_for(worker.entered_tick.wait(), 5)
        assert worker.running
        task = next(t for t in asyncio.all_tasks() if t.get_name() == "counting-worker")
    assert not worker.running
    assert task.cancelled()
    assert worker.ticks == 0
    worker.wake()  # after exit: harmless, nothing runs
    await asyncio.sleep(0.02)
    assert worker.ticks == 0


async def test_leaving_propagates_the_body_s_exception_and_still_stops() -> None:
    worker = Counting(0.01)
    with pytest.raises(KeyError):
        async with worker:
            await worker.until(1)
            raise KeyError("body failed")
    assert not worker.running


def test_an_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="interval_s must be positive"):
        Counting(0)
