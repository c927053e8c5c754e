"""What an operator's console socket asks of the store, one function per request.

The socket (``transport/console_socket.py``) parses a frame, authorises the operator with
:func:`target`, calls one of these and sends what it returns. Tenant isolation lives here: a
conversation of a dealership the operator may not answer for looks like a missing one.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from chat_server.accounts.access import answering_tier
from chat_server.accounts.operators import OperatorView, operator_view
from chat_server.chats.closing_words import closing_words
from chat_server.chats.contact_saving import save_contact
from chat_server.chats.context import department_facts
from chat_server.chats.conversations import post_message
from chat_server.chats.ladder_shell import advance
from chat_server.chats.messages import ConversationClosed
from chat_server.chats.notes import note_frame
from chat_server.chats.reachability import reach_now
from chat_server.chats.views import conversation_frame, ring_frame
from chat_server.contact_extraction import typed_contact
from chat_server.delivery.channels import operator_channel
from chat_server.delivery.fanout import encode
from chat_server.ladder import machine
from chat_server.ladder.types import Accept, Close, Decline, Phase, Tier, Transfer
from chat_server.protocol.incoming import ContactDetails
from chat_server.runtime import Runtime
from chat_server.store.models import (
    Conversation,
    ConversationNote,
    Dealership,
    LeadConversation,
    LeadDelivery,
    Message,
    Operator,
    RingRecord,
)
from chat_server.store.records import StoredMessage, dealership_view
from chat_server.store.transcripts import messages_after


class NoSuchConversation(Exception):
    """Not there, or not this operator's to see: the two look the same from outside."""


class NotAllowed(Exception):
    """The operator may see the conversation but not do this to it (the message says why)."""


@dataclass(frozen=True)
class Target:
    """A conversation an operator may act on, and on which side they would answer it."""

    id: str
    owner_id: int | None
    dealership_id: int
    tier: Tier | None  # None for an admin who only looks


@dataclass(frozen=True)
class ConsoleStart:
    """What a console shows when it opens: presence, open rings, and the chats it owns."""

    presence: str | None
    rings: list[dict[str, Any]]
    owned: list[str]
    reach: dict[str, Any] | None = None


@dataclass(frozen=True)
class OwnedChat:
    """A chat the operator owns, as its ``conversation`` frame with the whole transcript."""

    frame: dict[str, Any]
    history: list[StoredMessage]
    away_since: datetime | None = None  # the shopper's last tab closed then (grace period)


async def console_start(rt: Runtime, operator_id: int, now: datetime) -> ConsoleStart:
    async with rt.db.sessions() as session:
        presence = await session.scalar(select(Operator.presence).where(Operator.id == operator_id))
        rings = []
        open_rings = await session.scalars(
            select(RingRecord).where(
                RingRecord.operator_id == operator_id,
                RingRecord.ended_at.is_(None),
                RingRecord.expires_at > now,
            )
        )
        for ring in open_rings:
            conversation = await session.get_one(Conversation, ring.conversation_id)
            dealership = dealership_view(
                await session.get_one(Dealership, conversation.dealership_id)
            )
            rings.append(
                await ring_frame(
                    session, conversation, dealership, Tier(ring.tier), ring.quiet, ring.expires_at
                )
            )
        owned = list(
            await session.scalars(
                select(Conversation.id).where(
                    Conversation.owner_id == operator_id,
                    Conversation.state == Phase.CONNECTED.value,
                )
            )
        )
        reach = await reach_now(session, operator_id, now, rt.texts is not None)
    return ConsoleStart(presence, rings, owned, reach.as_json() if reach else None)


async def owned_chats(
    rt: Runtime, operator_id: int, conversation_ids: list[str]
) -> dict[str, OwnedChat | None]:
    """Each of these chats with its whole transcript, or None where it is no longer this
    operator's live chat (closed or handed over since it was listed)."""
    chats: dict[str, OwnedChat | None] = {}
    async with rt.db.sessions() as session:
        for conversation_id in conversation_ids:
            conversation = await session.get_one(Conversation, conversation_id)
            if conversation.owner_id != operator_id or conversation.state != Phase.CONNECTED.value:
                chats[conversation_id] = None
                continue
            dealership = dealership_view(
                await session.get_one(Dealership, conversation.dealership_id)
            )
            history = await messages_after(session, conversation.id, 0)
            frame = await conversation_frame(session, conversation, dealership, history)
            # A chat taken over outside the ladder (seeded, or from before it stored its state)
            # has no ladder state, and so no record of the shopper leaving.
            ladder = conversation.ladder
            away = machine.from_json(ladder).away_since if ladder else None
            chats[conversation_id] = OwnedChat(frame, history, away)
    return chats


async def target(rt: Runtime, operator: OperatorView, conversation_id: str) -> Target:
    """The conversation, if this operator may act on it; ``NoSuchConversation`` otherwise."""
    async with rt.db.sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise NoSuchConversation(conversation_id)
        tier = await answering_tier(session, operator, conversation.dealership_id)
    if tier is None and operator.role != "admin":
        raise NoSuchConversation(conversation_id)
    return Target(conversation.id, conversation.owner_id, conversation.dealership_id, tier)


async def owner_name(rt: Runtime, conversation_id: str) -> str:
    """The name of whoever is in the chat now ("" when nobody is)."""
    async with rt.db.sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None or conversation.owner_id is None:
            return ""
        owner = await session.get(Operator, conversation.owner_id)
    return owner.name if owner is not None else ""


def owned_by(chat: Target, operator: OperatorView, doing: str) -> None:
    """``NotAllowed`` unless the operator is the one in the chat."""
    if chat.owner_id != operator.id:
        raise NotAllowed(doing)


async def accept(rt: Runtime, operator: OperatorView, chat: Target) -> None:
    tier = chat.tier
    if tier is None:
        raise NotAllowed("you cannot answer for this dealership")
    operator_id = operator.id
    await advance(rt, chat.id, lambda now, _r: Accept(operator_id, tier, now))


async def decline(rt: Runtime, operator: OperatorView, chat: Target) -> None:
    if chat.tier is None:  # e.g. the platform admin: reads every chat, is rung for none
        raise NotAllowed("you cannot answer for this dealership")
    operator_id = operator.id
    await advance(
        rt,
        chat.id,
        lambda now, roster: Decline(operator_id, now, roster),  # type: ignore[arg-type]
        with_roster=True,
    )


@dataclass(frozen=True)
class Ending:
    """What ending a chat did, for the operator who ended it (the ``chat_ended`` frame)."""

    outcome: str | None
    lead_id: int | None
    # How the lead travels: "sending" (queued for the CRM), "logged_only" (e-mail is not set
    # up on this server: written to the log, not sent) or "no_crm" (the dealership has no CRM
    # address or webhook); None without a lead.
    delivery: str | None
    dealership_name: str
    used_typed_contact: bool  # the lead carries what the shopper typed (nobody saved any)


async def close(rt: Runtime, operator: OperatorView, chat: Target) -> Ending:
    """End the chat: the shopper reads a closing message first, then the ladder closes it.

    With no contact details saved, what the shopper typed in the chat (validated like a
    contact frame) is stored with the close, so a pool lead reaches the CRM with it; with
    nothing usable there either, no lead goes out (leads/rules.py ``goes_out``).
    """
    owned_by(chat, operator, "only the operator in the chat can close it")
    plan = await _plan_ending(rt, chat.id)
    if plan is None:
        raise NoSuchConversation(chat.id)
    with contextlib.suppress(ConversationClosed):  # closed meanwhile: the ladder says so
        await post_message(
            rt,
            chat.id,
            author_kind="system",
            author_id=None,
            author_name="",
            body=plan.words,
            client_id=f"closing:{chat.id}",
        )
    mutate = save_contact(plan.typed) if plan.typed is not None else None
    result = await advance(rt, chat.id, lambda now, _r: Close(now), mutate=mutate)
    outcome = result.state.outcome.value if result.state.outcome else None
    lead_id, delivery = await _lead_news(rt, chat.id)
    return Ending(outcome, lead_id, delivery, plan.dealership_name, plan.typed is not None)


@dataclass(frozen=True)
class _EndingPlan:
    words: str
    typed: ContactDetails | None  # to save with the close: what the shopper typed
    dealership_name: str


async def _plan_ending(rt: Runtime, conversation_id: str) -> _EndingPlan | None:
    async with rt.db.sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            return None
        dealership = await session.get_one(Dealership, conversation.dealership_id)
        bodies = list(
            await session.scalars(
                select(Message.body)
                .where(Message.conversation_id == conversation_id, Message.author_kind == "visitor")
                .order_by(Message.seq)
            )
        )
        owner = await session.get(Operator, conversation.owner_id or 0)
    saved = dict(conversation.contact or {})
    typed = None
    if not (saved.get("phone") or saved.get("email")):
        typed = _typed_contact(saved, bodies, dealership.country)
        if typed is not None:
            saved = {**saved, "name": typed.name, "phone": typed.phone, "email": typed.email}
    words = closing_words(
        dealership=dealership.name,
        operator=owner.name if owner is not None else "",
        pool=conversation.owner_tier == Tier.POOL.value,
        name=str(saved.get("name") or ""),
        phone=bool(saved.get("phone")),
        email=bool(saved.get("email")),
        preferred_time=str(saved.get("preferred_time") or ""),
        language=dealership.widget_language,
    )
    return _EndingPlan(words, typed, dealership.name)


def _typed_contact(
    saved: dict[str, Any], bodies: list[str], country: str | None
) -> ContactDetails | None:
    """What the shopper typed, as a contact frame would give it, if it validates."""
    valid = typed_contact(bodies, country, str(saved.get("name") or ""))
    if valid is None:
        return None
    return ContactDetails(
        name=valid.name,
        phone=valid.phone,
        email=valid.email,
        preferred_time=str(saved.get("preferred_time") or "nopreference"),
        consent=bool(saved.get("consent")),
    )


async def _lead_news(rt: Runtime, conversation_id: str) -> tuple[int | None, str | None]:
    """The lead the close made (or joined), and how it travels to the CRM."""
    async with rt.db.sessions() as session:
        lead_id = await session.scalar(
            select(LeadConversation.lead_id).where(
                LeadConversation.conversation_id == conversation_id
            )
        )
        if lead_id is None:
            return None, None
        channels = set(
            await session.scalars(
                select(LeadDelivery.channel).where(LeadDelivery.lead_id == lead_id)
            )
        )
    if not channels:
        return lead_id, "no_crm"
    if channels == {"email"} and not rt.settings.smtp_host:
        return lead_id, "logged_only"
    return lead_id, "sending"


async def transfer(
    rt: Runtime, operator: OperatorView, chat: Target, colleague_id: int | None
) -> None:
    """Offer the chat to a colleague (or back to the store); the owner stays until taken."""
    owned_by(chat, operator, "only the operator in the chat can transfer it")
    to: tuple[int, ...] = ()
    tier = Tier.STORE
    if colleague_id is None:
        closed = await store_closed_reason(rt, chat.id)
        if closed:
            raise NotAllowed(closed)
    if colleague_id is not None:
        async with rt.db.sessions() as session:
            colleague = await session.get(Operator, colleague_id)
            target_tier = None
            if colleague is not None:
                target_tier = await answering_tier(
                    session, operator_view(colleague), chat.dealership_id
                )
        if target_tier is None:
            raise BadColleague("'to' is not a colleague who can answer this chat")
        to, tier = (colleague_id,), target_tier
    operator_id = operator.id
    await advance(
        rt,
        chat.id,
        lambda now, roster: Transfer(operator_id, now, roster, to, tier),  # type: ignore[arg-type]
        with_roster=True,
    )


async def store_closed_reason(rt: Runtime, conversation_id: str) -> str:
    """Why the chat cannot go back to the store now ("Closed now — Sales opens Monday
    9:00 AM"), or "" while its department is open."""
    async with rt.db.sessions() as session:
        conversation = await session.get_one(Conversation, conversation_id)
        view = dealership_view(await session.get_one(Dealership, conversation.dealership_id))
    department = conversation.department or "sales"
    facts = department_facts(view, department, rt.clock.now())
    if facts["open_now"]:
        return ""
    opens = facts["opens_next"]
    return f"Closed now — {opens['text']}" if opens else f"{department.title()} is closed now"


class BadColleague(ValueError):
    """The transfer names someone who cannot answer this dealership's chats."""


async def add_note(rt: Runtime, operator: OperatorView, chat: Target, body: str) -> None:
    """An internal note: stored, then shown on the author's and the owner's consoles."""
    async with rt.db.sessions() as session, session.begin():
        note = ConversationNote(
            conversation_id=chat.id,
            author_id=operator.id,
            author_name=operator.name,
            body=body,
            created_at=rt.clock.now(),
        )
        session.add(note)
        await session.flush()
        frame = encode(note_frame(note))
    targets = {operator.id}
    if chat.owner_id is not None:
        targets.add(chat.owner_id)
    for operator_id in targets:
        await rt.hub.publish(operator_channel(operator_id), frame)
