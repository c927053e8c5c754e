"""Waiting on a condition rather than sleeping for a guessed time."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any


async def eventually(
    check: Callable[[], Any] | Callable[[], Awaitable[Any]],
    timeout: float = 15.0,
    interval: float = 0.02,
    what: str = "",
) -> Any:
    """Call ``check`` (plain or async) until it returns something truthy, and return that.

    Fails after ``timeout`` seconds: a protocol wait with a generous bound, not a timing test.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > end:
            raise AssertionError(f"condition not met within {timeout} s: {what or check}")
        await asyncio.sleep(interval)
