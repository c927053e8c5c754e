"""Storing the contact details a shopper (or an operator for them) gave in a conversation.

Both sockets' ``contact`` frames (the console's contact form posts one) and the visitor's
``context`` identify go through here, and through chat_server/contact_details.py, the one
validation of contact details: a field that cannot be used raises ``ContactError`` naming
it (the sockets answer ``bad_field``), and nothing is stored.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.chats.ladder_shell import Mutation, advance
from chat_server.contact_details import (
    region_for,
    valid_email,
    valid_name,
    valid_phone,
    validate_contact,
)
from chat_server.ladder.types import ContactGiven
from chat_server.protocol.incoming import ContactDetails, Context
from chat_server.runtime import Runtime
from chat_server.store.models import Conversation, Dealership, Visitor


def save_contact(contact: ContactDetails) -> Mutation:
    """A ladder-step mutation that validates ``contact`` and stores it on the conversation
    and the shopper.

    It runs first in the step's transaction, so the lead the step may create carries it. The
    phone is read in the conversation's dealership's region; a bad field raises
    ``ContactError`` naming it before anything is written, and the step rolls back whole.
    """

    async def save(session: AsyncSession, conversation: Conversation) -> None:
        # Already loaded by the step (the session's identity map): no extra query.
        dealership = await session.get_one(Dealership, conversation.dealership_id)
        valid = validate_contact(
            name=contact.name,
            phone=contact.phone,
            email=contact.email,
            region=region_for(dealership.country),
        )
        conversation.contact = {
            "name": valid.name,
            "phone": valid.phone,
            "email": valid.email,
            "preferred_time": contact.preferred_time,
            "consent": contact.consent,
            "honeypot": contact.honeypot,
            "trade_in": contact.trade_in,
        }
        visitor = await session.get_one(Visitor, conversation.visitor_id)
        visitor.name = valid.name or visitor.name
        visitor.email = valid.email or visitor.email
        visitor.phone = valid.phone or visitor.phone

    return save


def checked_identity(context: Context, country: str | None) -> Context:
    """The ``context`` frame with its shopper's name, e-mail and phone validated like a
    ``contact`` frame's (none of them is required here); ``ContactError`` naming
    ``visitor.email`` or ``visitor.phone`` otherwise."""
    return Context(
        vehicle=context.vehicle,
        name=valid_name(context.name, "visitor.name"),
        email=valid_email(context.email, "visitor.email"),
        phone=valid_phone(context.phone, region_for(country), "visitor.phone"),
    )


async def give_contact(rt: Runtime, conversation_id: str, contact: ContactDetails) -> None:
    """Validate and store ``contact`` and tell the conversation's ladder (lead capture may
    end with it). ``ContactError`` for a bad field, ``IllegalTransition`` once it closed."""
    save = save_contact(contact)
    await advance(rt, conversation_id, lambda now, _r: ContactGiven(now), mutate=save)
