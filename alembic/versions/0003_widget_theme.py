"""widget theme per dealership: colour, logo, launcher side, language

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    ("widget_color", 20, "#0b5cad"),
    ("widget_logo_url", 500, ""),
    ("widget_position", 5, "right"),
    ("widget_language", 5, "en"),
)


def upgrade() -> None:
    with op.batch_alter_table("dealerships", schema=None) as batch_op:
        for name, length, default in COLUMNS:
            # The server default fills the existing rows; the models set the same default.
            batch_op.add_column(
                sa.Column(name, sa.String(length), nullable=False, server_default=default)
            )


def downgrade() -> None:
    with op.batch_alter_table("dealerships", schema=None) as batch_op:
        for name, _length, _default in reversed(COLUMNS):
            batch_op.drop_column(name)
