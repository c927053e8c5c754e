"""Access-matrix entries of the audit log page: managers, pool managers and the admin read
it, each only within their scope; one dealership's entries only for who manages it."""

from __future__ import annotations

from tests.security.matrix_kit import SIGN_IN, Case, Target, console

AUDIT = "/console/settings/audit"

MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    ("GET", AUDIT): (
        Case(
            AUDIT,
            console(SIGN_IN, 403, 200, 403, pool_manager=200, admin=200),
            never_shows=("Other Motors",),
            note="each sees their own entries: tests/administration/test_audit.py",
        ),
        Case(
            AUDIT + "?dealership={a_id}",
            console(SIGN_IN, 403, 200, 403, pool_manager=404, admin=200),
        ),
        Case(
            AUDIT + "?dealership={b_id}",
            console(SIGN_IN, 403, 404, 403, pool_manager=404, admin=200),
            never_shows=("Other Motors",),
        ),
        Case(AUDIT + "?dealership=999999", console(SIGN_IN, 403, 404, 403, pool_manager=404)),
        Case(AUDIT + "?before=not-a-number", console(SIGN_IN, 403, 200, 403, pool_manager=200)),
    ),
}
CSRF: dict[tuple[str, str], Target] = {}
