"""The builders return exactly the frames the server used to write by hand, key order included.

These frames were dict literals in chats/, leads/ and transport/ before they moved into
chat_server/protocol/outgoing.py; the widget, the console's JavaScript and
transport/connection.py (which recognises frames by their first bytes) read them as they were.
Each expected value below is the old literal, filled in with the sample values.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from chat_server.ladder.types import Tier
from chat_server.protocol import outgoing
from tests.protocol.samples import AT, CONTACT, DEALERSHIP, MESSAGE, PAGE, SAMPLES, VEHICLE

MESSAGE_FRAME = {
    "type": "message",
    "conversation": "c-1",
    "seq": 3,
    "author": {"kind": "visitor", "name": ""},
    "body": "Do you have the RAV4 in blue?",
    "at": "2026-11-22T18:04:05.123000+00:00",
}
VISITOR = {"name": "Kim Doe", "email": "kim@example.com", "phone": "+15555550123"}


def same(frame: dict[str, Any], expected: dict[str, Any]) -> None:
    # Compared as encoded text, so a key out of order is a difference too.
    assert json.dumps(frame) == json.dumps(expected)


def test_ring() -> None:
    same(
        SAMPLES["ring_frame"](),
        {
            "type": "ring",
            "conversation": "c-1",
            "dealership": {"id": 7, "name": "North Motors"},
            "tier": "store",
            "quiet": False,
            "page": PAGE,
            "vehicle": VEHICLE,
            "visitor": VISITOR,
            "first_words": "Do you have the RAV4 in blue?",
            "expires_at": "2026-11-22T18:04:25.123000+00:00",
            "transfer_from": {"name": "Sam Lee"},
        },
    )


def test_ring_without_transfer_page_or_contact() -> None:
    frame = outgoing.ring_frame(
        "c-2",
        DEALERSHIP,
        Tier.POOL,
        True,
        page=None,
        vehicle=None,
        contact=None,
        first_words="",
        expires_at=AT,
    )
    same(
        frame,
        {
            "type": "ring",
            "conversation": "c-2",
            "dealership": {"id": 7, "name": "North Motors"},
            "tier": "pool",
            "quiet": True,
            "page": {},
            "vehicle": None,
            "visitor": {"name": "", "email": "", "phone": ""},
            "first_words": "",
            "expires_at": "2026-11-22T18:04:05.123000+00:00",
        },
    )


def test_conversation_with_and_without_messages() -> None:
    expected = {
        "type": "conversation",
        "id": "c-1",
        "state": "connected",
        "outcome": None,
        "owner": {"id": 11, "name": "Riley Chen"},
        "dealership": {"id": 7, "name": "North Motors"},
        "page": PAGE,
        "vehicle": VEHICLE,
        "visitor": VISITOR,
        "last_seq": 3,
        "messages": [MESSAGE_FRAME],
    }
    same(SAMPLES["conversation_frame"](), expected)
    unowned = outgoing.conversation_frame(
        "c-1",
        DEALERSHIP,
        state="closed",
        outcome="missed",
        owner_id=None,
        owner_name=None,
        page=None,
        vehicle=None,
        contact=CONTACT,
        last_seq=0,
    )
    same(
        unowned,
        {
            **{k: v for k, v in expected.items() if k != "messages"},
            "state": "closed",
            "outcome": "missed",
            "owner": None,
            "page": {},
            "vehicle": None,
            "last_seq": 0,
        },
    )
    # An owner whose name is gone still shows as an owner, with an empty name.
    nameless = outgoing.conversation_frame(
        "c-1",
        DEALERSHIP,
        state="connected",
        outcome=None,
        owner_id=12,
        owner_name=None,
        page=None,
        vehicle=None,
        contact=None,
        last_seq=0,
    )
    assert nameless["owner"] == {"id": 12, "name": ""}


def test_note() -> None:
    same(
        SAMPLES["note_frame"](),
        {
            "type": "note",
            "conversation": "c-1",
            "id": 5,
            "author": {"id": 11, "name": "Riley Chen"},
            "body": "Wants a test drive",
            "at": "2026-11-22T18:04:05.123000+00:00",
        },
    )


def test_small_console_frames() -> None:
    same(SAMPLES["presence_frame"](), {"type": "presence", "status": "away", "reach": None})
    same(
        SAMPLES["ring_cancelled_frame"](),
        {
            "type": "ring_cancelled",
            "conversation": "c-1",
            "reason": "taken",
            "taken_by": {"name": "Sam Lee"},
        },
    )
    same(
        SAMPLES["shopper_presence_frame"](),
        {
            "type": "shopper",
            "conversation": "c-1",
            "present": False,
            "until": "2026-11-22T18:05:05.123000+00:00",
        },
    )
    same(
        SAMPLES["chat_ended_frame"](),
        {
            "type": "chat_ended",
            "conversation": "c-1",
            "outcome": "pool",
            "dealership": {"name": "North Motors"},
            "lead": {"id": 9, "url": "/console/leads/9", "delivery": "logged_only"},
            "used_typed_contact": True,
        },
    )
    same(SAMPLES["transfer_offered_frame"](), {"type": "transfer_offered", "conversation": "c-1"})
    same(SAMPLES["transfer_lapsed_frame"](), {"type": "transfer_lapsed", "conversation": "c-1"})
    same(SAMPLES["contact_saved_frame"](), {"type": "contact_saved", "conversation": "c-1"})
    same(
        SAMPLES["conversation_started_frame"](),
        {"type": "conversation_started", "conversation": "c-1"},
    )


def test_lead_frames() -> None:
    same(
        SAMPLES["lead_assigned_frame"](),
        {
            "type": "lead_assigned",
            "lead": 9,
            "name": "Kim Doe",
            "service": "unanswered",
            "url": "/console/leads/9",
        },
    )
    same(
        SAMPLES["lead_alert_frame"](),
        {
            "type": "lead_alert",
            "lead": 9,
            "name": "Kim Doe",
            "minutes": 31,
            "url": "/console/leads/9",
        },
    )
    # Whole minutes, rounded down: 59 s untouched is 0 minutes, as the worker always sent.
    assert outgoing.lead_alert_frame(9, "", timedelta(seconds=59))["minutes"] == 0
    assert outgoing.lead_alert_frame(9, "", timedelta(seconds=1860.9))["minutes"] == 31


def test_visitor_welcome() -> None:
    same(
        SAMPLES["visitor_welcome_frame"](),
        {
            "type": "welcome",
            "visitor": "token-1",
            "conversation": "c-1",
            "state": "connected",
            "agent": {"name": "Riley Chen"},
            "dealership": {
                "name": "North Motors",
                "open": False,
                "greeting": "Hi! How can we help?",
                "theme": {"color": "#0055aa", "logo_url": "", "position": "left", "language": "es"},
                "opens_next": {"at": "2026-11-23T15:00:00+00:00", "text": "Ventas abre el lunes"},
            },
            "messages": [MESSAGE_FRAME],
            "server_time": "2026-11-22T18:04:05.123000+00:00",
        },
    )


def test_visitor_welcome_of_a_new_shopper_while_open() -> None:
    frame = outgoing.visitor_welcome_frame(
        visitor="token-2",
        conversation_id=None,
        state=None,
        agent_name=None,
        dealership=DEALERSHIP,
        open_now=True,
        # Open now: whatever the caller computed, the widget gets no "opens at" line.
        opens_next={"at": "2026-11-23T15:00:00+00:00", "text": "Sales opens Monday"},
        messages=[],
        server_time=AT,
    )
    assert frame["conversation"] is None and frame["state"] is None and frame["agent"] is None
    assert frame["dealership"]["open"] is True and frame["dealership"]["opens_next"] is None
    assert frame["messages"] == []
    # An owner without a name is still an agent (the old socket sent {"name": ""}).
    owned = outgoing.visitor_welcome_frame(
        visitor="token-2",
        conversation_id="c-1",
        state="connected",
        agent_name="",
        dealership=DEALERSHIP,
        open_now=True,
        opens_next=None,
        messages=[MESSAGE],
        server_time=AT,
    )
    assert owned["agent"] == {"name": ""}


def test_console_welcome() -> None:
    same(
        SAMPLES["console_welcome_frame"](),
        {
            "type": "welcome",
            "operator": {"id": 11, "name": "Riley Chen", "role": "salesperson"},
            "presence": "available",
            "reach": None,
            "rings": [SAMPLES["ring_frame"]()],
            "conversations": [SAMPLES["conversation_frame"]()],
            "server_time": "2026-11-22T18:04:05.123000+00:00",
        },
    )
