"""ADF 1.0 generation: DTD order and values, honest vehicles, hostile transcripts."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from chat_server.leads.adf import build_adf, email_subject
from chat_server.leads.facts import LeadFacts, TranscriptLine, VehicleFacts, vehicle_from_page
from tests.leads.adf_check import parse_adf

CHICAGO = ZoneInfo("America/Chicago")
AT = datetime(2026, 11, 22, 20, 3, 7, tzinfo=UTC).astimezone(CHICAGO)


def facts(**changes: object) -> LeadFacts:
    base = LeadFacts(
        lead_id=7,
        adf_id="dealer-chat:demo-motors:lead:7",
        status="new",
        requested_at=AT,
        service="unanswered",
        department="sales",
        segment="lead",
        name="Dana Q Shopper",
        email="dana@example.com",
        phone="+13125550100",
        preferred_time="evening",
        dealership_name="Demo Motors",
        page_url="http://127.0.0.1/rav4",
        page_title="2024 Toyota RAV4",
        vehicle=vehicle_from_page(
            {
                "vin": "2T3P1RFV8RC123456",
                "year": "2024",
                "make": "Toyota",
                "model": "RAV4",
                "trim": "XLE",
                "price": 31995,
                "stock": "D1234",
                "condition": "used",
            }
        ),
        transcript=(TranscriptLine(AT, "Shopper", "Is the RAV4 still there?"),),
    )
    return LeadFacts(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_document_follows_the_dtd_and_says_what_the_chat_said() -> None:
    root = parse_adf(build_adf(facts()))
    prospect = root.find("prospect")
    assert prospect is not None and prospect.get("status") == "new"
    assert [c.tag for c in prospect] == [
        "id",
        "requestdate",
        "vehicle",
        "customer",
        "vendor",
        "provider",
    ]
    assert prospect.findtext("id") == "dealer-chat:demo-motors:lead:7"
    assert prospect.find("id").get("source") == "dealer-chat"  # type: ignore[union-attr]
    assert prospect.findtext("requestdate") == "2026-11-22T14:03:07-06:00"
    vehicle = prospect.find("vehicle")
    assert vehicle is not None and vehicle.attrib == {"interest": "buy", "status": "used"}
    assert [(c.tag, c.text) for c in vehicle] == [
        ("year", "2024"),
        ("make", "Toyota"),
        ("model", "RAV4"),
        ("vin", "2T3P1RFV8RC123456"),
        ("stock", "D1234"),
        ("trim", "XLE"),
        ("price", "31995"),
    ]
    contact = prospect.find("customer/contact")
    assert contact is not None
    assert [(n.get("part"), n.text) for n in contact.findall("name")] == [
        ("first", "Dana"),
        ("last", "Q Shopper"),
    ]
    assert contact.findtext("email") == "dana@example.com"
    phone = contact.find("phone")
    assert phone is not None and phone.text == "+13125550100" and phone.get("time") == "evening"
    assert "Is the RAV4 still there?" in prospect.findtext("customer/comments", "")
    assert prospect.findtext("vendor/vendorname") == "Demo Motors"
    assert prospect.findtext("provider/service", "").startswith("unanswered chat")


def test_unknown_vehicle_is_marked_not_invented() -> None:
    root = parse_adf(build_adf(facts(vehicle=None)))
    vehicle = root.find("prospect/vehicle")
    assert vehicle is not None and "status" not in vehicle.attrib
    assert [vehicle.findtext(t) for t in ("year", "make", "model")] == ["", "", ""]
    assert "not known" in vehicle.findtext("comments", "")


def test_condition_not_on_the_page_is_not_guessed() -> None:
    root = parse_adf(build_adf(facts(vehicle=VehicleFacts(make="Ford", model="F-150"))))
    vehicle = root.find("prospect/vehicle")
    assert vehicle is not None and "status" not in vehicle.attrib
    assert vehicle.findtext("year") == "" and vehicle.findtext("make") == "Ford"


def test_trade_in_is_a_second_vehicle() -> None:
    trade = VehicleFacts(year="2015", make="Honda", model="Civic", interest="trade-in")
    root = parse_adf(build_adf(facts(trade_in=trade)))
    vehicles = root.findall("prospect/vehicle")
    assert [v.get("interest") for v in vehicles] == ["buy", "trade-in"]
    assert vehicles[1].findtext("model") == "Civic"


def test_resend_and_one_word_name_and_pool_service() -> None:
    root = parse_adf(build_adf(facts(status="resend", name="Cher", service="pool")))
    assert root.find("prospect").get("status") == "resend"  # type: ignore[union-attr]
    names = root.findall("prospect/customer/contact/name")
    assert [(n.get("part"), n.text) for n in names] == [("full", "Cher")]
    assert root.findtext("prospect/provider/service", "").startswith("pool chat")


HOSTILE = [
    "]]>",
    "a]]>b]]]]>c<![CDATA[d",
    "<script>alert(1)</script> & &amp; \"quotes\" 'single'",
    "emoji 🚗💨👍🏽 and ZWJ 👨‍👩‍👧",
    "right-to-left: \u202eabc\u202c مرحبا بالعالم שלום",
    "x" * 10_240,
]


def test_hostile_transcripts_make_valid_adf_that_keeps_every_word() -> None:
    lines = tuple(TranscriptLine(AT, "Shopper <evil>", body) for body in HOSTILE)
    document = build_adf(facts(transcript=lines, name="<b>Ro]]>b</b> 🚗"))
    root = parse_adf(document)
    comments = root.findtext("prospect/customer/comments", "")
    for body in HOSTILE:
        assert body in comments
    assert root.findtext("prospect/customer/contact/name") == "<b>Ro]]>b</b>"


def test_characters_xml_forbids_are_replaced_not_fatal() -> None:
    lines = (TranscriptLine(AT, "Shopper", "nul\x00 bell\x07 lone\ud800 end\uffff"),)
    root = parse_adf(build_adf(facts(transcript=lines, name="A\x1bB C")))
    assert "nul\ufffd bell\ufffd lone\ufffd end\ufffd" in root.findtext(
        "prospect/customer/comments", ""
    )


# Every character XML 1.0 allows, carriage return aside (parsers turn it into a line feed).
xml_text = st.text(
    alphabet=st.characters(
        blacklist_categories=["Cs"], blacklist_characters="\r\ufffe\uffff"
    ).filter(lambda ch: ch in "\t\n" or ord(ch) >= 0x20),
    max_size=300,
)


@settings(max_examples=150, deadline=None)
@given(
    bodies=st.lists(xml_text, min_size=1, max_size=5),
    name=xml_text,
    make=xml_text,
    phone=xml_text,
)
def test_any_transcript_gives_valid_adf(
    bodies: list[str], name: str, make: str, phone: str
) -> None:
    lines = tuple(TranscriptLine(AT, "Shopper", b) for b in bodies)
    vehicle = VehicleFacts(make=make, model="M")
    root = parse_adf(build_adf(facts(transcript=lines, name=name, phone=phone, vehicle=vehicle)))
    comments = root.findtext("prospect/customer/comments", "")
    for body in bodies:
        assert body in comments


def test_subject_names_the_dealership_on_one_line() -> None:
    subject = email_subject(facts(name="Dana\r\nBcc: x@example.com"))
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("Lead from chat: Demo Motors")
