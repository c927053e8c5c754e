"""Helpers the scenarios share: opening many sockets at once and counting what failed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def many(count: int, make: Callable[[int], Awaitable[T]]) -> tuple[list[T], list[str]]:
    """Run ``make(0..count-1)`` concurrently (the dialer bounds how many connect at once).

    Returns what succeeded and a few distinct error messages for what did not.
    """
    results = await asyncio.gather(*(make(n) for n in range(count)), return_exceptions=True)
    done = [r for r in results if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, BaseException)]
    errors = sorted({f"{type(r).__name__}: {r}"[:200] for r in failed})
    return done, errors
