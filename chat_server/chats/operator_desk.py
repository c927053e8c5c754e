"""What an operator's console socket asks of the store, one function per request.

The socket (``transport/console_socket.py``) parses a frame, authorises the operator with
:func:`target`, calls one of these and sends what it returns. Tenant isolation lives here: a
conversation of a dealership the operator may not answer for looks like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from chat_server.accounts.access import answering_tier
from chat_server.accounts.operators import OperatorView, operator_view
from chat_server.chats.ladder_shell import advance
from chat_server.chats.notes import note_frame
from chat_server.chats.reachability import reach_now
from chat_server.chats.views import conversation_frame, ring_frame
from chat_server.delivery.channels import operator_channel
from chat_server.delivery.fanout import encode
from chat_server.ladder.types import Accept, Close, Decline, Phase, Tier, Transfer
from chat_server.runtime import Runtime
from chat_server.store.models import (
    Conversation,
    ConversationNote,
    Dealership,
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
            chats[conversation_id] = OwnedChat(frame, history)
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


async def close(rt: Runtime, operator: OperatorView, chat: Target) -> None:
    owned_by(chat, operator, "only the operator in the chat can close it")
    await advance(rt, chat.id, lambda now, _r: Close(now))


async def transfer(
    rt: Runtime, operator: OperatorView, chat: Target, colleague_id: int | None
) -> None:
    """Offer the chat to a colleague (or back to the store); the owner stays until taken."""
    owned_by(chat, operator, "only the operator in the chat can transfer it")
    to: tuple[int, ...] = ()
    tier = Tier.STORE
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
