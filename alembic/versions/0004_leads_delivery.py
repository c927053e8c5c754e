"""leads delivery: CRM settings, lead rules, outbox, follow-up tasks, API tokens

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dealerships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("crm_addresses", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("crm_attachment", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("webhook_secret", sa.String(200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("log_ups", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("cadence_days", sa.JSON(), nullable=False, server_default="[]")
        )

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("segment", sa.String(20), nullable=False, server_default="lead")
        )
        batch_op.add_column(
            sa.Column("department", sa.String(20), nullable=False, server_default="sales")
        )
        batch_op.add_column(
            sa.Column("status_reason", sa.String(300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("spam_reason", sa.String(100), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("email_key", sa.String(320), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("name_phone_key", sa.String(300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("resend_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key("fk_leads_owner_id", "operators", ["owner_id"], ["id"])
        batch_op.create_index("ix_leads_email_key", ["email_key"], unique=False)
        batch_op.create_index("ix_leads_name_phone_key", ["name_phone_key"], unique=False)

    op.create_table(
        "lead_conversations",
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_index("ix_lead_conversations_lead_id", "lead_conversations", ["lead_id"])

    op.create_table(
        "lead_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_lead_deliveries_lead_id", "lead_deliveries", ["lead_id"])
    op.create_index("ix_lead_deliveries_next_attempt_at", "lead_deliveries", ["next_attempt_at"])

    op.create_table(
        "lead_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("note", sa.String(1000), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lead_tasks_lead_id", "lead_tasks", ["lead_id"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealership_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["dealership_id"], ["dealerships.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_api_tokens_dealership_id", "api_tokens", ["dealership_id"])


def downgrade() -> None:
    op.drop_index("ix_api_tokens_dealership_id", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index("ix_lead_tasks_lead_id", table_name="lead_tasks")
    op.drop_table("lead_tasks")
    op.drop_index("ix_lead_deliveries_next_attempt_at", table_name="lead_deliveries")
    op.drop_index("ix_lead_deliveries_lead_id", table_name="lead_deliveries")
    op.drop_table("lead_deliveries")
    op.drop_index("ix_lead_conversations_lead_id", table_name="lead_conversations")
    op.drop_table("lead_conversations")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_name_phone_key")
        batch_op.drop_index("ix_leads_email_key")
        batch_op.drop_constraint("fk_leads_owner_id", type_="foreignkey")
        for column in (
            "alerted_at",
            "updated_at",
            "resend_count",
            "name_phone_key",
            "email_key",
            "owner_id",
            "spam_reason",
            "status_reason",
            "department",
            "segment",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("dealerships", schema=None) as batch_op:
        for column in (
            "cadence_days",
            "log_ups",
            "webhook_secret",
            "crm_attachment",
            "crm_addresses",
        ):
            batch_op.drop_column(column)
