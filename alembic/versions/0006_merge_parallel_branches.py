"""merge the widget, leads and console branches into one history

Revision ID: 0006
Revises: 0003, 0004, 0005
Create Date: 2026-11-22

Issues 3, 4 and 5 each branched from 0002 while they were built side by side. This
revision joins them, so there is one head again and `alembic upgrade head` works.
"""

from __future__ import annotations

revision = "0006"
down_revision = ("0003", "0004", "0005")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # nothing to change: the branches touch different tables and columns


def downgrade() -> None:
    pass
