"""Sample values for every frame builder of ``chat_server.protocol.outgoing``.

One entry per ``*_frame`` function; ``test_every_builder_has_a_sample`` fails when a builder is
added without one, so the documentation check below always sees every frame type.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chat_server.ladder.types import LadderConfig, Tier
from chat_server.protocol import outgoing
from chat_server.store.records import DealershipView, StoredMessage
from chat_server.widget_theme import WidgetTheme

AT = datetime(2026, 11, 22, 18, 4, 5, 123000, tzinfo=UTC)

DEALERSHIP = DealershipView(
    id=7,
    slug="north-motors",
    name="North Motors",
    site_key="site-north",
    time_zone="America/Chicago",
    hours={},
    allowed_origins=("https://north.example",),
    greeting="Hi! How can we help?",
    config=LadderConfig(),
    theme=WidgetTheme(color="#0055aa", logo_url="", position="left", language="es"),
)

MESSAGE = StoredMessage(
    conversation_id="c-1",
    seq=3,
    author_kind="visitor",
    author_name="",
    body="Do you have the RAV4 in blue?",
    created_at=AT,
    client_id="m-3",
)

CONTACT = {"name": "Kim Doe", "email": "kim@example.com", "phone": "+15555550123"}
PAGE = {"url": "https://north.example/rav4", "title": "RAV4", "referrer": ""}
VEHICLE = {"year": 2026, "make": "Toyota", "model": "RAV4"}

SAMPLES: dict[str, Callable[[], dict[str, Any]]] = {
    "message_frame": lambda: outgoing.message_frame(MESSAGE),
    "ack_frame": lambda: outgoing.ack_frame(MESSAGE),
    "error_frame": lambda: outgoing.error_frame(
        "rate_limited", "too many messages", client_id="m-3", retry_after=42, limit="visitor"
    ),
    "typing_frame": lambda: outgoing.typing_frame("c-1", "operator", True),
    "contact_saved_frame": lambda: outgoing.contact_saved_frame("c-1"),
    "visitor_welcome_frame": lambda: outgoing.visitor_welcome_frame(
        visitor="token-1",
        conversation_id="c-1",
        state="connected",
        agent_name="Riley Chen",
        dealership=DEALERSHIP,
        open_now=False,
        opens_next={"at": "2026-11-23T15:00:00+00:00", "text": "Ventas abre el lunes"},
        messages=[MESSAGE],
        server_time=AT,
    ),
    "status_frame": lambda: outgoing.status_frame("c-1", "connected", "Riley Chen", 3, 4),
    "conversation_started_frame": lambda: outgoing.conversation_started_frame("c-1"),
    "console_welcome_frame": lambda: outgoing.console_welcome_frame(
        operator_id=11,
        operator_name="Riley Chen",
        role="salesperson",
        presence="available",
        rings=[SAMPLES["ring_frame"]()],
        conversations=[SAMPLES["conversation_frame"]()],
        server_time=AT,
    ),
    "presence_frame": lambda: outgoing.presence_frame("away"),
    "ring_frame": lambda: outgoing.ring_frame(
        "c-1",
        DEALERSHIP,
        Tier.STORE,
        False,
        page=PAGE,
        vehicle=VEHICLE,
        contact=CONTACT,
        first_words="Do you have the RAV4 in blue?",
        expires_at=AT + timedelta(seconds=20),
        transfer_from="Sam Lee",
    ),
    "ring_cancelled_frame": lambda: outgoing.ring_cancelled_frame("c-1", "taken", "Sam Lee"),
    "shopper_presence_frame": lambda: outgoing.shopper_presence_frame(
        "c-1", False, AT + timedelta(seconds=60)
    ),
    "chat_ended_frame": lambda: outgoing.chat_ended_frame(
        "c-1",
        outcome="pool",
        dealership_name="North Motors",
        lead_id=9,
        delivery="logged_only",
        used_typed_contact=True,
    ),
    "transfer_offered_frame": lambda: outgoing.transfer_offered_frame("c-1"),
    "transfer_lapsed_frame": lambda: outgoing.transfer_lapsed_frame("c-1"),
    "conversation_frame": lambda: outgoing.conversation_frame(
        "c-1",
        DEALERSHIP,
        state="connected",
        outcome=None,
        owner_id=11,
        owner_name="Riley Chen",
        page=PAGE,
        vehicle=VEHICLE,
        contact=CONTACT,
        last_seq=3,
        messages=[MESSAGE],
    ),
    "note_frame": lambda: outgoing.note_frame(
        "c-1", 5, author_id=11, author_name="Riley Chen", body="Wants a test drive", at=AT
    ),
    "lead_assigned_frame": lambda: outgoing.lead_assigned_frame(9, "Kim Doe", "unanswered"),
    "lead_alert_frame": lambda: outgoing.lead_alert_frame(9, "Kim Doe", timedelta(minutes=31)),
    "session_ended_frame": lambda: outgoing.session_ended_frame(4),
}
