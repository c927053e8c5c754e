"""SIGUSR1 logs the stack of every task, so a stuck ``await`` can be found on a live node."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

import pytest

from chat_server.observability.task_dump import task_dump_on_signal


async def _waits_for_a_colleague(event: asyncio.Event) -> None:
    await _deep_inside(event)


async def _deep_inside(event: asyncio.Event) -> None:
    await event.wait()


def test_sigusr1_logs_where_each_task_waits(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        event = asyncio.Event()
        with task_dump_on_signal():
            stuck = asyncio.create_task(_waits_for_a_colleague(event), name="stuck-socket")
            await asyncio.sleep(0)
            os.kill(os.getpid(), signal.SIGUSR1)
            for _ in range(100):  # the handler runs on a later turn of the loop
                if "stuck-socket" in caplog.text:
                    break
                await asyncio.sleep(0.01)
        event.set()
        await stuck

    with caplog.at_level(logging.WARNING, logger="chat_server.observability.task_dump"):
        asyncio.run(scenario())
    dump = [r.getMessage() for r in caplog.records if "stuck-socket" in r.getMessage()]
    assert dump and "_waits_for_a_colleague" in dump[0], caplog.text
    # Where it really waits, below its outermost coroutine: the await chain.
    chain = dump[0].split("Awaiting (outermost first):")[1]
    assert chain.index("_waits_for_a_colleague") < chain.index("_deep_inside")
    assert chain.index("_deep_inside") < chain.index("in wait")
    # Outside the block the signal is no longer ours: the default action would end the process.
    assert signal.getsignal(signal.SIGUSR1) in (signal.SIG_DFL, None)
