"""``kill -USR1 <pid>`` logs where every asyncio task of a running node is waiting.

A node that stops answering one socket while it serves the others is stuck in an ``await``
somewhere; the stacks of its tasks say where, without a debugger or a restart that would
lose the evidence. Installed by the app's lifespan; a no-op where signals cannot be handled
(not the main thread, or a platform without SIGUSR1).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import signal
from collections.abc import Iterator

log = logging.getLogger(__name__)


def dump_tasks() -> None:
    """Log the stack of every task of the running loop, one log record per task."""
    tasks = asyncio.all_tasks()
    log.warning("task dump: %d tasks", len(tasks))
    for task in tasks:
        out = io.StringIO()
        task.print_stack(limit=12, file=out)
        log.warning("task dump: %s\n%s", task.get_name(), out.getvalue())


@contextlib.contextmanager
def task_dump_on_signal() -> Iterator[None]:
    """While inside, SIGUSR1 dumps the running loop's tasks to the log."""
    loop = asyncio.get_running_loop()
    usr1 = getattr(signal, "SIGUSR1", None)
    installed = False
    if usr1 is not None:
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(usr1, dump_tasks)
            installed = True
    try:
        yield
    finally:
        if installed:
            loop.remove_signal_handler(usr1)  # type: ignore[arg-type]
