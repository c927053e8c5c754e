"""What the ``dealer-chat admin`` command modules share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

# One command's work, run in one transaction by cli.cmd_admin.
Action = Callable[[AsyncSession], Awaitable[Any]]
