"""One conversation's search document, built from plain data (pure: no database).

The document is the words of everything a person may look a conversation up by: the shopper's
name, e-mail and phone (from the contact they left and from the widget's identify), the vehicle
and trade-in, the page's title, and every message of the transcript, with phone numbers in
several spellings (words.py). Each word appears once: the search matches words, not phrases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chat_server.history.words import stored_phone_words, text_words, words


@dataclass(frozen=True)
class DocumentSource:
    """What a conversation's document is made of, read from the store."""

    region: str  # the dealership's country: how a phone without +country is read
    contact: Mapping[str, Any] | None = None
    visitor_name: str = ""
    visitor_email: str = ""
    visitor_phone: str = ""
    vehicle: Mapping[str, Any] | None = None
    page_title: str = ""
    messages: Sequence[str] = field(default_factory=tuple)


def _scalars(value: Any) -> Iterable[str]:
    """The short text values of a context object ({year: 2024, make: "Toyota", ...})."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        yield str(value)


def document_text(source: DocumentSource) -> str:
    contact = source.contact or {}
    found: list[str] = []
    for name in (str(contact.get("name") or ""), source.visitor_name):
        found += words(name)
    for email in (str(contact.get("email") or ""), source.visitor_email):
        found += words(email)
    for phone in (str(contact.get("phone") or ""), source.visitor_phone):
        found += stored_phone_words(phone, source.region)
    for context in (source.vehicle, contact.get("trade_in")):
        for value in _scalars(context or {}):
            found += words(value)
    found += words(source.page_title)
    for body in source.messages:
        found += text_words(body, source.region)
    return " ".join(dict.fromkeys(found))
