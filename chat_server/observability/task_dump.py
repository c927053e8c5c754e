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
    """Log where every task of the running loop waits, one log record per task."""
    tasks = asyncio.all_tasks()
    log.warning("task dump: %d tasks", len(tasks))
    for task in tasks:
        out = io.StringIO()
        task.print_stack(limit=12, file=out)
        chain = await_chain(task.get_coro())
        if len(chain) > 1:
            # A suspended task's own stack is its outermost coroutine alone ("run_asgi"):
            # the await chain below it is where it really waits.
            out.write("Awaiting (outermost first):\n")
            out.writelines(f"  {line}\n" for line in chain[-MAX_CHAIN:])
        log.warning("task dump: %s\n%s", task.get_name(), out.getvalue())


MAX_CHAIN = 25  # the innermost awaits, where a stuck task waits


def await_chain(coro: object) -> list[str]:
    """``file:line in function`` for each coroutine (or generator) ``coro`` awaits in turn,
    outermost first, following ``cr_await`` / ``gi_yieldfrom`` / ``ag_await``."""
    lines: list[str] = []
    seen: set[int] = set()
    while coro is not None and id(coro) not in seen:
        seen.add(id(coro))
        frame = (
            getattr(coro, "cr_frame", None)
            or getattr(coro, "gi_frame", None)
            or getattr(coro, "ag_frame", None)
        )
        if frame is not None:
            code = frame.f_code
            lines.append(f"{code.co_filename}:{frame.f_lineno} in {code.co_name}")
        coro = (
            getattr(coro, "cr_await", None)
            or getattr(coro, "gi_yieldfrom", None)
            or getattr(coro, "ag_await", None)
        )
    return lines


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
