"""The parts of the schema the models cannot declare (migration 0010 creates them per dialect):
SQLite's FTS5 table (and the shadow tables it keeps) and PostgreSQL's expression index.

Alembic's comparison of the database with the models (tests/store/test_migrations.py, and
``alembic revision --autogenerate``) passes ``include_name`` so it neither reports them as
missing from the models nor proposes to drop them.
"""

from __future__ import annotations

from typing import Any

FTS_TABLE = "conversation_search_fts"  # and its shadow tables: _data, _idx, _docsize, _config
GIN_INDEX = "ix_conversation_search_document"


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """False for the search structures migration 0010 adds beside the models."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name == GIN_INDEX)
