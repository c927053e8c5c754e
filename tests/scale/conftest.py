"""The scale tests (chaos, single failures) run only in the PostgreSQL + Redis pass (see
tests/support/heavy.py). Their measured figures are printed in one block at the end of the run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.heavy import deselect_outside_pg_redis

FIGURES = pytest.StashKey[list[str]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselect_outside_pg_redis(
        config, items, Path(__file__).parent, "chaos and single failures (tests/scale)"
    )


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Record a measured figure: printed now (``-s``) and in the terminal summary."""
    lines = request.config.stash.setdefault(FIGURES, [])

    def record(line: str) -> None:
        lines.append(f"{request.node.name}: {line}")
        print(f"\n[figure] {line}")

    return record


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.write_sep("-", "failure figures (tests/scale)")
        for line in lines:
            terminalreporter.write_line(line)
