"""Tests that run in one pass of ``scripts/test`` only, deselected visibly in the other.

The heavy multi-node suites (chaos, fuzz) always start their own PostgreSQL and Redis, so they
run in the PostgreSQL + Redis pass only. Tests whose subject does not depend on the storage or
the broker (the pure ladder and protocol, the layer rule, settings, the browser-only checks of
the widget's isolation, accessibility and the console's content policy: ``ONCE_EMBEDDED`` in
tests/conftest.py) run in the embedded pass only: a second run would test the same code
paths again. They are deselected with the reason printed, rather than skipped.
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
    """Deselect the tests under ``directory`` (a folder or a file) unless the suite runs on
    ``backend``."""
    if os.environ.get("DEALER_CHAT_TEST_BACKEND", "embedded") == backend:
        return
    mine = [
        item
        for item in items
        if directory == Path(str(item.path)) or directory in Path(str(item.path)).parents
    ]
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
