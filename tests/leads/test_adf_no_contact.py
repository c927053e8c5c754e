"""A pool lead may reach the CRM without an e-mail or a phone; its ADF then says so."""

from __future__ import annotations

from chat_server.leads.adf import NO_CONTACT_TEXT, build_adf
from tests.leads.adf_check import parse_adf
from tests.leads.test_adf import facts


def test_a_lead_without_contact_says_so_in_its_comments() -> None:
    document = build_adf(facts(service="pool", email="", phone=""))
    parse_adf(document)  # still valid against the DTD subset
    comments = document.split("<customer>")[1].split("</customer>")[0]
    assert NO_CONTACT_TEXT in comments
    assert "<email>" not in comments and "<phone" not in comments


def test_a_lead_with_any_way_to_reach_the_shopper_does_not() -> None:
    for email, phone in (("dana@example.com", ""), ("", "+13125550100")):
        assert NO_CONTACT_TEXT not in build_adf(facts(service="pool", email=email, phone=phone))
