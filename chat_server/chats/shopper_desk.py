"""What the shopper's socket asks of the store, one function per request.

The socket (``transport/visitor_socket.py``) parses a frame, calls one of these and sends what it
returns; every read and write of the shopper's rows and their conversation happens here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from chat_server.chats.ladder_shell import advance
from chat_server.chats.visitors import ensure_visitor, pick_conversation, recognise_visitor
from chat_server.ladder.types import Roster, ShopperWrote
from chat_server.runtime import Runtime
from chat_server.store.models import Conversation, Dealership, Operator, Visitor
from chat_server.store.records import StoredMessage
from chat_server.store.transcripts import messages_after


@dataclass(frozen=True)
class Recognised:
    """A returning shopper as the hello found them.

    ``visitor_id`` is None while the shopper has no row yet (their token was minted but they
    never said anything); ``token`` is theirs, or a new one when theirs was not minted here.
    """

    visitor_id: int | None
    token: str
    conversation_id: str | None


@dataclass(frozen=True)
class ConversationView:
    """A conversation as a reconnecting socket shows it: its state, who is answering, and
    the messages after the ones the client already has."""

    state: str
    agent_name: str | None
    messages: list[StoredMessage]
    version: int  # the row version the state was read at (see status_frame)
    last_seq: int  # the conversation's last message when it was read


async def recognise(
    rt: Runtime, dealership_id: int, token: str, conversation_hint: str | None
) -> Recognised:
    """The shopper behind ``token`` and the conversation to show them (one read; a write only
    to refresh an old ``last_seen_at``)."""
    async with rt.db.sessions() as session, session.begin():
        visitor_id, token = await recognise_visitor(
            session, dealership_id, token, rt.settings.secret_key, rt.clock.now()
        )
        conversation = None
        if visitor_id is not None:
            conversation = await pick_conversation(session, visitor_id, conversation_hint)
    return Recognised(visitor_id, token, conversation.id if conversation is not None else None)


async def conversation_view(rt: Runtime, conversation_id: str, after_seq: int) -> ConversationView:
    """The conversation's state, agent and the messages after ``after_seq``, read together."""
    async with rt.db.sessions() as session:
        current = await session.get_one(Conversation, conversation_id)
        stored = await messages_after(session, conversation_id, after_seq)
        agent_name = None
        if current.owner_id is not None:
            name = await session.scalar(
                select(Operator.name).where(Operator.id == current.owner_id)
            )
            agent_name = name or ""
    return ConversationView(current.state, agent_name, stored, current.version, current.last_seq)


async def shopper_row(rt: Runtime, dealership_id: int, token: str) -> int:
    """The shopper's row id, inserted now if this is the first thing that needs it."""
    async with rt.db.sessions() as session, session.begin():
        return await ensure_visitor(session, dealership_id, token, rt.clock.now())


async def update_context(
    rt: Runtime,
    *,
    dealership_id: int,
    token: str,
    visitor_id: int | None,
    open_conversation: str | None,
    vehicle: dict[str, Any] | None,
    name: str | None,
    email: str | None,
    phone: str | None,
) -> int | None:
    """Store what the page said about the shopper (``setContext`` / ``identify``).

    The open conversation learns the vehicle; the shopper's row learns who they are (and is
    inserted for that if it did not exist). Returns the shopper's row id, if they have one.
    The values are already validated (``chats/contact_saving.py::checked_identity``).
    """
    identifies = bool(name or email or phone)
    async with rt.db.sessions() as session, session.begin():
        if vehicle is not None and open_conversation is not None:
            # A plain UPDATE: it must not race the ladder's versioned writes.
            await session.execute(
                update(Conversation)
                .where(Conversation.id == open_conversation)
                .values(vehicle=vehicle)
            )
        if identifies:
            if visitor_id is None:  # identify before any message: the row is due now
                visitor_id = await ensure_visitor(session, dealership_id, token, rt.clock.now())
            visitor = await session.get_one(Visitor, visitor_id)
            visitor.name = name or visitor.name
            visitor.email = email or visitor.email
            visitor.phone = phone or visitor.phone
    return visitor_id


async def wrote_after_details(rt: Runtime, conversation_id: str) -> None:
    """The shopper wrote in their ``captured`` chat (details left, nobody answered yet): the
    ladder rings again in the same conversation, and the lead is resent when it closes."""

    def wrote(now: datetime, roster: Roster | None) -> ShopperWrote:
        assert roster is not None  # with_roster below
        return ShopperWrote(now, roster)

    await advance(rt, conversation_id, wrote, with_roster=True)


async def dealership_phone(rt: Runtime, dealership_id: int) -> str:
    """The dealership's phone as stored (E.164 or as typed), "" when it has none: the demo
    page's header shows it (transport/site_routes.py)."""
    async with rt.db.sessions() as session:
        phone = await session.scalar(select(Dealership.phone).where(Dealership.id == dealership_id))
    return str(phone or "").strip()
