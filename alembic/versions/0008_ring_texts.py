"""ring texts: an operator's verified mobile number, and when a ring also goes by text

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dealerships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("text_after_s", sa.Double(), nullable=False, server_default="8")
        )
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mobile_phone", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("mobile_verified_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("mobile_code_hash", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("mobile_code_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("mobile_code_tries", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("operators", schema=None) as batch_op:
        for column in (
            "mobile_code_tries",
            "mobile_code_until",
            "mobile_code_hash",
            "mobile_verified_at",
            "mobile_phone",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("dealerships", schema=None) as batch_op:
        batch_op.drop_column("text_after_s")
