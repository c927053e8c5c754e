"""Storing the contact details a shopper (or an operator for them) gave in a conversation.

Both sockets' ``contact`` frames (the console's contact form posts one) and the visitor's
``context`` identify go through here, and through chat_server/leads/contact.py, the one
validation of contact details: a field that cannot be used is refused as ``bad_field``
naming it, and nothing is stored.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.chats.ladder_shell import Mutation
from chat_server.leads.contact import (
    ContactError,
    region_for,
    valid_email,
    valid_name,
    valid_phone,
    validate_contact,
)
from chat_server.store.models import Conversation, Dealership, Visitor
from chat_server.transport.protocol import ContactDetails, Context, FrameError


def _bad_field(error: ContactError) -> FrameError:
    return FrameError("bad_field", error.message, error.field)


def save_contact(contact: ContactDetails) -> Mutation:
    """A ladder-step mutation that validates ``contact`` and stores it on the conversation
    and the shopper.

    It runs first in the step's transaction, so the lead the step may create carries it. The
    phone is read in the conversation's dealership's region; a bad field raises
    ``FrameError("bad_field")`` before anything is written, and the step rolls back whole.
    """

    async def save(session: AsyncSession, conversation: Conversation) -> None:
        # Already loaded by the step (the session's identity map): no extra query.
        dealership = await session.get_one(Dealership, conversation.dealership_id)
        try:
            valid = validate_contact(
                name=contact.name,
                phone=contact.phone,
                email=contact.email,
                region=region_for(dealership.country),
            )
        except ContactError as error:
            raise _bad_field(error) from None
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
    ``contact`` frame's (none of them is required here); ``FrameError("bad_field")`` naming
    ``visitor.email`` or ``visitor.phone`` otherwise."""
    try:
        return Context(
            vehicle=context.vehicle,
            name=valid_name(context.name, "visitor.name"),
            email=valid_email(context.email, "visitor.email"),
            phone=valid_phone(context.phone, region_for(country), "visitor.phone"),
        )
    except ContactError as error:
        raise _bad_field(error) from None
