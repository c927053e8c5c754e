"""Contact details: THE validation of what a shopper (or an operator for them) gives, and the
normalised views lead rules read back (phones in E.164, e-mail syntax, de-duplication keys).

Pure: no I/O, no DNS. Every entry point that accepts contact details (the visitor and console
sockets' ``contact`` frames, the visitor's ``context`` identify, the console's contact form,
which posts over the console socket) calls ``validate_contact`` (or ``valid_email`` /
``valid_phone``) and stores only what it returns. A field that cannot be used raises
``ContactError`` naming it, which the wire turns into ``bad_field`` with that ``field``.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "US"
MAX_NAME_CHARS = 200
MAX_PHONE_CHARS = 40
MAX_EMAIL_CHARS = 320


class ContactError(ValueError):
    """A contact field that cannot be stored as given; ``field`` names it (``bad_field``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ValidContact:
    """Contact details fit to store: e-mail normalised (or ""), phone in E.164 (or "")."""

    name: str
    email: str
    phone: str

    @property
    def reachable(self) -> bool:
        return bool(self.email or self.phone)


def region_for(country: str | None) -> str:
    """The phonenumbers default region of a dealership's two-letter country (else US)."""
    region = (country or "").strip().upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else DEFAULT_REGION


def _e164(raw: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, region_for(region))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(raw: str) -> str | None:
    try:
        # Syntax only: a DNS lookup per contact would make storing one depend on the network.
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def valid_name(raw: str, field: str = "name") -> str:
    """The name with its whitespace collapsed; refused when too long."""
    name = " ".join(raw.split())
    if len(name) > MAX_NAME_CHARS:
        raise ContactError(field, f"'{field}' is longer than {MAX_NAME_CHARS} characters")
    return name


def valid_email(raw: str, field: str = "email") -> str:
    """The normalised address ("" when none was given); ``ContactError`` when it is not one."""
    raw = raw.strip()
    if not raw:
        return ""
    address = _email(raw) if len(raw) <= MAX_EMAIL_CHARS else None
    if address is None:
        raise ContactError(field, f"'{field}' is not an e-mail address")
    return address


def valid_phone(raw: str, region: str, field: str = "phone") -> str:
    """The number in E.164 ("" when none was given), read with ``region`` as the default
    country; ``ContactError`` unless it parses as a possible number."""
    raw = raw.strip()
    if not raw:
        return ""
    number = _e164(raw, region) if len(raw) <= MAX_PHONE_CHARS else None
    if number is None:
        raise ContactError(field, f"'{field}' is not a phone number")
    return number


def validate_contact(
    *, name: str, phone: str, email: str, region: str, require_reach: bool = True
) -> ValidContact:
    """All of a contact's fields checked at once, so nothing is stored half-way.

    ``require_reach``: at least a phone or an e-mail (a ``contact`` frame must give one;
    an identify may give a name alone). The first bad field raises ``ContactError``.
    """
    contact = ValidContact(
        name=valid_name(name),
        email=valid_email(email),
        phone=valid_phone(phone, region),
    )
    if require_reach and not contact.reachable:
        raise ContactError("phone", "give a phone number or an e-mail address")
    return contact


def display_phone(stored: str, country: str | None) -> str:
    """A stored number (E.164, or as typed before it was checked) as people read it aloud:
    national format for the dealership's own country, international otherwise; unchanged
    when it does not parse."""
    region = region_for(country)
    try:
        number = phonenumbers.parse(stored.strip(), region)
    except phonenumbers.NumberParseException:
        return stored
    if not phonenumbers.is_possible_number(number):
        return stored
    style = phonenumbers.PhoneNumberFormat.INTERNATIONAL
    if phonenumbers.region_code_for_number(number) == region:
        style = phonenumbers.PhoneNumberFormat.NATIONAL
    return phonenumbers.format_number(number, style)


# --- reading stored details back (lead rules) -------------------------------------------


@dataclass(frozen=True)
class Contact:
    """A conversation's stored contact details, normalised where they could be.

    Details stored before validation was enforced may be unusable: they are kept out of the
    lead (``phone_valid`` / ``email_valid`` False) rather than sent as typed.
    """

    name: str
    email: str  # normalised address, or "" when none was given or it was not an address
    phone: str  # E.164, or "" when none was given or it was not a possible number
    preferred_time: str
    phone_valid: bool
    email_valid: bool


def normalise_phone(raw: str, country: str) -> tuple[str, bool]:
    """(E.164, True) with ``country`` as the default region; ("", False) if not a number."""
    raw = raw.strip()
    number = _e164(raw, country) if raw else None
    return (number, True) if number else ("", False)


def normalise_email(raw: str) -> tuple[str, bool]:
    """The address with its domain normalised (syntax only: no DNS lookups at lead time)."""
    raw = raw.strip()
    address = _email(raw) if raw else None
    return (address, True) if address else ("", False)


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
