"""The one validation of contact details (chat_server/contact_details.py): pure, no I/O."""

from __future__ import annotations

import pytest

from chat_server.contact_details import (
    ContactError,
    ValidContact,
    normalise_contact,
    region_for,
    valid_email,
    valid_name,
    valid_phone,
    validate_contact,
)


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(312) 555-0100", "US", "+13125550100"),
        ("312.555.0100", "US", "+13125550100"),
        ("+1 312 555 0100", "GB", "+13125550100"),  # international form: region not used
        ("020 7946 0018", "GB", "+442079460018"),
        ("020 7946 0018", "gb", "+442079460018"),  # the dealership's column, any case
        ("+44 20 7946 0018", "US", "+442079460018"),
        ("1-800-FLOWERS", "US", "+18003569377"),  # a vanity number is a real number
        ("\uff13\uff11\uff12 555 0100", "US", "+13125550100"),  # full-width digits
        ("\u0663\u0661\u0662\u0665\u0665\u0665\u0660\u0661\u0660\u0660", "US", "+13125550100"),
        ("312\u00a0555\u00a00100", "US", "+13125550100"),  # no-break spaces
        ("\u200f312 555 0100", "US", "+13125550100"),  # a right-to-left mark in front
        ("", "US", ""),  # not given is not an error here
        ("   ", "US", ""),
    ],
)
def test_a_phone_is_stored_in_e164_read_in_the_dealerships_region(
    raw: str, region: str, e164: str
) -> None:
    assert valid_phone(raw, region) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "555-CALL-NOW-12345",  # the example: letters make it far too long
        "12",
        "call me",
        "+999 1234 5678",  # no such country code
        "\ufffd\ufffd\ufffd",
        "3" * 41,  # longer than any phone field may be
        "+1 312 555 0100 " + "\u0301" * 40,  # a digit under a pile of combining marks
    ],
)
def test_a_junk_phone_is_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(ContactError) as error:
        valid_phone(raw, "US")
    assert error.value.field == "phone"
    assert "phone" in error.value.message


def test_an_unknown_country_falls_back_to_the_us() -> None:
    assert region_for("") == region_for(None) == region_for("ZZ") == "US"
    assert region_for("de") == "DE"
    assert valid_phone("(312) 555-0100", "ZZ") == "+13125550100"


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("dana@example.com", "dana@example.com"),
        (" Dana@Example.COM ", "Dana@example.com"),  # the domain is case-free, the local part not
        ("jos\u00e9@ex\u00e4mple.com", "jos\u00e9@ex\u00e4mple.com"),
        ("e\u0301@example.com", "\u00e9@example.com"),  # NFC: one code point, not two
        ("dana@xn--bcher-kva.example", "dana@b\u00fccher.example"),
        ("", ""),
    ],
)
def test_an_email_is_checked_for_syntax_and_normalised(raw: str, normalised: str) -> None:
    assert valid_email(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    [
        "kim.nodot@example",  # the example: no dot in the domain
        "not@an@address",
        "@example.com",
        "dana@",
        "dana@example.com\u200b",  # a zero-width space
        "\ud800@example.com",  # a lone surrogate (the parser replaces them, but still)
        "a\x00b@example.com",
        "a@b\ufffd.com",
        "\ufdd0@example.com",  # a non-character
        "a" * 310 + "@example.com",  # over 320 characters
    ],
)
def test_an_invalid_email_is_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(ContactError) as error:
        valid_email(raw)
    assert error.value.field == "email"
    with pytest.raises(ContactError) as named:
        valid_email(raw, "visitor.email")
    assert named.value.field == "visitor.email"


def test_a_name_has_its_whitespace_collapsed_and_a_length_limit() -> None:
    assert valid_name("  Dana\u3000 \t Shopper\n") == "Dana Shopper"
    assert valid_name("Zo\u00eb \u5c71\u7530 \U0001f697") == "Zo\u00eb \u5c71\u7530 \U0001f697"
    with pytest.raises(ContactError) as error:
        valid_name("a" + "\u0301" * 200)  # one grapheme, 201 code points
    assert error.value.field == "name"


def test_validate_contact_checks_every_field_and_wants_a_way_to_reach_the_shopper() -> None:
    assert validate_contact(
        name=" Dana  Shopper ", phone="(312) 555-0100", email="Dana@Example.COM", region="US"
    ) == ValidContact("Dana Shopper", "Dana@example.com", "+13125550100")
    # The lead nobody could call back: refused, naming the e-mail.
    with pytest.raises(ContactError) as error:
        validate_contact(name="Kim Nodot", phone="", email="kim.nodot@example", region="US")
    assert error.value.field == "email"
    # A good e-mail does not excuse a junk phone: nothing is stored half-way.
    with pytest.raises(ContactError) as error:
        validate_contact(
            name="Kim", phone="555-CALL-NOW-12345", email="kim@example.com", region="US"
        )
    assert error.value.field == "phone"
    with pytest.raises(ContactError) as error:
        validate_contact(name="Kim", phone="", email="", region="US")
    assert error.value.field == "phone" and "e-mail" in error.value.message
    named_only = validate_contact(name="Kim", phone="", email="", region="US", require_reach=False)
    assert named_only == ValidContact("Kim", "", "") and not named_only.reachable


def test_stored_details_that_are_not_usable_never_reach_a_lead_as_typed() -> None:
    # Details stored before validation was enforced: read back as absent, not as typed.
    old = normalise_contact({"name": "Kim", "phone": "555-CALL-NOW-12345"}, "US")
    assert (old.phone, old.phone_valid) == ("", False)
    old = normalise_contact({"email": "kim.nodot@example"}, "US")
    assert (old.email, old.email_valid) == ("", False)
