"""Bad input never loses a message, and never leaves a lead nobody can call back.

Any text the JSON layer accepts is either stored (lone surrogates and NUL, which no database
here can hold, as U+FFFD: the same on SQLite and PostgreSQL) or refused with an error frame
naming the problem, and the socket answers the next frame. Contact details are validated
once (chat_server/contact_details.py) wherever they come in: a bad one is ``bad_field`` naming
the field, nothing of it is stored, and no lead goes to the CRM without an e-mail or a phone
(but a pool lead, whose ADF says no contact was given).

In-process servers on the test's backend (both passes run these): a fake clock walks the
ladder's windows in an instant.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import select
from websockets.asyncio.client import connect

from chat_server.store.models import Conversation, Lead, LeadDelivery, Message, Visitor
from tests.support.clients import FrameClient, console, new_client_id, visitor
from tests.support.inprocess import InProcessServer

Serve = Callable[..., Awaitable[InProcessServer]]
ALEX = "alex@demo-motors.test"
RILEY = "riley@nightowl-bdc.test"
# Long enough to walk any ladder window of the demo dealership (store, pool, lead capture).
PAST_EVERY_WINDOW_S = 600
CLUSTER_10K = "e" + "\u0301" * 9_999  # one grapheme cluster of 10,000 code points


async def stored_bodies(server: InProcessServer, conversation: str) -> list[str]:
    async with server.runtime.db.sessions() as session:
        rows = await session.scalars(
            select(Message.body)
            .where(Message.conversation_id == conversation)
            .order_by(Message.seq)
        )
        return list(rows)


async def conversation_row(server: InProcessServer, conversation: str) -> Conversation:
    async with server.runtime.db.sessions() as session:
        return await session.get_one(Conversation, conversation)


async def visitor_row(server: InProcessServer, conversation: str) -> Visitor:
    async with server.runtime.db.sessions() as session:
        row = await session.get_one(Conversation, conversation)
        return await session.get_one(Visitor, row.visitor_id)


async def leads_and_deliveries(
    server: InProcessServer, conversation: str
) -> tuple[list[Lead], list[LeadDelivery]]:
    async with server.runtime.db.sessions() as session:
        leads = list(
            await session.scalars(select(Lead).where(Lead.conversation_id == conversation))
        )
        deliveries = list(
            await session.scalars(
                select(LeadDelivery).where(LeadDelivery.lead_id.in_([lead.id for lead in leads]))
            )
        )
        return leads, deliveries


async def answered(client: FrameClient, sent: str, kind: str = "ack") -> dict[str, Any]:
    """The socket still answers: a fresh message is acked."""
    client_id = new_client_id()
    await client.send({"type": "message", "client_id": client_id, "body": sent})
    return await client.expect_keeping(kind, client_id=client_id)


async def bad_field(client: FrameClient, frame: dict[str, Any]) -> dict[str, Any]:
    await client.send(frame)
    error = await client.expect("error")
    assert error["code"] == "bad_field", (frame, error)
    assert error["message"], error
    return error


async def test_unstorable_text_is_stored_as_replacement_characters(serve_inprocess: Serve) -> None:
    server = await serve_inprocess()
    shopper, _ = await visitor(server.ws_url, server.url)
    sent_and_stored = [
        ("\ud800", "\ufffd"),  # the message: no ack, a 1006 close, the message gone
        ("before \ud800 after", "before \ufffd after"),
        ("a\x00b", "a\ufffdb"),  # PostgreSQL text cannot hold NUL
        ("\udc00\ud800", "\ufffd\ufffd"),  # a surrogate pair in the wrong order is two lone ones
        ("\ud83d\ude97 ok", "\U0001f697 ok"),  # an escaped pair in the right order is one emoji
        ("\ufdd0\uffff", "\ufdd0\uffff"),  # non-characters are valid Unicode: stored as sent
        ("\x01\x1f tabs\tand\nlines", "\x01\x1f tabs\tand\nlines"),  # other controls: as sent
    ]
    conversation = None
    for sent, _stored in sent_and_stored:
        ack = await answered(shopper, sent)
        conversation = ack["conversation"]
    assert conversation is not None
    assert await stored_bodies(server, conversation) == [s for _, s in sent_and_stored]
    # Two client ids that would become one once made storable are refused, not merged:
    # the second would otherwise be acked as a resend of the first and never stored.
    for client_id in ("id-\ud800", "id-\x00"):
        error = await bad_field(shopper, {"type": "message", "client_id": client_id, "body": "x"})
        assert error["field"] == "client_id"
    await answered(shopper, "still here")
    await shopper.close()


async def test_hello_context_and_contact_fields_are_made_storable(serve_inprocess: Serve) -> None:
    server = await serve_inprocess()
    socket = await connect(f"{server.ws_url}/ws/visitor?site=demo-motors-site", origin=server.url)  # type: ignore[arg-type]
    shopper = FrameClient(socket)
    page = {"url": f"{server.url}/\ud800", "title": "RAV4\x00 \udfff", "ref\ud800": "x"}
    vehicle = {"make": "Toyota\x00", "model": "RAV4 \ud800"}
    await shopper.send(
        {"type": "hello", "visitor": None, "conversation": None, "last_seq": 0, "page": page,
         "vehicle": vehicle}
    )  # fmt: skip
    await shopper.expect("welcome")
    conversation = (await answered(shopper, "hello"))["conversation"]
    await shopper.send(
        {"type": "contact", "name": "Kim\x00 \ud800Nodot", "email": "kim@example.com",
         "preferred_time": "evening", "consent": True}
    )  # fmt: skip
    await shopper.expect_keeping("contact_saved")
    row = await conversation_row(server, conversation)
    assert row.page == {
        "url": f"{server.url}/\ufffd",
        "title": "RAV4\ufffd \ufffd",
        "ref\ufffd": "x",
    }
    assert row.vehicle == {"make": "Toyota\ufffd", "model": "RAV4 \ufffd"}
    assert row.contact is not None and row.contact["name"] == "Kim\ufffd \ufffdNodot"
    await shopper.close()


async def test_a_huge_grapheme_cluster_gets_a_clear_error_and_the_socket_goes_on(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess()
    shopper, _ = await visitor(server.ws_url, server.url)
    client_id = new_client_id()
    await shopper.send({"type": "message", "client_id": client_id, "body": CLUSTER_10K})
    error = await shopper.expect("error")
    assert error["code"] == "too_long" and "4000" in error["message"], error
    assert error["field"] == "body"
    # A cluster within the limit is stored whole, combining marks and all.
    within = "e" + "\u0301" * 3_999
    conversation = (await answered(shopper, within))["conversation"]
    assert await stored_bodies(server, conversation) == [within]
    # Contact fields have limits of their own, named the same way.
    error = await bad_field(
        shopper, {"type": "contact", "name": CLUSTER_10K, "phone": "3125550100"}
    )
    assert error["field"] == "name"
    await answered(shopper, "still here")
    await shopper.close()


# --- contact details --------------------------------------------------------------------

KIM_NO_DOT = {"name": "Kim Nodot", "email": "kim.nodot@example"}  # the lead
JUNK_PHONE = {"name": "Kim Nodot", "phone": "555-CALL-NOW-12345", "email": "kim@example.com"}


async def refused_contacts(client: FrameClient, conversation: str | None = None) -> None:
    """Both of the issue's bad contacts get ``bad_field`` naming the field; the socket goes on."""
    where = {"conversation": conversation} if conversation else {}
    error = await bad_field(client, {"type": "contact", **where, **KIM_NO_DOT})
    assert error["field"] == "email" and "e-mail" in error["message"]
    error = await bad_field(client, {"type": "contact", **where, **JUNK_PHONE})
    assert error["field"] == "phone" and "phone" in error["message"]


async def nothing_saved(server: InProcessServer, conversation: str) -> None:
    row = await conversation_row(server, conversation)
    assert row.contact is None
    person = await visitor_row(server, conversation)
    assert (person.name or "", person.email or "", person.phone or "") == ("", "", "")


async def test_visitor_socket_refuses_bad_contacts_and_no_lead_is_made(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess()
    kim, _ = await visitor(server.ws_url, server.url)
    kim_chat = (await answered(kim, "Is the RAV4 still there?"))["conversation"]
    dana, _ = await visitor(server.ws_url, server.url)
    dana_chat = (await answered(dana, "Is the Tacoma still there?"))["conversation"]
    await server.advance(PAST_EVERY_WINDOW_S / 10)  # nobody answers: lead capture
    await kim.expect("status", state="lead_capture")
    await dana.expect("status", state="lead_capture")

    await refused_contacts(kim)
    error = await bad_field(kim, {"type": "context", "visitor": {"email": "kim.nodot@example"}})
    assert error["field"] == "visitor.email"
    error = await bad_field(kim, {"type": "context", "visitor": {"phone": "555-CALL-NOW-12345"}})
    assert error["field"] == "visitor.phone"
    await answered(kim, "hello?")
    await nothing_saved(server, kim_chat)

    # A good contact in the same place: stored in E.164, and it makes the lead.
    await dana.send(
        {"type": "contact", "name": "Dana", "phone": "(312) 555-0100", "email": "Dana@Example.COM"}
    )
    await dana.expect_keeping("contact_saved")
    await server.advance(PAST_EVERY_WINDOW_S)
    await kim.expect("status", state="closed")
    assert (await conversation_row(server, kim_chat)).outcome == "missed"
    assert await leads_and_deliveries(server, kim_chat) == ([], [])
    [lead], deliveries = await leads_and_deliveries(server, dana_chat)
    assert (lead.phone, lead.email) == ("+13125550100", "Dana@example.com")
    assert deliveries and all("+13125550100" in d.body for d in deliveries)
    # The identify path (no reply of its own) stores E.164 too; the next ack follows it.
    await dana.send({"type": "context", "visitor": {"phone": "312.555.0199"}})
    await answered(dana, "thanks")
    assert (await visitor_row(server, dana_chat)).phone == "+13125550199"
    await kim.close()
    await dana.close()


async def _accepted(server: InProcessServer, email: str) -> tuple[FrameClient, FrameClient, str]:
    operator, _ = await console(server.url, email)
    await operator.send({"type": "presence", "status": "available"})
    await operator.expect("presence", status="available")
    shopper, _ = await visitor(server.ws_url, server.url)
    conversation = (await answered(shopper, "Can someone call me?"))["conversation"]
    if email == RILEY:  # the store window passes with nobody there: the pool rings
        await server.advance(21)  # the store window (20 s) is over; the pool window (25 s) not
    await operator.expect("ring", conversation=conversation)
    await operator.send({"type": "accept", "conversation": conversation})
    await operator.expect("conversation", id=conversation, state="connected")
    return operator, shopper, conversation


async def test_console_socket_refuses_bad_contacts_and_no_store_lead_is_made(
    serve_inprocess: Serve,
) -> None:
    """The console's contact form posts a ``contact`` frame on this socket."""
    server = await serve_inprocess()
    await server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    await server.admin("set-crm", "--dealership", "demo-motors", "--log-ups")
    alex, shopper, conversation = await _accepted(server, ALEX)
    await refused_contacts(alex, conversation)
    await nothing_saved(server, conversation)
    await alex.send({"type": "close", "conversation": conversation})
    await alex.expect("conversation", id=conversation, state="closed")
    assert (await conversation_row(server, conversation)).outcome == "up"
    # Ups are logged to this CRM, but this one left no way to reach the shopper.
    assert await leads_and_deliveries(server, conversation) == ([], [])
    await alex.close()
    await shopper.close()


async def test_a_pool_chat_without_contact_sends_no_lead(serve_inprocess: Serve) -> None:
    """A lead never goes out empty (issue 15): refused details are not stored, and a pool chat
    ended with no way to reach the shopper yields no lead and sends nothing to the CRM."""
    server = await serve_inprocess()
    await server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    riley, shopper, conversation = await _accepted(server, RILEY)
    await refused_contacts(riley, conversation)
    await nothing_saved(server, conversation)
    await riley.send({"type": "close", "conversation": conversation})
    await riley.expect("conversation", id=conversation, state="closed")
    assert await leads_and_deliveries(server, conversation) == ([], [])
    await riley.close()
    await shopper.close()


async def test_the_api_lists_no_lead_nobody_can_call_back(serve_inprocess: Serve) -> None:
    """The REST API takes no contact details; what it hands a dealer's systems is leads. A
    chat whose contacts were refused is not one of them; a valid one is, in E.164."""
    server = await serve_inprocess()
    token = (
        await server.admin("create-api-token", "--dealership", "demo-motors", "--name", "crm")
    ).strip()
    kim, _ = await visitor(server.ws_url, server.url)
    kim_chat = (await answered(kim, "Price of the RAV4?"))["conversation"]
    dana, _ = await visitor(server.ws_url, server.url)
    dana_chat = (await answered(dana, "Price of the Tacoma?"))["conversation"]
    await server.advance(PAST_EVERY_WINDOW_S / 10)
    await kim.expect("status", state="lead_capture")
    await dana.expect("status", state="lead_capture")
    await refused_contacts(kim)
    await dana.send({"type": "contact", "name": "Dana", "phone": "(312) 555-0100"})
    await dana.expect_keeping("contact_saved")
    await server.advance(PAST_EVERY_WINDOW_S)
    await kim.expect("status", state="closed")
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/api/v1/leads", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    listed = response.json()["leads"]
    assert [lead["phone"] for lead in listed] == ["+13125550100"], json.dumps(listed)[:500]
    assert kim_chat not in json.dumps(listed) and dana_chat
    await kim.close()
    await dana.close()
