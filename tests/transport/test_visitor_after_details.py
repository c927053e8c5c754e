"""After leaving their details a shopper keeps the same conversation (issue 15).

On an in-process server with a clock the test moves: the shopper's next message is stored
in the same conversation, rings the store again, and the one lead is resent (never made
twice) with the longer transcript once the chat closes; a new page load resumes the chat
in its ``captured`` state instead of asking for the details again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select

from chat_server.store.database import open_database
from chat_server.store.models import Conversation, Lead, LeadDelivery
from tests.support.clients import FrameClient, console, new_client_id, visitor
from tests.support.inprocess import InProcessServer

ALEX = "alex@demo-motors.test"
DANA = {
    "name": "Dana Shopper",
    "phone": "(312) 555-0100",
    "email": "dana@example.com",
    "preferred_time": "evening",
    "consent": True,
}

Serve = Callable[..., Awaitable[InProcessServer]]


async def says(shopper: FrameClient, body: str) -> dict:
    client_id = new_client_id()
    await shopper.send({"type": "message", "client_id": client_id, "body": body})
    return await shopper.expect_keeping("ack", client_id=client_id)


async def lead_rows(server: InProcessServer) -> tuple[list[Lead], list[LeadDelivery]]:
    async with open_database(server.database_url) as db, db.sessions() as session:
        leads = list(await session.scalars(select(Lead)))
        sends = list(await session.scalars(select(LeadDelivery).order_by(LeadDelivery.id)))
        return leads, sends


async def conversations(server: InProcessServer) -> list[Conversation]:
    async with open_database(server.database_url) as db, db.sessions() as session:
        return list(await session.scalars(select(Conversation)))


async def test_the_next_message_after_the_details_stays_in_the_same_conversation(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 20, "pool_window": 25})
    await server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    shopper, welcome = await visitor(server.ws_url, server.url)
    token = welcome["visitor"]
    first = await says(shopper, "Can someone call me about financing?")
    conversation = first["conversation"]
    # Nobody is on shift: the widget asks for details at once.
    await shopper.expect("status", state="lead_capture")
    await shopper.send({"type": "contact", **DANA})
    await shopper.expect_keeping("contact_saved")
    await shopper.expect("status", state="captured")
    leads, sends = await lead_rows(server)
    assert [(lead.conversation_id, lead.resend_count) for lead in leads] == [(conversation, 0)]
    assert [send.kind for send in sends] == ["new"]

    # The next message: same conversation, and the ladder rings the store again.
    alex, _ = await console(server.url, ALEX)
    await alex.send({"type": "presence", "status": "available"})
    await alex.expect("presence", status="available")
    second = await says(shopper, "Also, do you take trade-ins?")
    assert second["conversation"] == conversation and second["seq"] > first["seq"]
    await shopper.expect("status", state="ringing_store")
    ring = await alex.expect("ring", conversation=conversation)
    assert ring["conversation"] == conversation

    # A new page load (token and conversation id from the widget's storage) resumes it,
    # with every message, while it still rings.
    await shopper.close()
    again, resumed = await visitor(
        server.ws_url, server.url, token=token, conversation=conversation, last_seq=0
    )
    assert resumed["conversation"] == conversation
    assert resumed["state"] == "ringing_store"
    bodies = [m["body"] for m in resumed["messages"]]
    assert "Also, do you take trade-ins?" in bodies and bodies[0].startswith("Can someone")

    # Nobody takes it: back to captured (no second form, no second lead) ...
    await server.advance(45)
    await again.expect("status", state="captured")
    await alex.expect("ring_cancelled", conversation=conversation)
    leads, sends = await lead_rows(server)
    assert len(leads) == 1 and [send.kind for send in sends] == ["new"]
    # ... and a reload now shows the captured chat, not the contact form.
    await again.close()
    third, resumed = await visitor(
        server.ws_url, server.url, token=token, conversation=conversation, last_seq=0
    )
    assert (resumed["conversation"], resumed["state"]) == (conversation, "captured")

    # The capture window ends: one outcome, one lead, resent once with the new transcript.
    await server.advance(300)
    await third.expect("status", state="closed")
    [row] = await conversations(server)
    assert (row.id, row.outcome) == (conversation, "missed")
    leads, sends = await lead_rows(server)
    assert [(lead.conversation_id, lead.resend_count) for lead in leads] == [(conversation, 1)]
    assert [send.kind for send in sends] == ["new", "resend"]
    assert "do you take trade-ins?" in sends[-1].body
    assert "do you take trade-ins?" not in sends[0].body
    await third.close()
    await alex.close()


async def test_a_message_after_the_chat_closed_starts_a_new_one(serve_inprocess: Serve) -> None:
    """The captured window over, the shopper's next word is a new chat (the widget says
    "Chat ended" and offers a new one): the old one keeps its single outcome."""
    server = await serve_inprocess({"store_window": 0, "pool_window": 0})
    shopper, _ = await visitor(server.ws_url, server.url)
    first = await says(shopper, "Hello?")
    await shopper.expect("status", state="lead_capture")
    await shopper.send({"type": "contact", **DANA})
    await shopper.expect("status", state="captured")
    await server.advance(301)
    await shopper.expect("status", state="closed")
    later = await says(shopper, "Back again")
    assert later["conversation"] != first["conversation"]
    rows = {row.id: row.outcome for row in await conversations(server)}
    assert rows[first["conversation"]] == "missed"
    await shopper.close()
