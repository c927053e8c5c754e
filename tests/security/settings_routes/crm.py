"""Access-matrix entries and forged-request targets of the crm settings page."""

from __future__ import annotations

from tests.security.matrix_kit import Case, Target

MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {}
CSRF: dict[tuple[str, str], Target] = {}
