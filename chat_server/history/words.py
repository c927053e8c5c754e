"""Plain words for the search index: ONE normalisation for documents and queries.

Both databases are handed text that is already lower-case words separated by spaces, so
SQLite's FTS5 (unicode61) and PostgreSQL's ``to_tsvector('simple', ...)`` see the same tokens
and a query behaves the same on either. Phone numbers are found with phonenumbers' matcher
(never a pattern of our own) and indexed in several spellings, so any way of typing one finds
it: ``(312) 555-0133``, ``312.555.0133``, ``+1 312 555 0133`` and ``3125550133``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from chat_server.contact_details import region_for

# Letters and digits of any script; anything else (spaces, punctuation, "@", "_") separates.
_WORD = re.compile(r"[^\W_]+")
MAX_WORD_CHARS = 60  # longer runs are noise (ids, base64), and PostgreSQL drops them anyway
MAX_QUERY_WORDS = 12
# A text with fewer digits than this holds no whole phone number: skip the (slow) matcher.
_MIN_PHONE_DIGITS = 7


def words(text: str) -> list[str]:
    """``text`` as lower-case words without accents: "José's Camry!" -> ["jose", "s", "camry"]."""
    if text.isascii():  # most text: nothing to fold but case
        plain = text.lower()
    else:
        folded = unicodedata.normalize("NFKD", text)
        plain = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    return [w for w in _WORD.findall(plain) if len(w) <= MAX_WORD_CHARS]


def phone_words(number: phonenumbers.PhoneNumber) -> list[str]:
    """Every spelling of one number a search may use: its E.164 digits, its national number,
    and the groups of its national and international formats ("312", "555", "0133")."""
    national = phonenumbers.national_significant_number(number)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    grouped = [
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    ]
    return [e164.lstrip("+"), national, *(w for text in grouped for w in words(text))]


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(raw, region_for(region))
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


@lru_cache(maxsize=4096)
def stored_phone_words(stored: str, region: str) -> tuple[str, ...]:
    """The spellings of a stored phone (E.164, or as typed before validation existed)."""
    number = _parse(stored, region) if stored.strip() else None
    return tuple(phone_words(number) if number is not None else words(stored))


def _enough_digits(text: str) -> bool:
    return sum(map(str.isdigit, text)) >= _MIN_PHONE_DIGITS


def text_words(text: str, region: str) -> list[str]:
    """The words of free text (a message), plus every spelling of each phone number in it."""
    found = words(text)
    if _enough_digits(text):
        for match in phonenumbers.PhoneNumberMatcher(text, region_for(region)):
            found += phone_words(match.number)
    return found


@dataclass(frozen=True)
class Terms:
    """A search box's text as index terms: ``exact`` must match whole words (the national
    number of each phone in the query); ``prefixes`` must start a word ("Cam" finds Camry).
    Every term must match (AND)."""

    exact: tuple[str, ...]
    prefixes: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.exact and not self.prefixes


def query_terms(query: str, region: str) -> Terms:
    """The terms of what someone typed in the search box.

    A phone number anywhere in it, in any format the dealership's country reads, becomes its
    national number (which every indexed phone carries); the rest becomes word prefixes.
    """
    exact: list[str] = []
    rest = query
    if _enough_digits(query):
        spans = []
        for match in phonenumbers.PhoneNumberMatcher(query, region_for(region)):
            exact.append(phonenumbers.national_significant_number(match.number))
            spans.append((match.start, match.end))
        for start, end in reversed(spans):
            rest = rest[:start] + " " + rest[end:]
    prefixes = _unique(words(rest))
    return Terms(tuple(_unique(exact))[:MAX_QUERY_WORDS], tuple(prefixes)[:MAX_QUERY_WORDS])


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
