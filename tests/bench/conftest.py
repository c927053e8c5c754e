"""The tiny bench runs once, in the embedded pass: it starts its own servers and its own
PostgreSQL and Redis for the dealer-chat PG target, so a second pass would only repeat it
(see tests/support/heavy.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.heavy import deselect_outside


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselect_outside(config, items, Path(__file__).parent, "tiny bench (tests/bench)", "embedded")
