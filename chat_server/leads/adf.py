"""ADF 1.0 (Auto-lead Data Format) XML for one lead: pure, strict, in the DTD's order.

Written by hand rather than with ElementTree because ADF wants the transcript in CDATA, which
ElementTree cannot emit, and because the processing instruction must follow the XML
declaration exactly. Every text goes through ``_text`` (escaped, XML-illegal characters
dropped) and the transcript through ``_cdata``.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from chat_server.leads.facts import LeadFacts, TranscriptLine, VehicleFacts

SOURCE = "dealer-chat"
PHONE_TIMES = ("morning", "afternoon", "evening", "nopreference", "day")
SERVICE_TEXT = {
    "store": "store chat (answered live by the dealership's staff)",
    "pool": "pool chat (answered by the receptionist pool)",
    "unanswered": "unanswered chat (contact details left for a call back)",
}
NO_CONTACT_TEXT = (
    "No contact details were given: the shopper left no e-mail address and no phone number."
)
# Characters XML 1.0 forbids anywhere, even in CDATA: C0 controls other than tab, LF and CR,
# lone surrogates (a JSON "\ud800" survives into Python strings) and U+FFFE/U+FFFF.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(value: str) -> str:
    return _ILLEGAL.sub("\ufffd", value)


def _text(value: str) -> str:
    return escape(_clean(value))


def _attr(value: str) -> str:
    return quoteattr(_clean(value))


def _cdata(value: str) -> str:
    # "]]>" would end the section early: end it after "]]" and start a new one before ">".
    return "<![CDATA[" + _clean(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _el(tag: str, value: str, **attrs: str) -> str:
    attributes = "".join(f" {k}={_attr(v)}" for k, v in attrs.items())
    return f"<{tag}{attributes}>{_text(value)}</{tag}>"


def _name_parts(name: str) -> list[str]:
    parts = name.split()
    if len(parts) >= 2:
        return [
            _el("name", parts[0], part="first"),
            _el("name", " ".join(parts[1:]), part="last"),
        ]
    # One word could be either a first or a last name: say only that it is the whole name.
    return [_el("name", name, part="full")]


def _vehicle(vehicle: VehicleFacts | None, interest: str) -> str:
    if vehicle is None or not vehicle.known:
        # year, make and model are required by the DTD: present, empty, and explained.
        note = (
            "Vehicle not known: the shopper did not chat from a vehicle page "
            "and did not name a vehicle."
        )
        return (
            f"<vehicle interest={_attr(interest)}><year></year><make></make><model></model>"
            f"{_el('comments', note)}</vehicle>"
        )
    attrs = {"interest": interest}
    if vehicle.condition:
        attrs["status"] = vehicle.condition
    parts = [_el("year", vehicle.year), _el("make", vehicle.make), _el("model", vehicle.model)]
    if vehicle.vin:
        parts.append(_el("vin", vehicle.vin))
    if vehicle.stock:
        parts.append(_el("stock", vehicle.stock))
    if vehicle.trim:
        parts.append(_el("trim", vehicle.trim))
    if vehicle.price:
        parts.append(_el("price", vehicle.price, type="asking", currency="USD"))
    if not vehicle.condition and interest != "trade-in":
        parts.append(_el("comments", "New or used: not stated on the page."))
    attributes = "".join(f" {k}={_attr(v)}" for k, v in attrs.items())
    return f"<vehicle{attributes}>{''.join(parts)}</vehicle>"


def transcript_text(lines: tuple[TranscriptLine, ...]) -> str:
    return "\n".join(
        f"[{line.at.strftime('%Y-%m-%d %H:%M:%S %z')}] {line.author}: {line.body}" for line in lines
    )


def _customer(facts: LeadFacts) -> str:
    contact = _name_parts(facts.name)
    if facts.email:
        contact.append(_el("email", facts.email))
    if facts.phone:
        time = facts.preferred_time if facts.preferred_time in PHONE_TIMES else "nopreference"
        contact.append(_el("phone", facts.phone, type="voice", time=time))
    header = (
        f"Chat transcript ({SERVICE_TEXT.get(facts.service, facts.service)}; "
        f"department: {facts.department}; segment: {facts.segment})"
    )
    if facts.page_url:
        header += f"\nPage: {facts.page_title} {facts.page_url}".rstrip()
    if not facts.email and not facts.phone:
        # Only a pool lead gets here (leads/create.py): say so rather than leave the CRM's
        # agent looking for a number that was never given.
        header += f"\n{NO_CONTACT_TEXT}"
    comments = header + "\n\n" + transcript_text(facts.transcript)
    return (
        f"<customer><contact>{''.join(contact)}</contact>"
        f"<comments>{_cdata(comments)}</comments></customer>"
    )


def _vendor(facts: LeadFacts) -> str:
    contact = [_el("name", facts.salesperson or facts.dealership_name, part="full")]
    if facts.dealership_phone:
        contact.append(_el("phone", facts.dealership_phone, type="voice"))
    return (
        f"<vendor>{_el('vendorname', facts.dealership_name)}"
        f"<contact>{''.join(contact)}</contact></vendor>"
    )


def _provider(facts: LeadFacts) -> str:
    parts = [
        _el("name", SOURCE, part="full"),
        _el("service", SERVICE_TEXT.get(facts.service, facts.service)),
    ]
    if facts.page_url:
        parts.append(_el("url", facts.page_url))
    return f"<provider>{''.join(parts)}</provider>"


def build_adf(facts: LeadFacts) -> str:
    """The lead as an ADF 1.0 document (a str; encode it as UTF-8)."""
    vehicles = [_vehicle(facts.vehicle, facts.vehicle.interest if facts.vehicle else "buy")]
    if facts.trade_in is not None and facts.trade_in.known:
        vehicles.append(_vehicle(facts.trade_in, "trade-in"))
    prospect = (
        f"<prospect status={_attr(facts.status)}>"
        f"{_el('id', facts.adf_id, sequence='1', source=SOURCE)}"
        f"{_el('requestdate', facts.requested_at.isoformat(timespec='seconds'))}"
        f"{''.join(vehicles)}{_customer(facts)}{_vendor(facts)}{_provider(facts)}"
        "</prospect>"
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<?adf version="1.0"?>\n<adf>{prospect}</adf>\n'


def email_subject(facts: LeadFacts) -> str:
    """eLead routes on the dealership's name in the subject; keep it on one line."""
    who = facts.name or "unknown shopper"
    kind = "Resent lead" if facts.status == "resend" else "Lead"
    return " ".join(f"{kind} from chat: {facts.dealership_name}, {who}".split())[:250]
