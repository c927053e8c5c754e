"""Contact details a shopper typed in the chat itself, found so an operator can check them.

Pure: no I/O, no DNS. Phones are found by phonenumbers' own matcher (valid numbers only, read
with the dealership's country as the default region) and e-mail addresses by passing each
word that holds an "@" through email-validator (syntax only): no regular expressions of our
own for either. A name is taken only from an unambiguous "my name is Dana" phrase; "I'm ..."
is too often "I'm interested" to guess from, so the operator types the name then.

What this finds is a proposal. The console shows it pre-filled, marked "found in the chat",
and anything stored from it still goes through ``contact_details.validate_contact``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from chat_server.contact_details import ContactError, ValidContact, region_for, validate_contact

# Punctuation that may stick to an address in prose: "(dana@example.com)," or "<dana@x.org>."
_WRAPPING = "<>()[]{}\"'`,;:.!?*"
# The phrases that introduce a name, as lowercase word sequences.
_NAME_PHRASES = (("my", "name", "is"), ("my", "name's"), ("my", "name’s"))
_MAX_NAME_WORDS = 3
_MAX_NAME_CHARS = 60
_NAME_PUNCTUATION = "-'’."


@dataclass(frozen=True)
class ProposedContact:
    """What the shopper's own messages say: each field "" when they did not say it."""

    name: str = ""
    phone: str = ""  # E.164
    email: str = ""  # as email-validator normalises it

    @property
    def empty(self) -> bool:
        return not (self.name or self.phone or self.email)

    @property
    def reachable(self) -> bool:
        return bool(self.phone or self.email)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "phone": self.phone, "email": self.email}


def find_phones(text: str, region: str) -> list[str]:
    """Every valid phone number in ``text``, in E.164, in the order typed (each once)."""
    found: list[str] = []
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    for match in matcher:
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        if number not in found:
            found.append(number)
    return found


def find_emails(text: str) -> list[str]:
    """Every word of ``text`` that email-validator accepts as an address (syntax only)."""
    found: list[str] = []
    for word in text.split():
        candidate = word.strip(_WRAPPING)
        if "@" not in candidate:
            continue
        try:
            address = validate_email(candidate, check_deliverability=False).normalized
        except EmailNotValidError:
            continue
        if address not in found:
            found.append(address)
    return found


def _name_word(word: str) -> str:
    """``word`` as part of a name ("" if it cannot be one): letters, capitalised."""
    word = word.rstrip(",;:!?")
    bare = word.rstrip(".")
    letters = "".join(c for c in bare if c not in _NAME_PUNCTUATION)
    if not letters or not letters.isalpha() or not bare[0].isupper():
        return ""
    return bare


def find_name(text: str) -> str:
    """The name after "my name is" (up to three capitalised words), or ""."""
    words = text.split()
    lowered = [w.casefold().strip(",;:!?") for w in words]
    for start in range(len(words)):
        for phrase in _NAME_PHRASES:
            end = start + len(phrase)
            if tuple(lowered[start:end]) != phrase:
                continue
            name: list[str] = []
            for word in words[end : end + _MAX_NAME_WORDS]:
                part = _name_word(word)
                if not part:
                    break
                name.append(part)
                if word.endswith((".", ",", ";", ":", "!", "?")):
                    break  # the sentence (or the name) ends here
            candidate = " ".join(name)
            if candidate and len(candidate) <= _MAX_NAME_CHARS:
                return candidate
    return ""


def propose_contact(messages: Iterable[str], region: str) -> ProposedContact:
    """The shopper's contact details from their messages, oldest first; where they gave a
    field twice, the later one wins (a correction: "sorry, it's 312 555 0199")."""
    name = phone = email = ""
    for text in messages:
        name = find_name(text) or name
        phones = find_phones(text, region)
        phone = phones[-1] if phones else phone
        emails = find_emails(text)
        email = emails[-1] if emails else email
    return ProposedContact(name=name, phone=phone, email=email)


def typed_contact(
    messages: Iterable[str], country: str | None, saved_name: str = ""
) -> ValidContact | None:
    """What the shopper typed in the chat, validated as a contact frame would be (the name
    saved for them, if any, before one found in the text); None when it holds no phone or
    e-mail that validates. The one rule both an operator's close and lead creation use."""
    region = region_for(country)
    proposed = propose_contact(messages, region)
    if not proposed.reachable:
        return None
    try:
        return validate_contact(
            name=saved_name or proposed.name,
            phone=proposed.phone,
            email=proposed.email,
            region=region,
        )
    except ContactError:
        return None
