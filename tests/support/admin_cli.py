"""``dealer-chat admin ...`` in this process: the console script's own ``main``, without a
Python start-up per command (each took 2-9 s of a loaded test run)."""

from __future__ import annotations

import contextlib
import io
from concurrent.futures import ThreadPoolExecutor

from chat_server.cli import main as cli_main


def run_admin(database_url: str, args: list[str]) -> str:
    """Its standard output; ``RuntimeError`` with its standard error when it fails.

    In a thread of its own: the caller may be inside an event loop, and the CLI runs one.
    The caller waits, so nothing else prints while standard output is borrowed.
    """
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_admin, database_url, args).result(timeout=120)


def _admin(database_url: str, args: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["admin", "--database-url", database_url, *args])
    if code != 0:
        raise RuntimeError(f"admin {args} failed: {err.getvalue()}")
    return out.getvalue()
