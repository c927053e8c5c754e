"""Ending a chat from the console, on the socket (issue 15): the shopper reads a closing message,
the operator hears what became of the lead, a lead never goes out empty, the operator is told
when the shopper leaves and comes back, and a chat goes back to the store only while it is open.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from chat_server.store.database import open_database
from chat_server.store.models import Lead, LeadDelivery
from tests.support.clients import console, sign_in_cookie, visitor
from tests.support.inprocess import InProcessServer
from tests.support.waits import eventually
from tests.transport.test_console_socket import (
    ALEX,
    RILEY,
    Serve,
    available,
    conversation_row,
    open_store,
    shopper_says,
)

CLOSED_NEARLY_ALWAYS = json.dumps({"mon": [["09:00", "09:01"]]})


async def pool_chat(server: InProcessServer, body: str):  # type: ignore[no-untyped-def]
    """A chat only the receptionist can take (nobody in the store is on shift), taken."""
    riley = await available(RILEY, server)
    shopper, conversation = await shopper_says(server, body)
    await server.advance(20)  # the store window, if anyone in the store could be rung
    await riley.expect("ring", conversation=conversation)
    await riley.send({"type": "accept", "conversation": conversation})
    await riley.expect("conversation", id=conversation, state="connected")
    return riley, shopper, conversation


async def deliveries(server: InProcessServer) -> list[LeadDelivery]:
    async with open_database(server.database_url) as db, db.sessions() as session:
        return list(await session.scalars(select(LeadDelivery)))


async def leads(server: InProcessServer) -> list[Lead]:
    async with open_database(server.database_url) as db, db.sessions() as session:
        return list(await session.scalars(select(Lead)))


async def test_a_pool_chat_with_no_way_to_reach_the_shopper_sends_no_lead(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 20, "pool_window": 600})
    await open_store(server)
    riley, shopper, conversation = await pool_chat(server, "Just looking at the RAV4, thanks")
    await shopper.send({"type": "message", "client_id": "s2", "body": "call me maybe: 555-12"})
    await riley.expect("message", seq=2)

    await riley.send({"type": "close", "conversation": conversation})
    closing = await shopper.expect("message", seq=3)
    assert closing["author"]["kind"] == "system"
    assert closing["body"] == (
        "Thanks for chatting with us. Riley Chen has ended the chat. "
        "You can write to Demo Motors again here any time."
    )
    await shopper.expect("status", state="closed")
    ended = await riley.expect("chat_ended", conversation=conversation)
    assert (ended["outcome"], ended["lead"], ended["used_typed_contact"]) == ("pool", None, False)
    # A lead never goes out empty: no "Unknown shopper / none given" reaches the CRM.
    assert (await conversation_row(server, conversation)).outcome == "pool"
    assert await leads(server) == [] and await deliveries(server) == []
    await riley.close()
    await shopper.close()


async def test_a_spanish_widget_reads_its_closing_message_in_spanish(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 20, "pool_window": 600})
    await open_store(server)
    await server.admin("set-theme", "--dealership", "demo-motors", "--language", "es")
    riley, shopper, conversation = await pool_chat(server, "¿Me pueden llamar? 312 555 0100")
    await riley.send({"type": "close", "conversation": conversation})
    closing = await shopper.expect("message", seq=2)
    # The number typed in the chat goes with the lead, and the shopper is told so in Spanish.
    assert closing["body"] == (
        "Gracias por escribirnos: hemos pasado sus datos a Demo Motors; alguien se pondrá en "
        "contacto con usted por teléfono pronto. Este chat ha terminado."
    )
    ended = await riley.expect("chat_ended", conversation=conversation)
    assert ended["used_typed_contact"]
    await riley.close()
    await shopper.close()


async def test_save_and_send_lead_tells_the_shopper_and_says_how_the_lead_travels(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 20, "pool_window": 600})
    await open_store(server)
    riley, shopper, conversation = await pool_chat(server, "Can someone call me tomorrow?")
    contact = {
        "type": "contact",
        "conversation": conversation,
        "name": "Dana Shopper",
        "phone": "(312) 555-0100",
        "email": "",
        "preferred_time": "morning",
        "consent": False,
    }
    await riley.send(contact)
    await riley.expect("contact_saved", conversation=conversation)
    await riley.send({"type": "close", "conversation": conversation})
    closing = await shopper.expect("message", seq=2)
    assert closing["body"] == (
        "Thanks, Dana — we've passed your details to Demo Motors; someone will contact you "
        "by phone in the morning. This chat has ended."
    )
    ended = await riley.expect("chat_ended", conversation=conversation)
    [lead] = await leads(server)
    assert ended["lead"] == {
        "id": lead.id,
        "url": f"/console/leads/{lead.id}",
        # The test server has a CRM address but no SMTP: the lead is logged, not sent.
        "delivery": "logged_only",
    }
    assert ended["dealership"] == {"name": "Demo Motors"} and not ended["used_typed_contact"]
    assert (lead.service, lead.name, lead.phone) == ("pool", "Dana Shopper", "+13125550100")
    # Ending twice: refused, and the shopper reads no second closing message.
    await riley.send({"type": "close", "conversation": conversation})
    assert (await riley.expect("error", conversation=conversation))["code"] == "closed"
    await riley.close()
    await shopper.close()


async def test_the_operator_is_told_when_the_shopper_leaves_and_comes_back(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 60, "pool_window": 60, "grace": 60})
    await open_store(server)
    alex = await available(ALEX, server)
    shopper, welcome = await visitor(server.ws_url, server.url)
    await shopper.send({"type": "message", "client_id": "l1", "body": "Is it still there?"})
    conversation = (await shopper.expect_keeping("ack"))["conversation"]
    await alex.expect("ring", conversation=conversation)
    await alex.send({"type": "accept", "conversation": conversation})
    await alex.expect("conversation", id=conversation, state="connected")

    await shopper.close()
    gone = await alex.expect("shopper", conversation=conversation)
    left_at = server.clock.now()
    assert gone["present"] is False
    until = datetime.fromisoformat(gone["until"])
    assert timedelta(seconds=59) <= until - left_at <= timedelta(seconds=60)
    # A console opened now (a reload) hears it too, right after its welcome.
    again, welcome_again = await console(server.url, ALEX)
    assert [c["id"] for c in welcome_again["conversations"]] == [conversation]
    assert (await again.expect("shopper", conversation=conversation))["until"] == gone["until"]
    await again.close()

    back, _ = await visitor(
        server.ws_url, server.url, token=welcome["visitor"], conversation=conversation
    )
    returned = await alex.expect("shopper", conversation=conversation)
    assert (returned["present"], returned["until"]) == (True, None)

    await back.close()
    await alex.expect("shopper", conversation=conversation, present=False)
    await server.advance(61)
    closed = await alex.expect("conversation", id=conversation, state="closed")
    assert closed["outcome"] == "up"
    await alex.close()


async def test_a_chat_goes_back_to_the_store_only_while_its_department_is_open(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 20, "pool_window": 600})
    await server.admin(
        "set-hours",
        "--dealership",
        "demo-motors",
        "--department",
        "sales",
        "--hours",
        CLOSED_NEARLY_ALWAYS,
    )
    riley, shopper, conversation = await pool_chat(server, "Is anyone in sales around?")
    await shopper.send(
        {"type": "message", "client_id": "s2", "body": "I'm Dana, write to dana@example.com"}
    )
    await riley.expect("message", seq=2)
    # The receptionist's context: the department, when it opens, and what the shopper typed.
    cookie = await sign_in_cookie(server.url, RILEY)
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": cookie}) as http:
        context = (await http.get(f"/console/api/conversations/{conversation}")).json()
    assert context["department"] == "sales" and isinstance(context["visitor_id"], int)
    sales = context["department_hours"]
    assert sales["open_now"] is False and sales["opens_next"]["text"].startswith("Sales opens")
    assert context["dealership"]["departments"]["sales"]["opens_next"] == sales["opens_next"]
    # "I'm Dana" is not read as a name (too often "I'm interested"): the address is.
    assert context["proposed_contact"] == {
        "name": "",
        "phone": "",
        "phone_display": "",
        "email": "dana@example.com",
    }

    await riley.send({"type": "transfer", "conversation": conversation, "to": None})
    refused = await riley.expect("error", conversation=conversation)
    assert refused["code"] == "not_allowed"
    assert refused["message"] == f"Closed now — {sales['opens_next']['text']}"
    assert (await conversation_row(server, conversation)).state == "connected"

    # Ending it without the form: the address the shopper typed goes with the lead.
    await riley.send({"type": "close", "conversation": conversation})
    ended = await riley.expect("chat_ended", conversation=conversation)
    assert ended["used_typed_contact"] is True and ended["lead"] is not None
    await eventually(lambda: leads(server), what="the pool lead")
    [lead] = await leads(server)
    assert (lead.email, lead.phone) == ("dana@example.com", "")
    await riley.close()
    await shopper.close()
