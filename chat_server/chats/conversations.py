"""Starting conversations and posting messages: the store write, then the fan-out."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.chats.append_batch import AppendRequest
from chat_server.chats.ladder_shell import carry_out, columns_from, deadline_key, sync_deadline
from chat_server.chats.messages import append_message
from chat_server.chats.roster import build_roster
from chat_server.delivery.channels import conversation_channel, visitor_channel
from chat_server.delivery.fanout import PendingFrames, publish
from chat_server.ladder import machine
from chat_server.ladder.types import Start
from chat_server.protocol.outgoing import conversation_started_frame, message_frame
from chat_server.runtime import Runtime
from chat_server.store.models import Conversation, Message
from chat_server.store.records import DealershipView, StoredMessage
from chat_server.store.transcripts import MESSAGE_COLUMNS, stored_message

log = logging.getLogger(__name__)

HUMAN_KINDS = ("staff", "receptionist")


async def start_conversation(
    rt: Runtime,
    dealership: DealershipView,
    *,
    conversation_id: str,
    visitor_id: int,
    visitor_key: str,
    page: dict[str, Any],
    vehicle: dict[str, Any] | None,
    body: str,
    client_id: str | None,
    department: str = "sales",
) -> StoredMessage:
    """Create a conversation from the shopper's first message and start the ladder at once.

    A client id belongs to one conversation only: when this shopper already sent
    ``client_id`` (a resend whose ack was lost while their chat closed, so the socket took it
    for a new first message), nothing is started and the stored message is returned. Its
    ``conversation_id`` then differs from the one asked for.
    """
    pending = PendingFrames()
    async with rt.db.sessions() as session, session.begin():
        if client_id is not None:
            earlier = await sent_before(session, visitor_id, client_id)
            if earlier is not None:
                return earlier
        now = rt.clock.now()
        conversation = Conversation(
            id=conversation_id,
            dealership_id=dealership.id,
            visitor_id=visitor_id,
            department=department,
            state="ringing_store",
            page=page,
            vehicle=vehicle,
            created_at=now,
            first_message_at=now,
            last_seq=0,
            ladder={},
        )
        session.add(conversation)
        await session.flush()
        message, _ = await append_message(
            session,
            conversation.id,
            author_kind="visitor",
            author_id=None,
            author_name="",
            body=body,
            client_id=client_id,
            at=now,
            tally=pending.tally,
        )
        conversation.last_seq = message.seq
        roster = await build_roster(
            session,
            dealership,
            department=department,
            visitor_id=visitor_id,
            conversation_id=conversation.id,
            at=now,
            texts=rt.texts is not None,
        )
        result = machine.start(Start(now, roster), dealership.config)
        for name, value in columns_from(result.state).items():
            setattr(conversation, name, value)
        await session.flush()
        await carry_out(
            session,
            conversation,
            dealership,
            result,
            now,
            pending,
            rt.leads,
            texts=rt.texts is not None,
        )
        await sync_deadline(
            session,
            deadline_key(conversation.id),
            machine.next_wakeup(result.state, dealership.config),
        )
    # Other tabs of this shopper learn of the new conversation and join it.
    pending.frames.insert(
        0, (visitor_channel(visitor_key), conversation_started_frame(conversation.id))
    )
    pending.frames.insert(1, (conversation_channel(conversation.id), message_frame(message)))
    await publish(rt, pending)
    log.info(
        "conversation %s started -> %s",
        conversation.id,
        result.state.phase.value,
        extra={"conversation": conversation.id, "dealership": dealership.id},
    )
    return message


async def sent_before(
    session: AsyncSession, visitor_id: int, client_id: str
) -> StoredMessage | None:
    """The message this shopper already sent with ``client_id``, in any of their conversations.

    Why this is enough, without a lock: a socket starts a conversation only when it has none
    open, that is after it saw its last one close (a committed close) or refuse a message.
    An append that committed before the close is visible here; one that had not yet taken
    the conversation's row is refused by the close (the append re-checks the state under the
    row lock). Read on the conversations' visitor index and ``(conversation_id, client_id)``.
    """
    row = (
        await session.execute(
            select(*MESSAGE_COLUMNS)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Conversation.visitor_id == visitor_id,
                Message.client_id == client_id,
                Message.author_kind == "visitor",
            )
            .order_by(Message.id)
            .limit(1)
        )
    ).first()
    return stored_message(row) if row is not None else None


async def post_message(
    rt: Runtime,
    conversation_id: str,
    *,
    author_kind: str,
    author_id: int | None,
    author_name: str,
    body: str,
    client_id: str | None,
) -> StoredMessage:
    """Store a message in an open conversation, then publish it. Idempotent on client id.

    Raises ``ConversationClosed`` when the conversation has ended and ``LookupError`` when
    it does not exist.
    """
    request = AppendRequest(
        conversation_id=conversation_id,
        author_kind=author_kind,
        author_id=author_id,
        author_name=author_name,
        body=body,
        client_id=client_id,
        at=rt.clock.now(),
        first_human_reply=author_kind in HUMAN_KINDS,
    )
    for attempt in range(2):
        try:
            # Group commit: this shares one transaction with other sockets' messages.
            appended = await rt.appends.append(request)
            break
        except IntegrityError:
            # Two sockets sent the same client id at once: the other insert won; read it back.
            if attempt:
                raise
    message, created = appended.message, appended.created
    pending = PendingFrames()
    if created:
        pending.tally.messages_stored += 1
        if appended.first_human_wait_s is not None:
            pending.tally.first_human_waits.append(appended.first_human_wait_s)
    # A resend is published again: the first attempt may have been stored by a node that
    # died before publishing it. Every socket's cursor drops the copy it already has.
    pending.add(conversation_channel(conversation_id), message_frame(message))
    await publish(rt, pending)
    return message
