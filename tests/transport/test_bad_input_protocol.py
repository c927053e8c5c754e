"""The incoming parser makes every string storable, and names the field it refuses (pure)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat_server.protocol.incoming import (
    MAX_BODY_CHARS,
    ContactDetails,
    FrameError,
    SendMessage,
    decode,
    parse_console_frame,
    parse_hello,
    parse_visitor_frame,
    storable,
)

UNSTORABLE = ["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]


def test_lone_surrogates_and_nul_become_replacement_characters_everywhere() -> None:
    frame = decode(
        json.dumps(
            {
                "type": "hello",
                "page": {"url\ud800": "a\x00b", "nested": ["\udfff", {"k": "\ud800\udc00"}]},
                "vehicle": {"make": "\ufdd0\uffff"},
            }
        )
    )
    assert frame["page"] == {"url\ufffd": "a\ufffdb", "nested": ["\ufffd", {"k": "\U00010000"}]}
    # Non-characters are valid scalar values both databases store: kept as sent.
    assert frame["vehicle"] == {"make": "\ufdd0\uffff"}
    hello = parse_hello(frame)
    assert hello.page["url\ufffd"] == "a\ufffdb"


# Every code point, lone surrogates (category Cs) and NUL included.
ANY_CODE_POINT = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())


@given(st.text(alphabet=ANY_CODE_POINT))
def test_whatever_json_accepts_decodes_to_text_utf8_and_postgresql_can_hold(text: str) -> None:
    frame = decode(json.dumps({"type": "message", "body": text, text: text}))
    for value in (frame["body"], *frame):
        value.encode("utf-8")  # raises on a lone surrogate
        assert "\x00" not in value  # PostgreSQL text refuses NUL
    assert frame["body"] == storable(text)
    assert len(frame["body"]) == len(text)  # one replacement per bad code point


def test_a_body_is_limited_in_code_points_with_a_clear_error_naming_it() -> None:
    cluster = "e" + "\u0301" * 9_999
    with pytest.raises(FrameError) as error:
        parse_visitor_frame(
            decode(json.dumps({"type": "message", "client_id": "c", "body": cluster}))
        )
    assert error.value.code == "too_long" and str(MAX_BODY_CHARS) in error.value.message
    assert error.value.extra == {"field": "body"}
    within = "e" + "\u0301" * (MAX_BODY_CHARS - 1)
    parsed = parse_visitor_frame(
        decode(json.dumps({"type": "message", "client_id": "c", "body": within}))
    )
    assert parsed == SendMessage("c", within)


@pytest.mark.parametrize("bad", UNSTORABLE)
def test_a_client_id_that_is_not_storable_is_refused_not_merged(bad: str) -> None:
    with pytest.raises(FrameError) as error:
        parse_visitor_frame(
            decode(json.dumps({"type": "message", "client_id": f"m{bad}", "body": "x"}))
        )
    assert (error.value.code, error.value.field) == ("bad_field", "client_id")


def test_bad_field_errors_name_the_field() -> None:
    cases = [
        ({"type": "message", "client_id": "c", "body": 5}, "body"),
        ({"type": "typing"}, "active"),
        ({"type": "contact", "name": "Ann"}, "phone"),  # neither a phone nor an e-mail
        ({"type": "contact", "phone": 3125550100}, "phone"),
        ({"type": "contact", "email": "a@b.co", "preferred_time": "noon"}, "preferred_time"),
        ({"type": "contact", "email": "a@b.co", "consent": "yes"}, "consent"),
    ]
    for frame, field in cases:
        with pytest.raises(FrameError) as error:
            parse_visitor_frame(decode(json.dumps(frame)))
        assert (error.value.code, error.value.field) == ("bad_field", field), frame
        assert field in error.value.message or "phone" in error.value.message
    with pytest.raises(FrameError) as error:
        parse_console_frame(decode(json.dumps({"type": "accept", "conversation": 7})))
    assert error.value.extra == {"field": "conversation"}


def test_contact_frames_are_checked_for_shape_and_validated_when_saved() -> None:
    # E-mail syntax and phone numbers need the dealership's region: checked on saving
    # (transport/contact_saving.py, through leads/contact.py), not here.
    parsed = parse_visitor_frame(
        decode(json.dumps({"type": "contact", "name": "Kim\u0000", "email": "kim.nodot@example"}))
    )
    assert isinstance(parsed, ContactDetails)
    assert (parsed.name, parsed.email) == ("Kim\ufffd", "kim.nodot@example")
