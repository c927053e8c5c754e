"""Spam rules for leads: a filled honeypot, link-only or gibberish messages, too many leads."""

from __future__ import annotations

import re
from collections.abc import Sequence

LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Six consonants in a row do not occur in English words ("strengths" has five) but do in
# keyboard mashing like "sdfghjkl"; "y" counts as a vowel so "rhythm" passes.
MASH = re.compile(r"[bcdfghjklmnpqrstvwxz]{6,}", re.IGNORECASE)
VOWEL = re.compile(r"[aeiouy]", re.IGNORECASE)
MAX_LEADS_PER_HOUR = 3


def is_link_only(body: str) -> bool:
    text = LINK.sub("", body).strip()
    return bool(LINK.search(body)) and not any(ch.isalnum() for ch in text)


def is_gibberish(body: str) -> bool:
    """Mostly keyboard mashing: at least half its Latin words have no vowel or a consonant run."""
    words = [w for w in re.findall(r"[^\W\d_]{4,}", body) if w.isascii()]
    if not words:
        return False  # short words, digits, emoji or non-Latin text: not ours to judge
    mashed = [w for w in words if not VOWEL.search(w) or MASH.search(w)]
    return 2 * len(mashed) >= len(words)


def spam_reason(shopper_messages: Sequence[str], honeypot: str, leads_last_hour: int) -> str:
    """Why this lead is spam, or "" when it is not.

    ``shopper_messages`` are only the shopper's own messages; ``leads_last_hour`` counts the
    same visitor's earlier leads at this dealership within the last hour.
    """
    if honeypot.strip():
        return "honeypot"
    if leads_last_hour >= MAX_LEADS_PER_HOUR:
        return "rate"
    bodies = [b for b in shopper_messages if b.strip()]
    if bodies and all(is_link_only(b) for b in bodies):
        return "links only"
    if bodies and all(is_gibberish(b) or is_link_only(b) for b in bodies):
        return "gibberish"
    return ""
