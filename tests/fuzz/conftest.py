"""The fuzz run runs only in the PostgreSQL + Redis pass (see tests/support/heavy.py), unless
``DEALER_CHAT_FUZZ=1`` asks for it in the embedded pass as well."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.heavy import deselect_outside_pg_redis


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("DEALER_CHAT_FUZZ") == "1":
        return
    deselect_outside_pg_redis(config, items, Path(__file__).parent, "fuzz (tests/fuzz)")
