"""Hypothesis strategies for hostile frames on both sockets: junk text, wrong JSON shapes,
known types with missing, mistyped, oversized or nonsense fields, and hostile text: lone
surrogates, NUL, non-characters and very long grapheme clusters, in every kind of field."""

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

# Text JSON carries but storage cannot hold, or holds only with care. ``json.dumps`` escapes
# every one of them (``ensure_ascii``), so the frame itself stays valid UTF-8.
LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\udc00\ud800"]
NON_CHARACTERS = ["\ufdd0", "\ufdef", "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff"]
ODD_PIECES = [*LONE_SURROGATES, "\x00", *NON_CHARACTERS]
# Any code point at all (st.text leaves surrogates out unless asked), around one odd piece.
# Built from st.text and st.sampled_from rather than a list of pieces: hypothesis spends about
# 0.1 ms on a draw and several on a list, and the fuzz run draws millions.
any_text = st.text(
    st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=3
)
odd_text = st.builds(lambda a, odd, b: a + odd + b, any_text, st.sampled_from(ODD_PIECES), any_text)
# A base letter under a pile of combining marks: one grapheme cluster, many code points,
# around the 4,000-character body limit and every shorter field's limit. At most 9,999 marks
# (about 60 KB escaped), so a frame with one stays under the 64 KiB frame limit: the frame
# size limit (1009) is not what this fuzzes.
long_cluster = st.builds(
    lambda base, mark, n: base + mark * n,
    st.sampled_from(["e", "Z", "\u0627", "\U0001f697"]),
    st.sampled_from(["\u0301", "\u0336", "\u20dd", "\ufe0f"]),
    st.sampled_from([1, 50, 199, 200, 320, 3_999, 4_000, 9_999]),
)
hostile_text = st.one_of(odd_text, st.builds(lambda a, b: a + b, long_cluster, odd_text))
# Where hostile text goes in an otherwise well-formed frame (one place per frame).
TEXT_PLACES = [
    ("body",), ("name",), ("email",), ("phone",), ("client_id",), ("conversation",),
    ("preferred_time",), ("honeypot",), ("page", "title"), ("page", "url"), ("vehicle", "make"),
    ("visitor", "name"), ("visitor", "email"), ("visitor", "phone"), ("trade_in", "model"),
]  # fmt: skip


def _with_text(kind: str, place: tuple[str, ...], text: str, key: str) -> str:
    # Good values everywhere else, so the frame gets past its other checks to this field; the
    # text goes in once (twice, a long cluster would make a frame over the 64 KiB limit).
    frame: dict[str, object] = {
        "type": kind, "client_id": "fuzz-ok", "body": "hello", "email": "dana@example.com",
        "conversation": "no-such-conversation", "page": {key: "p"}, "visitor": {},
    }  # fmt: skip
    if len(place) == 1:
        frame[place[0]] = text
    else:
        inner = frame.setdefault(place[0], {})
        assert isinstance(inner, dict)
        inner[place[1]] = text
    return json.dumps(frame)


hostile = st.builds(
    _with_text,
    st.sampled_from(["message", "contact", "context", "note", "hello"]),
    st.sampled_from(TEXT_PLACES),
    hostile_text,
    odd_text,
)

leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    odd_text,
    st.sampled_from(["available", "away", "busy", "morning", "x" * 4001, "a@b.co", "+13125550100"]),
)
# Two levels deep, not st.recursive: the protocol's frames nest one level (page, vehicle,
# trade_in) and a recursive strategy costs several times as much per draw.
_key = st.text(max_size=6)
_container = st.lists(leaf, max_size=3) | st.dictionaries(_key, leaf, max_size=3)
json_value = st.one_of(leaf, leaf, _container, st.dictionaries(_key, _container, max_size=2))


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
        hostile,
        json_value.map(json.dumps),  # valid JSON, often not an object
        st.text(max_size=40),  # not JSON at all
    )


visitor_frames = _frames(VISITOR_TYPES)
console_frames = _frames(CONSOLE_TYPES)
