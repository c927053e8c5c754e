"""Hypothesis strategies for hostile frames on both sockets: junk text, wrong JSON shapes,
known types with missing, mistyped, oversized or nonsense fields."""

from __future__ import annotations

import json

from hypothesis import strategies as st

VISITOR_TYPES = ["hello", "message", "contact", "typing", "context", "ack", "welcome", ""]
CONSOLE_TYPES = [
    "presence", "accept", "decline", "message", "typing", "close", "note", "contact",
    "transfer", "lead", "ring", "",
]  # fmt: skip
FIELDS = [
    "client_id", "body", "conversation", "status", "active", "name", "phone", "email",
    "preferred_time", "consent", "vehicle", "visitor", "last_seq", "page", "type",
]  # fmt: skip

leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["available", "away", "busy", "morning", "x" * 4001, "a@b.co", "+13125550100"]),
)
json_value = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=5,
)


def _frames(types: list[str]) -> st.SearchStrategy[str]:
    objects = st.builds(
        lambda kind, fields: json.dumps({"type": kind, **fields}),
        st.sampled_from(types) | st.text(max_size=8),
        st.dictionaries(st.sampled_from(FIELDS[:-1]), json_value, max_size=5),
    )
    near_valid = st.builds(
        lambda kind, client_id, body, conversation: json.dumps(
            {"type": kind, "client_id": client_id, "body": body, "conversation": conversation}
        ),
        st.sampled_from(["message", "accept", "close", "typing", "note"]),
        st.text(min_size=1, max_size=70),
        st.text(max_size=30),
        st.text(max_size=40),
    )
    return st.one_of(
        objects,
        objects,
        near_valid,
        json_value.map(json.dumps),  # valid JSON, often not an object
        st.text(max_size=40),  # not JSON at all
    )


visitor_frames = _frames(VISITOR_TYPES)
console_frames = _frames(CONSOLE_TYPES)
