"""The scale tests (chaos, single failures) run only in the PostgreSQL + Redis pass (see
tests/support/heavy.py). Their measured figures are printed in one block at the end of the run
(the ``figures`` fixture in tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scale.cpu_hog import hog_from_env
from tests.support.heavy import deselect_outside_pg_redis


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselect_outside_pg_redis(
        config, items, Path(__file__).parent, "chaos and single failures (tests/scale)"
    )


@pytest.fixture
def chaos_hog() -> Iterator[int]:
    """One busy loop per core for the whole test when ``DEALER_CHAT_CHAOS_HOG=1`` (else none);
    the value is how many run. Request it after the servers the test shares with others, so
    the hog covers this test only."""
    with hog_from_env() as hogs:
        yield hogs
