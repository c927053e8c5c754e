"""The tiny bench runs once, in the PostgreSQL + Redis pass: it starts its own servers and its
own PostgreSQL and Redis for the dealer-chat PG target, so a second pass would only repeat it
(see tests/support/heavy.py). That pass, not the embedded one, because the embedded pass is
followed by the fuzz run in scripts/test and the two passes should end together."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.heavy import deselect_outside


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselect_outside(config, items, Path(__file__).parent, "tiny bench (tests/bench)", "pg-redis")
