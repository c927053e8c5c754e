"""console settings (issue 14): active operators, account links, dated hours, webhook events,
canned-reply order and the audit log

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("dealerships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dated_hours", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column(
                "webhook_events",
                sa.JSON(),
                nullable=False,
                server_default='["lead.new", "lead.resend"]',
            )
        )
    with op.batch_alter_table("canned_replies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("operators.id"), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("operators.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("operators.id"), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("dealership_id", sa.Integer(), sa.ForeignKey("dealerships.id"), nullable=True),
        sa.Column("pool_id", sa.Integer(), sa.ForeignKey("pools.id"), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False, server_default=""),
        sa.Column("changes", sa.JSON(), nullable=False, server_default="{}"),
    )
    op.create_index("ix_audit_entries_dealership_at", "audit_entries", ["dealership_id", "at"])
    op.create_index("ix_audit_entries_pool_at", "audit_entries", ["pool_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_pool_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_dealership_at", table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_table("account_links")
    with op.batch_alter_table("canned_replies", schema=None) as batch_op:
        batch_op.drop_column("position")
    with op.batch_alter_table("dealerships", schema=None) as batch_op:
        batch_op.drop_column("webhook_events")
        batch_op.drop_column("dated_hours")
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
        batch_op.drop_column("active")
