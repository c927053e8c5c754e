"""Storing the contact details a shopper (or an operator for them) gave in a conversation."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.chats.ladder_shell import Mutation
from chat_server.store.models import Conversation, Visitor
from chat_server.transport.protocol import ContactDetails


def save_contact(contact: ContactDetails) -> Mutation:
    """A ladder-step mutation that stores ``contact`` on the conversation and the shopper.

    It runs inside the step's transaction, so the lead the step may create carries it.
    """
    details = {
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "preferred_time": contact.preferred_time,
        "consent": contact.consent,
        "honeypot": contact.honeypot,
        "trade_in": contact.trade_in,
    }

    async def save(session: AsyncSession, conversation: Conversation) -> None:
        conversation.contact = details
        visitor = await session.get_one(Visitor, conversation.visitor_id)
        visitor.name = contact.name or visitor.name
        visitor.email = contact.email or visitor.email
        visitor.phone = contact.phone or visitor.phone

    return save
