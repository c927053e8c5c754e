"""The scale tests (chaos, single failures) run only in the PostgreSQL + Redis pass (see
tests/support/heavy.py). Their measured figures are printed in one block at the end of the run
(the ``figures`` fixture in tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.heavy import deselect_outside_pg_redis


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselect_outside_pg_redis(
        config, items, Path(__file__).parent, "chaos and single failures (tests/scale)"
    )
