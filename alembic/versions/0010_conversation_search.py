"""conversation history (issue 15): the search documents and their full-text index, and the
indexes the Conversations page lists by

SQLite gets an FTS5 table over ``conversation_search.document`` (external content, kept in step
by triggers on ``conversation_search`` only: never on ``messages``, whose inserts are the chat's
hot path). PostgreSQL gets a GIN index on ``to_tsvector('simple', document)``. Existing
conversations are indexed by the history indexer when the server starts (its first pass looks
at every conversation), or at once with ``dealer-chat admin reindex-history``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SQLITE_UP = (
    # unicode61 splits on anything that is not a letter or a digit and folds case and accents;
    # the documents and queries are already plain lower-case words (chat_server/history/words.py).
    # prefix='2 3': "Cam" and "555" are answered from prefix indexes rather than a scan.
    "CREATE VIRTUAL TABLE conversation_search_fts USING fts5(document,"
    " content='conversation_search', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER conversation_search_ai AFTER INSERT ON conversation_search BEGIN"
    " INSERT INTO conversation_search_fts(rowid, document) VALUES (new.id, new.document); END",
    "CREATE TRIGGER conversation_search_ad AFTER DELETE ON conversation_search BEGIN"
    " INSERT INTO conversation_search_fts(conversation_search_fts, rowid, document)"
    " VALUES ('delete', old.id, old.document); END",
    "CREATE TRIGGER conversation_search_au AFTER UPDATE OF document ON conversation_search BEGIN"
    " INSERT INTO conversation_search_fts(conversation_search_fts, rowid, document)"
    " VALUES ('delete', old.id, old.document);"
    " INSERT INTO conversation_search_fts(rowid, document) VALUES (new.id, new.document); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS conversation_search_au",
    "DROP TRIGGER IF EXISTS conversation_search_ad",
    "DROP TRIGGER IF EXISTS conversation_search_ai",
    "DROP TABLE IF EXISTS conversation_search_fts",
)
POSTGRES_UP = (
    "CREATE INDEX ix_conversation_search_document ON conversation_search"
    " USING gin (to_tsvector('simple'::regconfig, document))",
)
POSTGRES_DOWN = ("DROP INDEX IF EXISTS ix_conversation_search_document",)


def upgrade() -> None:
    op.create_index(
        "ix_conversations_dealership_first", "conversations", ["dealership_id", "first_message_at"]
    )
    op.create_index("ix_conversations_closed_at", "conversations", ["closed_at"])
    op.create_table(
        "conversation_search",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(length=32),
            sa.ForeignKey("conversations.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(dialect, ()):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(dialect, ()):
        op.execute(statement)
    op.drop_table("conversation_search")
    op.drop_index("ix_conversations_closed_at", table_name="conversations")
    op.drop_index("ix_conversations_dealership_first", table_name="conversations")
