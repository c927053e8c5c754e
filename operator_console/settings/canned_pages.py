"""Settings: canned (issue 14). Routes are listed in :func:`routes`."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    return []
