"""reaching people: Web Push subscriptions, the VAPID key, end of shift, after-hours ringing

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dealerships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "after_hours_store_first", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shift_ends_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("endpoint"),
    )
    op.create_index(
        "ix_push_subscriptions_operator_id", "push_subscriptions", ["operator_id"], unique=False
    )
    op.create_table(
        "server_keys",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("server_keys")
    op.drop_index("ix_push_subscriptions_operator_id", table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.drop_column("shift_ends_at")
    with op.batch_alter_table("dealerships", schema=None) as batch_op:
        batch_op.drop_column("after_hours_store_first")
