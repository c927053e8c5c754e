"""The settings pages' access-matrix entries and forged-request targets, one module per page
(beside the page's own tests), merged here for test_access_matrix.py and
test_sessions_and_csrf.py."""

from __future__ import annotations

from tests.security.matrix_kit import Case, Target
from tests.security.settings_routes import (
    audit,
    canned,
    card,
    crm,
    hours,
    index,
    ladder,
    platform,
    pools,
    team,
    widget,
)

PAGES = (index, team, hours, ladder, widget, canned, crm, card, pools, platform, audit)

SETTINGS_MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    key: cases for page in PAGES for key, cases in page.MATRIX.items()
}
SETTINGS_CSRF: dict[tuple[str, str], Target] = {
    key: target for page in PAGES for key, target in page.CSRF.items()
}
