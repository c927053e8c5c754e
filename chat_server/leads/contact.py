"""Contact validation and normalisation: phones to E.164, e-mail syntax, de-duplication keys."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email


@dataclass(frozen=True)
class Contact:
    """A shopper's contact details as given, normalised where they could be."""

    name: str
    email: str  # normalised address, or "" when none was given or it was not an address
    phone: str  # E.164 when it parsed as a possible number, else the digits as given
    preferred_time: str
    phone_valid: bool
    email_valid: bool


def normalise_phone(raw: str, country: str) -> tuple[str, bool]:
    """E.164 (``+13125550100``) with ``country`` as the default region; (given, False) if not."""
    raw = raw.strip()
    if not raw:
        return "", False
    try:
        number = phonenumbers.parse(raw, country.upper() or "US")
    except phonenumbers.NumberParseException:
        return raw, False
    if not phonenumbers.is_possible_number(number):
        return raw, False
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), True


def normalise_email(raw: str) -> tuple[str, bool]:
    """The address with its domain normalised (syntax only: no DNS lookups at lead time)."""
    raw = raw.strip()
    if not raw:
        return "", False
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        return "", False
    return checked.normalized, True


def normalise_contact(details: dict[str, object] | None, country: str) -> Contact:
    details = details or {}
    phone, phone_ok = normalise_phone(str(details.get("phone") or ""), country)
    email, email_ok = normalise_email(str(details.get("email") or ""))
    return Contact(
        name=" ".join(str(details.get("name") or "").split()),
        email=email,
        phone=phone,
        preferred_time=str(details.get("preferred_time") or "nopreference"),
        phone_valid=phone_ok,
        email_valid=email_ok,
    )


def email_key(contact: Contact) -> str:
    return contact.email.casefold() if contact.email_valid else ""


def name_phone_key(contact: Contact) -> str:
    """Same name and same phone: both must be present, or there is no key."""
    if not contact.name or not contact.phone_valid:
        return ""
    return f"{contact.name.casefold()}|{contact.phone}"


def has_contact(contact: Contact) -> bool:
    return contact.phone_valid or contact.email_valid
