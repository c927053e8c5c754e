"""Access-matrix entries of the settings index."""

from __future__ import annotations

from tests.security.matrix_kit import SIGN_IN, Case, Target, console

MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    ("GET", "/console/settings"): (
        Case(
            "/console/settings",
            console(SIGN_IN, 403, 200, 403, pool_manager=200, admin=200),
            note="what each may change: tests/operator_console/settings/test_index.py",
        ),
    ),
}
CSRF: dict[tuple[str, str], Target] = {}
