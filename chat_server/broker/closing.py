"""``async with`` for the broker's connection holders: leaving the block calls ``aclose()``."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class ClosedOnExit:
    """Entering returns the object; leaving awaits its ``aclose()`` (which subclasses define)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        raise NotImplementedError
