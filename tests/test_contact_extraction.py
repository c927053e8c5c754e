"""Contact details found in what the shopper typed (chat_server/contact_extraction.py): pure."""

from __future__ import annotations

import phonenumbers
from email_validator import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from chat_server.contact_extraction import (
    ProposedContact,
    find_emails,
    find_name,
    find_phones,
    propose_contact,
)


def test_phones_in_any_format_are_found_in_e164_in_the_dealerships_region() -> None:
    text = "Call me at (312) 555-0100, or my cell 312.555.0142 — or +44 20 7946 0018 at work"
    assert find_phones(text, "US") == ["+13125550100", "+13125550142", "+442079460018"]
    assert find_phones("ring me on 020 7946 0018", "GB") == ["+442079460018"]
    # Prices, years, stock numbers and a VIN are not phone numbers.
    assert find_phones("The 2024 RAV4, stock 48213, $32,500, VIN 2T3P1RFV8RC123456", "US") == []
    assert find_phones("my number is 12345", "US") == []


def test_addresses_are_words_email_validator_accepts() -> None:
    text = "Mail (dana@example.com), or <Dana.S@Example.ORG>. Not bob@localhost or a@b@c.com"
    assert find_emails(text) == ["dana@example.com", "Dana.S@example.org"]
    assert find_emails("no address here, just an @ sign") == []


def test_a_name_only_from_an_unambiguous_phrase() -> None:
    assert find_name("Hi, my name is Dana Shopper. Is the RAV4 there?") == "Dana Shopper"
    assert find_name("My name's Kim-Lee O'Brien and I'd like a test drive") == "Kim-Lee O'Brien"
    assert find_name("my name is dana") == ""  # not capitalised: could be anything
    assert find_name("I'm Interested in the Tacoma") == ""  # "I'm ..." is not read at all
    assert find_name("What is my name is a question") == ""


def test_the_later_detail_wins_and_nothing_is_proposed_from_nothing() -> None:
    proposed = propose_contact(
        [
            "Hi, my name is Dana Shopper",
            "call me at 312 555 0100",
            "sorry, wrong number: it's 312 555 0199, or dana@example.com",
        ],
        "US",
    )
    assert proposed == ProposedContact("Dana Shopper", "+13125550199", "dana@example.com")
    assert proposed.reachable and not proposed.empty
    nothing = propose_contact(["Is the blue RAV4 still on the lot?"], "US")
    assert nothing.empty and not nothing.reachable
    assert nothing.as_json() == {"name": "", "phone": "", "email": ""}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=300), max_size=4), st.sampled_from(["US", "GB", "DE", "MX"]))
def test_any_text_proposes_only_valid_details(messages: list[str], region: str) -> None:
    proposed = propose_contact(messages, region)
    if proposed.phone:
        assert phonenumbers.is_valid_number(phonenumbers.parse(proposed.phone))
    if proposed.email:
        validate_email(proposed.email, check_deliverability=False)
    assert len(proposed.name) <= 60


digits = st.text(alphabet="0123456789 ()-.+", min_size=7, max_size=20)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), digits, st.text(max_size=80))
def test_every_phone_found_is_valid(before: str, number: str, after: str) -> None:
    for phone in find_phones(f"{before} {number} {after}", "US"):
        parsed = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == phone


@settings(max_examples=200, deadline=None)
# Prose punctuation stuck to an address is stripped, so the address must not start with it.
@given(st.emails().filter(lambda a: a[0].isalnum()), st.text(max_size=40))
def test_an_address_in_prose_is_found(address: str, prose: str) -> None:
    expected = validate_email(address, check_deliverability=False).normalized
    assert expected in find_emails(f"{prose} write to {address}, thanks")
