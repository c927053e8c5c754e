"""The pure lead rules: contact normalisation, spam, de-duplication, segment, cadence,
retry backoff, webhook signatures and round-robin assignment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chat_server.contact_details import email_key, has_contact, name_phone_key, normalise_contact
from chat_server.ladder.types import LeadService, Outcome
from chat_server.leads.assign import pick_round_robin
from chat_server.leads.backoff import RetryPolicy, next_attempt
from chat_server.leads.cadence import DEFAULT_DAYS, cadence_days, due_times
from chat_server.leads.create import contact_for_lead
from chat_server.leads.dedupe import Candidate, find_duplicate
from chat_server.leads.rules import goes_out, lead_service, segment
from chat_server.leads.signature import sign, verify
from chat_server.leads.spam import spam_reason

NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def test_phone_becomes_e164_with_the_dealership_country_as_default() -> None:
    us = normalise_contact({"phone": "(312) 555-0100", "email": " Dana@Example.COM "}, "US")
    assert (us.phone, us.phone_valid) == ("+13125550100", True)
    assert us.email == "Dana@example.com" and email_key(us) == "dana@example.com"
    uk = normalise_contact({"phone": "020 7946 0018"}, "GB")
    assert uk.phone == "+442079460018"
    foreign = normalise_contact({"phone": "+49 30 901820"}, "US")
    assert foreign.phone == "+4930901820"


def test_bad_contact_details_are_not_keys() -> None:
    bad = normalise_contact({"name": "Dana", "phone": "12", "email": "not@an@address"}, "US")
    assert not bad.phone_valid and not bad.email_valid
    assert email_key(bad) == "" and name_phone_key(bad) == ""


def test_name_phone_key_ignores_case_and_spacing() -> None:
    a = normalise_contact({"name": "Dana  Shopper", "phone": "312-555-0100"}, "US")
    b = normalise_contact({"name": "dana shopper", "phone": "+1 312 555 0100"}, "US")
    assert name_phone_key(a) == name_phone_key(b) == "dana shopper|+13125550100"


def test_spam_rules() -> None:
    assert spam_reason(["Is the RAV4 available?"], "", 0) == ""
    assert spam_reason(["hi"], "http://bot.example", 0) == "honeypot"
    assert spam_reason(["https://casino.example/win", "www.x.example"], "", 0) == "links only"
    assert spam_reason(["sdfghjkl qwrtzp", "xcvbnm"], "", 0) == "gibberish"
    assert spam_reason(["See https://cars.example/rav4 is it here?"], "", 0) == ""
    assert spam_reason(["Rhythm strengths"], "", 0) == ""
    assert spam_reason(["مرحبا 🚗"], "", 0) == ""
    assert spam_reason(["Hello"], "", 3) == "rate"


def test_which_outcomes_make_a_lead() -> None:
    assert lead_service(Outcome.POOL, True, False) is LeadService.POOL
    # Issue 15: a lead never goes out empty, not even a receptionist's.
    assert lead_service(Outcome.POOL, False, False) is None
    assert lead_service(Outcome.POOL, False, True) is None
    assert lead_service(Outcome.MISSED, True, False) is LeadService.UNANSWERED
    assert lead_service(Outcome.MISSED, False, False) is None
    assert lead_service(Outcome.UP, True, False) is None
    assert lead_service(Outcome.UP, True, True) is LeadService.STORE
    # Issue 12: no lead goes to a CRM without a way to reach the shopper.
    assert lead_service(Outcome.UP, False, True) is None
    assert lead_service(Outcome.ABANDONED, True, True) is None


def test_segment() -> None:
    assert segment(1, answered=False, bought_before=False) == "lead"
    assert segment(3, answered=False, bought_before=False) == "prospect"
    assert segment(1, answered=True, bought_before=False) == "prospect"
    assert segment(1, answered=True, bought_before=True) == "customer"


def candidate(
    id_: int, days_ago: float, email: str = "", np: str = "", dealer: int = 1
) -> Candidate:
    return Candidate(id_, dealer, email, np, NOW - timedelta(days=days_ago))


def test_dedupe_same_email_or_same_name_and_phone_within_30_days() -> None:
    leads = [
        candidate(1, 40, email="dana@example.com"),
        candidate(2, 29, email="dana@example.com"),
        candidate(3, 1, np="dana|+13125550100"),
        candidate(4, 0.5, email="dana@example.com", dealer=2),
    ]
    assert find_duplicate(leads, 1, "dana@example.com", "", NOW) == 2
    assert find_duplicate(leads, 1, "", "dana|+13125550100", NOW) == 3
    assert find_duplicate(leads, 1, "dana@example.com", "dana|+13125550100", NOW) == 3
    assert find_duplicate(leads, 1, "other@example.com", "", NOW) is None
    assert find_duplicate(leads[:1], 1, "dana@example.com", "", NOW) is None
    assert find_duplicate(leads, 1, "", "", NOW) is None  # no key: never a duplicate


def test_cadence_first_call_within_five_minutes_in_hours_then_days() -> None:
    opening = NOW + timedelta(hours=10)
    open_times = due_times(NOW, DEFAULT_DAYS, lambda at: True, lambda at: at)
    assert open_times[0] == NOW + timedelta(minutes=5)
    assert [(t - NOW).days for t in open_times[1:]] == [
        1,
        3,
        7,
        14,
        21,
        28,
        35,
        42,
        49,
        56,
        63,
        70,
        77,
        84,
    ]
    closed = due_times(NOW, (1,), lambda at: False, lambda at: opening)
    assert closed == [opening + timedelta(minutes=5), NOW + timedelta(days=1)]
    assert cadence_days([2, 1, 2, 0, "x", 400]) == (1, 2)
    assert cadence_days([]) == DEFAULT_DAYS


@given(attempts=st.integers(min_value=1, max_value=200), elapsed=st.floats(0, 200_000))
def test_backoff_doubles_is_capped_and_stops_after_a_day(attempts: int, elapsed: float) -> None:
    policy = RetryPolicy()
    now = NOW + timedelta(seconds=elapsed)
    when = next_attempt(policy, attempts, NOW, now)
    if elapsed >= policy.give_up_s:
        assert when is None
        return
    assert when is not None
    gap = (when - now).total_seconds()
    assert 0 <= gap <= policy.cap_s
    assert when <= NOW + timedelta(seconds=policy.give_up_s)
    if attempts <= 3 and elapsed < 3600:
        assert gap == 30 * 2 ** (attempts - 1)


def test_signature_verifies_and_rejects_tampering_and_old_timestamps() -> None:
    body = b'{"lead":1}'
    header = sign("s3cret-s3cret-s3cret", 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert verify("s3cret-s3cret-s3cret", header, body, now=1_700_000_010)
    assert not verify("s3cret-s3cret-s3cret", header, body + b" ", now=1_700_000_010)
    assert not verify("other-secret-value", header, body, now=1_700_000_010)
    assert not verify("s3cret-s3cret-s3cret", header, body, now=1_700_001_000)
    assert not verify("s3cret-s3cret-s3cret", "garbage", body, now=1_700_000_010)


def test_round_robin_prefers_never_assigned_then_longest_ago() -> None:
    assert pick_round_robin([], {}) is None
    assert pick_round_robin([3, 1, 2], {1: NOW}) == 2
    assert pick_round_robin([1, 2], {1: NOW, 2: NOW - timedelta(hours=1)}) == 2


def test_a_lead_takes_what_the_shopper_typed_when_nobody_saved_their_details() -> None:
    typed = ["Hi, my name is Dana Shopper", "call me on (312) 555-0100 after 5"]
    contact = contact_for_lead(None, typed, "US")
    assert (contact.name, contact.phone, contact.phone_valid) == (
        "Dana Shopper",
        "+13125550100",
        True,
    )
    # Saved details win; a name saved without a way to reach them keeps the saved name.
    saved = contact_for_lead({"email": "kim@example.com", "name": "Kim"}, typed, "US")
    assert (saved.name, saved.email, saved.phone) == ("Kim", "kim@example.com", "")
    named = contact_for_lead({"name": "Kim", "preferred_time": "evening"}, typed, "US")
    assert (named.name, named.phone, named.preferred_time) == ("Kim", "+13125550100", "evening")
    # Nothing usable typed: still nothing, and so no lead (rules.goes_out).
    nothing = contact_for_lead(None, ["Is the RAV4 there?", "call 555-12"], "US")
    assert not has_contact(nothing) and not goes_out(has_contact(nothing))
