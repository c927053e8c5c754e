"""The one normalisation of documents and queries (pure): words, phone spellings, query terms."""

from __future__ import annotations

from chat_server.history.document import DocumentSource, document_text
from chat_server.history.labels import duration_label, vehicle_label
from chat_server.history.search import fts5_query, tsquery
from chat_server.history.words import Terms, query_terms, words


def test_words_fold_case_and_accents_and_split_on_punctuation() -> None:
    assert words("José's F-150, ÜBER_cool!") == ["jose", "s", "f", "150", "uber", "cool"]


def test_a_phone_in_any_format_becomes_its_national_number() -> None:
    for typed in ("(312) 555-0133", "312.555.0133", "+1 312 555 0133", "3125550133"):
        assert query_terms(typed, "US") == Terms(("3125550133",), ()), typed
    assert query_terms("jane 312-555-0133 camry", "US") == Terms(("3125550133",), ("jane", "camry"))
    # Not a whole number: its groups are word prefixes, which the indexed groups match.
    assert query_terms("555-0133", "US") == Terms((), ("555", "0133"))


def test_the_document_holds_every_spelling_of_a_phone_once() -> None:
    text = document_text(
        DocumentSource(
            region="US",
            contact={"name": "Jane Doe", "phone": "+13125550133", "email": "jane@example.com"},
            vehicle={"year": 2024, "make": "Toyota", "model": "Camry", "vin": None},
            messages=("Call 312 555 0133", "Jane here"),
        )
    )
    found = text.split()
    assert {"13125550133", "3125550133", "312", "555", "0133", "1"} <= set(found)
    assert {"jane", "doe", "example", "com", "2024", "toyota", "camry", "call", "here"} <= set(
        found
    )
    assert len(found) == len(set(found))


def test_both_engines_get_the_same_terms() -> None:
    terms = Terms(("3125550133",), ("cam", "2024"))
    assert fts5_query(terms) == '"3125550133" AND "cam"* AND "2024"*'
    assert tsquery(terms) == "3125550133 & cam:* & 2024:*"


def test_labels() -> None:
    assert [duration_label(s) for s in (None, 8.4, 65, 7380)] == [
        "—",
        "8 s",
        "1 min 05 s",
        "2 h 03 min",
    ]
    assert vehicle_label({"year": 2024, "make": "Toyota", "model": "Camry"}) == "2024 Toyota Camry"
    assert vehicle_label(None) == ""
