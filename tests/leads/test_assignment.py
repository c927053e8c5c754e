"""Assignment on a real server: a logged Up belongs to its salesperson; a pool lead during
sales hours goes round-robin to a salesperson, whose console hears of it at once."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from chat_server.store.database import open_database
from chat_server.store.models import Lead, Operator
from tests.leads.chats import eventually, rows
from tests.support.clients import FrameClient, console, new_client_id, visitor
from tests.support.server_process import ServerProcess

ALEX = "alex@demo-motors.test"
RILEY = "riley@nightowl-bdc.test"


async def available(server: ServerProcess, email: str) -> FrameClient:
    client, _ = await console(server.url, email)
    await client.send({"type": "presence", "status": "available"})
    await client.expect("presence", status="available")
    return client


async def answered_chat(
    server: ServerProcess, operator: FrameClient, contact: dict[str, str] | None = None
) -> str:
    shopper, _ = await visitor(server.ws_url, server.url)
    await shopper.send({"type": "message", "client_id": new_client_id(), "body": "Price?"})
    conversation = (await shopper.expect_keeping("ack"))["conversation"]
    await operator.expect("ring", conversation=conversation, timeout=10)
    await operator.send({"type": "accept", "conversation": conversation})
    await operator.expect("conversation", id=conversation, state="connected")
    if contact is not None:  # the salesperson takes the shopper's details down
        await operator.send({"type": "contact", "conversation": conversation, **contact})
        await operator.expect("contact_saved", conversation=conversation)
    await operator.send({"type": "close", "conversation": conversation})
    await operator.expect("conversation", id=conversation, state="closed")
    await shopper.close()
    return conversation


async def operator_id(server: ServerProcess, email: str) -> int:
    async with open_database(server.database_url) as db, db.sessions() as session:
        return await session.scalar(select(Operator.id).where(Operator.email == email))  # type: ignore[return-value]


async def test_logged_up_and_pool_lead_are_assigned(
    start_server: Callable[..., ServerProcess],
) -> None:
    # A store window long enough to accept on a busy machine: the pool chat below skips the
    # store because nobody there is available, not because the window ran out.
    server = start_server({"store_window": 10, "pool_window": 30})
    server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    alex = await available(server, ALEX)
    up = await answered_chat(server, alex)
    assert await rows(server, Lead) == []  # Ups are not leads unless the dealership says so

    server.admin("set-crm", "--dealership", "demo-motors", "--log-ups")
    second_up = await answered_chat(server, alex, {"name": "Dana", "phone": "(312) 555-0100"})
    [lead] = await rows(server, Lead)
    assert (lead.conversation_id, lead.service) == (second_up, "store")
    assert lead.owner_id == await operator_id(server, ALEX)
    assert up != second_up
    # An Up that left no e-mail and no phone is no lead: a CRM could not call anyone back.
    await answered_chat(server, alex)
    assert [r.conversation_id for r in await rows(server, Lead)] == [second_up]

    # Alex steps away; the receptionist answers: a pool lead, assigned round-robin to the
    # salesperson who has had no lead yet (Sam), notified at once: the store is open.
    await alex.send({"type": "presence", "status": "away"})
    await alex.expect("presence", status="away")
    sam, _ = await console(server.url, "sam@demo-motors.test")
    riley = await available(server, RILEY)
    # (with a way to reach the shopper: a lead never goes out empty, issue 15)
    pool_chat = await answered_chat(server, riley, {"name": "Pat", "phone": "(312) 555-0111"})
    frame = await sam.expect("lead_assigned", timeout=10)
    pool_lead = await eventually(lambda: _lead_of(server, pool_chat))
    assert frame["lead"] == pool_lead.id and pool_lead.service == "pool"
    assert pool_lead.owner_id == await operator_id(server, "sam@demo-motors.test")
    for client in (alex, sam, riley):
        await client.close()


async def _lead_of(server: ServerProcess, conversation: str) -> Lead | None:
    return next((r for r in await rows(server, Lead) if r.conversation_id == conversation), None)
