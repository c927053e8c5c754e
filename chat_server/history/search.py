"""Full-text search over the conversations' search documents: ONE query interface, two engines.

``search_condition`` turns what someone typed into a condition on ``Conversation.id`` that any
listing query can add to its WHERE clause, whatever the database:

- SQLite: the FTS5 table ``conversation_search_fts`` (migration 0010), ``MATCH '"312" AND
  "cam"*'``;
- PostgreSQL: the GIN index on ``to_tsvector('simple', document)``, ``@@ to_tsquery('simple',
  '312 & cam:*')``.

Both are handed the same plain words (words.py), so they find the same conversations; the
tests in tests/history run each query on both backends.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Integer, bindparam, func, literal_column, select, text

from chat_server.history.words import Terms, query_terms
from chat_server.store.models import Conversation, ConversationSearch

# A constant (not a bound parameter), so PostgreSQL's planner matches the expression index.
_SIMPLE = literal_column("'simple'::regconfig")


def fts5_query(terms: Terms) -> str:
    """FTS5 syntax; safe to quote as is, since terms are letters and digits only."""
    parts = [f'"{t}"' for t in terms.exact] + [f'"{t}"*' for t in terms.prefixes]
    return " AND ".join(parts)


def tsquery(terms: Terms) -> str:
    """PostgreSQL ``to_tsquery`` syntax (terms are letters and digits only: no operators)."""
    parts = list(terms.exact) + [f"{t}:*" for t in terms.prefixes]
    return " & ".join(parts)


def matching_documents(dialect: str, terms: Terms) -> ColumnElement[bool]:
    """A condition on ``ConversationSearch``: its document holds every term."""
    if dialect == "sqlite":
        rows = (
            text("SELECT rowid FROM conversation_search_fts WHERE conversation_search_fts MATCH :q")
            .bindparams(q=fts5_query(terms))
            .columns(rowid=Integer)
        )
        return ConversationSearch.id.in_(rows)
    if dialect == "postgresql":
        vector = func.to_tsvector(_SIMPLE, ConversationSearch.document)
        query = func.to_tsquery(_SIMPLE, bindparam("tsq", tsquery(terms)))
        return vector.op("@@")(query)
    raise ValueError(f"no full-text search on {dialect!r}")


def search_condition(dialect: str, query: str, region: str) -> ColumnElement[bool] | None:
    """A condition on ``Conversation.id`` (None when the query has no words to look for)."""
    terms = query_terms(query, region)
    if terms.empty:
        return None
    matches = select(ConversationSearch.conversation_id).where(matching_documents(dialect, terms))
    if dialect == "postgresql":
        # Evaluated once, through the GIN index, before the rest of the query: otherwise the
        # planner may walk the dealership's conversations and compute to_tsvector for each
        # (10,000 conversations: 300 ms instead of a few).
        found = matches.cte("search_matches").prefix_with("MATERIALIZED")
        return Conversation.id.in_(select(found.c.conversation_id))
    return Conversation.id.in_(matches)
