"""The console socket and the ladder on a real server: rings, the accept race, pool, leads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import select
from websockets.asyncio.client import connect

from chat_server.store.database import open_database
from chat_server.store.models import Conversation, Lead
from tests.support.clients import FrameClient, console, new_client_id, sign_in_cookie, visitor
from tests.support.server_process import ServerProcess

ALEX = "alex@demo-motors.test"
SAM = "sam@demo-motors.test"
RILEY = "riley@nightowl-bdc.test"


async def available(email: str, server: ServerProcess) -> FrameClient:
    client, welcome = await console(server.url, email)
    assert welcome["operator"]["name"]
    await client.send({"type": "presence", "status": "available"})
    await client.expect("presence", status="available")
    return client


async def shopper_says(server: ServerProcess, body: str) -> tuple[FrameClient, str]:
    shopper, _ = await visitor(server.ws_url, server.url)
    await shopper.send({"type": "message", "client_id": new_client_id(), "body": body})
    ack = await shopper.expect_keeping("ack")
    return shopper, ack["conversation"]


async def unanswered_chat(
    start_server: Callable[..., ServerProcess], body: str
) -> tuple[ServerProcess, FrameClient, str]:
    """A shopper whose chat nobody answers, waiting at lead capture (half-second windows)."""
    server = start_server({"store_window": 0.5, "pool_window": 0.5})
    open_store(server)
    shopper, conversation = await shopper_says(server, body)
    await shopper.expect("status", state="lead_capture", timeout=6)
    return server, shopper, conversation


async def conversation_row(server: ServerProcess, conversation_id: str) -> Conversation:
    async with open_database(server.database_url) as db, db.sessions() as session:
        return await session.get_one(Conversation, conversation_id)


async def leads_of(server: ServerProcess, conversation_id: str) -> list[Lead]:
    async with open_database(server.database_url) as db, db.sessions() as session:
        return list(
            await session.scalars(select(Lead).where(Lead.conversation_id == conversation_id))
        )


def open_store(server: ServerProcess) -> None:
    server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )


async def test_up_ring_accept_chat_close(start_server: Callable[..., ServerProcess]) -> None:
    server = start_server({"store_window": 30, "pool_window": 30})
    open_store(server)
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
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server({"store_window": 60, "pool_window": 60})
    open_store(server)
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
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server({"store_window": 1, "pool_window": 30})
    open_store(server)
    alex = await available(ALEX, server)
    riley = await available(RILEY, server)
    shopper, conversation = await shopper_says(server, "Anyone there?")
    await alex.expect("ring", conversation=conversation, quiet=False)
    pool_ring = await riley.expect("ring", conversation=conversation, timeout=5)
    assert pool_ring["tier"] == "pool"
    await shopper.expect("status", state="ringing_pool")
    # The store may still claim while the pool rings: Alex's ring continues, quietly.
    await alex.expect("ring", conversation=conversation, quiet=True)

    await riley.send({"type": "accept", "conversation": conversation})
    await riley.expect("conversation", id=conversation, state="connected")
    cancelled = await alex.expect("ring_cancelled", conversation=conversation)
    assert cancelled["reason"] == "taken"
    await shopper.expect("status", state="connected")
    await riley.send(
        {"type": "message", "conversation": conversation, "client_id": "r1", "body": "Hi!"}
    )
    assert (await shopper.expect("message", seq=2))["author"]["kind"] == "receptionist"
    await riley.send({"type": "close", "conversation": conversation})
    await riley.expect("conversation", id=conversation, state="closed")
    row = await conversation_row(server, conversation)
    assert row.outcome == "pool"
    leads = await leads_of(server, conversation)
    assert [lead.service for lead in leads] == ["pool"]
    for client in (alex, riley, shopper):
        await client.close()


async def test_nobody_answers_contact_form_makes_a_missed_lead(
    start_server: Callable[..., ServerProcess],
) -> None:
    server, shopper, conversation = await unanswered_chat(start_server, "Hello?")
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
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server({"store_window": 30, "pool_window": 30})
    open_store(server)
    server.admin(
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
    server.admin(
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
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server({"store_window": 60, "pool_window": 60, "grace": 1.5})
    open_store(server)
    alex = await available(ALEX, server)
    shopper, welcome_token = await visitor(server.ws_url, server.url)
    await shopper.send({"type": "message", "client_id": "g1", "body": "still there?"})
    conversation = (await shopper.expect_keeping("ack"))["conversation"]
    await alex.expect("ring", conversation=conversation)
    token = welcome_token["visitor"]

    # Gone and back within the grace period: same conversation, still ringing.
    await shopper.close()
    await asyncio.sleep(0.5)
    back, welcome = await visitor(server.ws_url, server.url, token=token)
    assert welcome["conversation"] == conversation and welcome["state"] == "ringing_store"
    # Tabs that reconnect at once, again and again, never leave the shopper marked as gone.
    for _ in range(5):
        await back.close()
        back, _ = await visitor(server.ws_url, server.url, token=token)
    await asyncio.sleep(2)
    row = await conversation_row(server, conversation)
    assert row.state == "ringing_store" and row.ladder.get("away_since") is None

    # Gone for longer than the grace period: the ring stops, the chat is abandoned.
    await back.close()
    cancelled = await alex.expect("ring_cancelled", conversation=conversation, timeout=5)
    assert cancelled["reason"] == "left"
    row = await conversation_row(server, conversation)
    assert (row.state, row.outcome) == ("closed", "abandoned")
    await alex.close()


async def test_a_receptionist_hands_the_chat_back_to_the_store_warmly(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server({"store_window": 1, "pool_window": 60})
    open_store(server)
    riley = await available(RILEY, server)
    shopper, conversation = await shopper_says(server, "I'd like to talk to a salesperson")
    await riley.expect("ring", conversation=conversation, timeout=5)
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
    start_server: Callable[..., ServerProcess],
) -> None:
    server, shopper, conversation = await unanswered_chat(start_server, "Best price on the RAV4?")
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
