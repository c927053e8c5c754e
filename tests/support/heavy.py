"""Run the heavy multi-node suites (chaos, fuzz) once: in the PostgreSQL + Redis pass.

They always start their own PostgreSQL and Redis, so running them again in the embedded pass
of ``scripts/test`` would only double the time. They are deselected there, visibly, with the
reason printed, rather than skipped: the ``pg-redis`` pass runs them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def deselect_outside_pg_redis(
    config: pytest.Config, items: list[pytest.Item], directory: Path, what: str
) -> None:
    """Deselect the tests under ``directory`` unless ``DEALER_CHAT_TEST_BACKEND=pg-redis``."""
    deselect_outside(config, items, directory, what, "pg-redis")


def deselect_outside(
    config: pytest.Config, items: list[pytest.Item], directory: Path, what: str, backend: str
) -> None:
    """Deselect the tests under ``directory`` unless the suite runs on ``backend``."""
    if os.environ.get("DEALER_CHAT_TEST_BACKEND", "embedded") == backend:
        return
    mine = [item for item in items if directory in Path(str(item.path)).parents]
    if not mine:
        return
    items[:] = [item for item in items if item not in mine]
    config.hook.pytest_deselected(items=mine)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    message = (
        f"{what}: {len(mine)} test(s) deselected in this pass; they run in the "
        f"{backend} pass (DEALER_CHAT_TEST_BACKEND={backend})"
    )
    if reporter is not None:
        reporter.write_line(message)
    else:
        print(message)
