"""The console socket and the ladder on a server: rings, the accept race, pool, leads.

The server runs in the test's event loop on a clock the test moves (tests/support/inprocess.py):
ladder windows have their real lengths and pass when the test says so, not in real time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from websockets.asyncio.client import connect

from chat_server.store.database import open_database
from chat_server.store.models import Conversation, Lead
from tests.support.clients import FrameClient, console, new_client_id, sign_in_cookie, visitor
from tests.support.inprocess import InProcessServer
from tests.support.waits import eventually

ALEX = "alex@demo-motors.test"
SAM = "sam@demo-motors.test"
RILEY = "riley@nightowl-bdc.test"

Serve = Callable[..., Awaitable[InProcessServer]]


async def available(email: str, server: InProcessServer) -> FrameClient:
    client, welcome = await console(server.url, email)
    assert welcome["operator"]["name"]
    await client.send({"type": "presence", "status": "available"})
    await client.expect("presence", status="available")
    return client


async def shopper_says(server: InProcessServer, body: str) -> tuple[FrameClient, str]:
    shopper, _ = await visitor(server.ws_url, server.url)
    await shopper.send({"type": "message", "client_id": new_client_id(), "body": body})
    ack = await shopper.expect_keeping("ack")
    return shopper, ack["conversation"]


async def unanswered_chat(
    serve_inprocess: Serve, body: str
) -> tuple[InProcessServer, FrameClient, str]:
    """A shopper whose chat nobody answers, waiting at lead capture once both windows pass."""
    server = await serve_inprocess({"store_window": 20, "pool_window": 25})
    await open_store(server)
    shopper, conversation = await shopper_says(server, body)
    await server.advance(45)
    await shopper.expect("status", state="lead_capture")
    return server, shopper, conversation


async def conversation_row(server: InProcessServer, conversation_id: str) -> Conversation:
    async with open_database(server.database_url) as db, db.sessions() as session:
        return await session.get_one(Conversation, conversation_id)


async def leads_of(server: InProcessServer, conversation_id: str) -> list[Lead]:
    async with open_database(server.database_url) as db, db.sessions() as session:
        return list(
            await session.scalars(select(Lead).where(Lead.conversation_id == conversation_id))
        )


async def open_store(server: InProcessServer) -> None:
    await server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )


async def test_up_ring_accept_chat_close(serve_inprocess: Serve) -> None:
    server = await serve_inprocess({"store_window": 30, "pool_window": 30})
    await open_store(server)
    alex = await available(ALEX, server)
    shopper, conversation = await shopper_says(server, "Do you have the RAV4 in blue?")
    await shopper.expect("status", state="ringing_store")
    ring = await alex.expect("ring", conversation=conversation)
    assert ring["first_words"] == "Do you have the RAV4 in blue?"
    assert ring["dealership"]["name"] == "Demo Motors" and ring["quiet"] is False

    await alex.send({"type": "accept", "conversation": conversation})
    owned = await alex.expect("conversation", id=conversation)
    assert owned["state"] == "connected" and owned["owner"]["name"] == "Alex Rivera"
    assert [m["body"] for m in owned["messages"]] == ["Do you have the RAV4 in blue?"]
    status = await shopper.expect("status", state="connected")
    assert status["agent"] == {"name": "Alex Rivera"}

    await alex.send(
        {"type": "message", "conversation": conversation, "client_id": "a1", "body": "We do!"}
    )
    assert (await alex.expect_keeping("ack", client_id="a1"))["seq"] == 2
    reply = await shopper.expect("message", seq=2)
    assert reply["author"] == {"kind": "staff", "name": "Alex Rivera"}
    await shopper.send({"type": "message", "client_id": "s2", "body": "Great, can I test drive?"})
    heard = await alex.expect("message", seq=3)
    assert heard["body"] == "Great, can I test drive?"

    await alex.send({"type": "close", "conversation": conversation})
    closed = await alex.expect("conversation", id=conversation, state="closed")
    assert closed["outcome"] == "up"
    await shopper.expect("status", state="closed")
    row = await conversation_row(server, conversation)
    assert row.outcome == "up" and row.first_human_reply_at is not None
    assert row.accepted_at is not None and row.store_rung_at is not None
    assert await leads_of(server, conversation) == []
    for client in (alex, shopper):
        await client.close()


async def test_two_salespeople_accepting_at_once_exactly_one_wins(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 60, "pool_window": 60})
    await open_store(server)
    alex = await available(ALEX, server)
    sam = await available(SAM, server)
    for round_ in range(5):
        shopper, conversation = await shopper_says(server, f"race {round_}")
        await alex.expect("ring", conversation=conversation)
        await sam.expect("ring", conversation=conversation)
        await asyncio.gather(
            alex.send({"type": "accept", "conversation": conversation}),
            sam.send({"type": "accept", "conversation": conversation}),
        )

        async def verdict(client: FrameClient, conversation: str = conversation) -> str:
            while True:
                frame = await client.recv()
                if frame["type"] == "conversation" and frame["id"] == conversation:
                    return "won"
                if frame["type"] == "error" and frame.get("conversation") == conversation:
                    assert frame["code"] == "taken", frame
                    return "lost"

        results = await asyncio.gather(verdict(alex), verdict(sam))
        assert sorted(results) == ["lost", "won"], results
        row = await conversation_row(server, conversation)
        assert row.state == "connected" and row.owner_id is not None
        winner = alex if results[0] == "won" else sam
        await winner.send({"type": "close", "conversation": conversation})
        await winner.expect("conversation", id=conversation, state="closed")
        await shopper.close()
    await alex.close()
    await sam.close()


async def test_store_window_passes_to_the_pool_which_answers_and_makes_a_lead(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 20, "pool_window": 30})
    await open_store(server)
    alex = await available(ALEX, server)
    riley = await available(RILEY, server)
    shopper, conversation = await shopper_says(server, "Anyone there?")
    await alex.expect("ring", conversation=conversation, quiet=False)
    await server.advance(20)  # the store window
    pool_ring = await riley.expect("ring", conversation=conversation)
    assert pool_ring["tier"] == "pool"
    await shopper.expect("status", state="ringing_pool")
    # The store may still claim while the pool rings: Alex's ring continues, quietly.
    await alex.expect("ring", conversation=conversation, quiet=True)

    await riley.send({"type": "accept", "conversation": conversation})
    await riley.expect("conversation", id=conversation, state="connected")
    cancelled = await alex.expect("ring_cancelled", conversation=conversation)
    assert cancelled["reason"] == "taken" and cancelled["taken_by"] == {"name": "Riley Chen"}
    await shopper.expect("status", state="connected")
    await riley.send(
        {"type": "message", "conversation": conversation, "client_id": "r1", "body": "Hi!"}
    )
    assert (await shopper.expect("message", seq=2))["author"]["kind"] == "receptionist"
    # The shopper types their details in the chat; nobody fills the form in.
    await shopper.send(
        {"type": "message", "client_id": "s3", "body": "my name is Dana Shopper, 312 555 0100"}
    )
    await riley.expect("message", seq=3)
    await riley.send({"type": "close", "conversation": conversation})
    closing = await shopper.expect("message", seq=4)
    assert closing["author"]["kind"] == "system"
    assert closing["body"].startswith("Thanks, Dana — we've passed your details to Demo Motors")
    await riley.expect("conversation", id=conversation, state="closed")
    row = await conversation_row(server, conversation)
    assert row.outcome == "pool" and row.contact is not None
    assert (row.contact["name"], row.contact["phone"]) == ("Dana Shopper", "+13125550100")
    leads = await leads_of(server, conversation)
    assert [(lead.service, lead.phone) for lead in leads] == [("pool", "+13125550100")]
    for client in (alex, riley, shopper):
        await client.close()


async def test_nobody_answers_contact_form_makes_a_missed_lead(
    serve_inprocess: Serve,
) -> None:
    server, shopper, conversation = await unanswered_chat(serve_inprocess, "Hello?")
    await shopper.send(
        {
            "type": "contact",
            "name": "Dana Shopper",
            "phone": "+1 312 555 0100",
            "email": "dana@example.com",
            "preferred_time": "evening",
            "consent": True,
        }
    )
    await shopper.expect_keeping("contact_saved")
    # The lead goes out now; the chat stays open (captured) for the capture window.
    await shopper.expect("status", state="captured")
    await server.advance(300)
    await shopper.expect("status", state="closed")
    row = await conversation_row(server, conversation)
    assert row.outcome == "missed"
    assert row.contact is not None and row.contact["honeypot"] == ""
    [lead] = await leads_of(server, conversation)
    assert lead.spam_reason in (None, "")
    assert (lead.service, lead.name, lead.email) == (
        "unanswered",
        "Dana Shopper",
        "dana@example.com",
    )
    await shopper.close()


async def test_foreign_conversation_looks_missing(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 30, "pool_window": 30})
    await open_store(server)
    await server.admin(
        "create-dealership",
        "--slug",
        "other",
        "--name",
        "Other Auto",
        "--time-zone",
        "America/New_York",
        "--origin",
        server.url,
    )
    await server.admin(
        "create-operator",
        "--email",
        "oz@other.test",
        "--name",
        "Oz",
        "--role",
        "salesperson",
        "--dealership",
        "other",
        "--password",
        "other-password",
    )
    shopper, conversation = await shopper_says(server, "private question")
    cookie = await sign_in_cookie(server.url, "oz@other.test", "other-password")
    socket = await connect(
        server.ws_url + "/ws/console", origin=server.url, additional_headers={"Cookie": cookie}
    )
    oz = FrameClient(socket)
    await oz.expect("welcome")
    for action in ("accept", "decline", "close"):
        await oz.send({"type": action, "conversation": conversation})
        assert (await oz.expect("error"))["code"] == "no_conversation"
    await oz.send({"type": "message", "conversation": conversation, "client_id": "x", "body": "hi"})
    assert (await oz.expect("error"))["code"] == "no_conversation"
    await oz.close()
    await shopper.close()


async def test_a_shopper_who_leaves_keeps_their_place_for_the_grace_period(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 600, "pool_window": 600, "grace": 60})
    await open_store(server)
    alex = await available(ALEX, server)
    shopper, welcome_token = await visitor(server.ws_url, server.url)
    await shopper.send({"type": "message", "client_id": "g1", "body": "still there?"})
    conversation = (await shopper.expect_keeping("ack"))["conversation"]
    await alex.expect("ring", conversation=conversation)
    token = welcome_token["visitor"]

    # Gone (the server has started the grace period) and back within it: same
    # conversation, still ringing.
    await shopper.close()
    await eventually(lambda: away_since(server, conversation), what="shopper marked away")
    await server.advance(30)
    back, welcome = await visitor(server.ws_url, server.url, token=token)
    assert welcome["conversation"] == conversation and welcome["state"] == "ringing_store"
    # Tabs that reconnect at once, again and again, never leave the shopper marked as gone.
    for _ in range(5):
        await back.close()
        back, _ = await visitor(server.ws_url, server.url, token=token)
    await eventually(lambda: one_tab_settled(server, conversation), what="one tab, settled")
    await server.advance(61)  # past the grace counted from any of those departures
    row = await conversation_row(server, conversation)
    assert row.state == "ringing_store" and row.ladder.get("away_since") is None

    # Gone for longer than the grace period: the ring stops, the chat is abandoned.
    await back.close()
    await eventually(lambda: away_since(server, conversation), what="shopper marked away")
    await server.advance(59)
    row = await conversation_row(server, conversation)
    assert row.state == "ringing_store", "closed before the grace period ended"
    await server.advance(1)
    cancelled = await alex.expect("ring_cancelled", conversation=conversation)
    assert cancelled["reason"] == "left"
    row = await conversation_row(server, conversation)
    assert (row.state, row.outcome) == ("closed", "abandoned")
    await alex.close()


async def away_since(server: InProcessServer, conversation_id: str) -> str | None:
    """When the server marked the shopper gone (the grace period's start), if it has."""
    row = await conversation_row(server, conversation_id)
    return (row.ladder or {}).get("away_since")


def one_tab_settled(server: InProcessServer, conversation_id: str) -> bool:
    """Exactly one of the shopper's tabs is counted and no arrival or departure is running."""
    sockets = server.runtime.sockets
    lock = sockets.visitor_locks.get(conversation_id)
    return sockets.visitors.get(conversation_id) == 1 and not (lock and lock.locked())


async def test_a_receptionist_hands_the_chat_back_to_the_store_warmly(
    serve_inprocess: Serve,
) -> None:
    server = await serve_inprocess({"store_window": 20, "pool_window": 600})
    await open_store(server)
    riley = await available(RILEY, server)
    shopper, conversation = await shopper_says(server, "I'd like to talk to a salesperson")
    await server.advance(20)  # the store window, if nobody in the store could be rung
    await riley.expect("ring", conversation=conversation)
    await riley.send({"type": "accept", "conversation": conversation})
    await riley.expect("conversation", id=conversation, state="connected")

    # Nobody in the store is online yet: the transfer is refused with a reason.
    await riley.send({"type": "transfer", "conversation": conversation, "to": None})
    refused = await riley.expect("error", conversation=conversation)
    assert refused["code"] == "not_allowed" and "nobody is available" in refused["message"]

    sam = await available(SAM, server)
    await riley.send({"type": "transfer", "conversation": conversation, "to": None})
    await riley.expect("transfer_offered", conversation=conversation)
    offer = await sam.expect("ring", conversation=conversation)
    assert offer["transfer_from"] == {"name": "Riley Chen"} and offer["tier"] == "store"
    # Warm: Riley is still in the chat until Sam accepts.
    await riley.send(
        {"type": "message", "conversation": conversation, "client_id": "r1", "body": "One sec!"}
    )
    await riley.expect_keeping("ack", client_id="r1")
    await sam.send({"type": "accept", "conversation": conversation})
    mine = await sam.expect("conversation", id=conversation, state="connected")
    assert [m["body"] for m in mine["messages"]][-1] == "One sec!"
    handed = await riley.expect("conversation", id=conversation)
    assert handed["owner"]["name"] == "Sam Patel"
    status = await shopper.expect("status", state="connected", agent={"name": "Sam Patel"})
    assert status["conversation"] == conversation

    await riley.send(
        {"type": "message", "conversation": conversation, "client_id": "r2", "body": "still?"}
    )
    assert (await riley.expect("error"))["code"] == "not_allowed"
    await sam.send({"type": "close", "conversation": conversation})
    await sam.expect("conversation", id=conversation, state="closed")
    row = await conversation_row(server, conversation)
    assert (row.outcome, row.owner_tier) == ("up", "store")
    for client in (riley, sam, shopper):
        await client.close()


async def test_a_filled_honeypot_marks_the_lead_as_spam(
    serve_inprocess: Serve,
) -> None:
    server, shopper, conversation = await unanswered_chat(
        serve_inprocess, "Best price on the RAV4?"
    )
    await shopper.send(
        {
            "type": "contact",
            "name": "Bot",
            "email": "bot@example.com",
            "honeypot": "http://spam.example",
            "trade_in": {"year": 2015, "make": "Honda", "model": "Civic"},
        }
    )
    await shopper.expect_keeping("contact_saved")
    [lead] = await leads_of(server, conversation)
    assert lead.spam_reason == "honeypot"
    row = await conversation_row(server, conversation)
    assert row.contact is not None and row.contact["trade_in"]["model"] == "Civic"
    await shopper.close()
