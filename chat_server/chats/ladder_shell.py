"""The I/O shell around the pure ladder: load state, step it, store the result, carry out commands.

Every change to a conversation's ladder goes through ``advance``. It reads the conversation,
asks the ladder for the next state, and writes it back only if nobody else wrote in between
(``version`` compare-and-set); on a lost race it reads again and retries. This is what makes
"two salespeople accept at once: exactly one wins" hold on SQLite and PostgreSQL alike.
Frames for sockets are published only after the transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from chat_server.chats.roster import build_roster
from chat_server.chats.views import conversation_frame, ring_frame
from chat_server.delivery.channels import conversation_channel, operator_channel
from chat_server.delivery.fanout import PendingFrames, publish
from chat_server.delivery.web_push import PushJob
from chat_server.ladder import machine
from chat_server.ladder.types import (
    Announce,
    Assign,
    CancelRings,
    Command,
    CreateLead,
    Event,
    Finish,
    Handover,
    LadderState,
    Outcome,
    ResendLead,
    Ring,
    Roster,
    StepResult,
    TransferLapsed,
)
from chat_server.protocol.outgoing import (
    ring_cancelled_frame,
    status_frame,
    transfer_lapsed_frame,
)
from chat_server.protocol.push_payloads import (
    CANCEL_TTL_S,
    ring_cancelled_push,
    ring_push,
    topic_of,
    ttl_until,
)
from chat_server.runtime import LeadHooks, Runtime
from chat_server.store.models import Conversation, Deadline, Dealership, Operator, RingRecord
from chat_server.store.records import DealershipView, dealership_view
from chat_server.store.transcripts import messages_after

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8

EventFactory = Callable[[datetime, Roster | None], Event]
Mutation = Callable[[AsyncSession, Conversation], Awaitable[None]]


class ConversationNotFound(LookupError):
    pass


def deadline_key(conversation_id: str) -> str:
    return f"ladder:{conversation_id}"


def columns_from(state: LadderState) -> dict[str, Any]:
    return {
        "state": state.phase.value,
        "outcome": state.outcome.value if state.outcome else None,
        "owner_id": state.owner,
        "owner_tier": state.owner_tier.value if state.owner_tier else None,
        "store_rung_at": state.store_rung_at,
        "pool_rung_at": state.pool_rung_at,
        "accepted_at": state.accepted_at,
        "lead_capture_at": state.capture_at,
        "closed_at": state.closed_at,
        "ladder": machine.to_json(state),
    }


async def sync_deadline(session: AsyncSession, key: str, fire_at: datetime | None) -> None:
    """Make the stored deadline match the ladder's next wakeup (or remove it)."""
    if fire_at is None:
        await session.execute(delete(Deadline).where(Deadline.key == key))
        return
    changed = await session.execute(
        update(Deadline)
        .where(Deadline.key == key)
        .values(fire_at=fire_at, lease_owner=None, lease_until=None)
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        session.add(Deadline(key=key, fire_at=fire_at))
        await session.flush()


async def _operator_names(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Operator.id, Operator.name).where(Operator.id.in_(ids)))
    return dict(rows.all())  # type: ignore[arg-type]


async def carry_out(
    session: AsyncSession,
    conversation: Conversation,
    dealership: DealershipView,
    result: StepResult,
    at: datetime,
    outbox: PendingFrames,
    leads: LeadHooks,
    texts: bool = False,
) -> None:
    """Apply the ladder's commands to the store, queueing the frames they imply. ``texts``:
    a text provider is configured, so a ring also schedules texts (chats/ring_texts.py)."""
    conv_id = conversation.id
    for command in result.commands:
        await _carry_out_one(session, conversation, dealership, command, at, outbox, leads, texts)
    # Owner-facing view of any state change, so the owner's console follows along.
    if conversation.owner_id is not None and any(
        isinstance(c, (Assign, Finish)) for c in result.commands
    ):
        include_messages = any(isinstance(c, Assign) for c in result.commands)
        messages = await messages_after(session, conv_id, 0) if include_messages else None
        frame = await conversation_frame(session, conversation, dealership, messages)
        outbox.add(operator_channel(conversation.owner_id), frame)


async def _carry_out_one(
    session: AsyncSession,
    conversation: Conversation,
    dealership: DealershipView,
    command: Command,
    at: datetime,
    outbox: PendingFrames,
    leads: LeadHooks,
    texts: bool = False,
) -> None:
    conv_id = conversation.id
    match command:
        case Ring(operators=operators, tier=tier, until=until, quiet=quiet):
            transfer_from = None
            if conversation.state == "connected":
                # A ring while someone is in the chat is a transfer offer from the owner.
                names = await _operator_names(session, [conversation.owner_id or 0])
                transfer_from = names.get(conversation.owner_id or 0, "")
            frame = await ring_frame(
                session, conversation, dealership, tier, quiet, until, transfer_from
            )
            # Two statements for any number of operators (50 consoles rung at once used to be
            # 100 round trips): extend the rings that are still open, insert the others.
            still_ringing = set(
                await session.scalars(
                    update(RingRecord)
                    .where(
                        RingRecord.conversation_id == conv_id,
                        RingRecord.operator_id.in_(operators),
                        RingRecord.ended_at.is_(None),
                    )
                    .values(expires_at=until, quiet=quiet, tier=tier.value)
                    .returning(RingRecord.operator_id)
                    .execution_options(synchronize_session=False)
                )
            )
            fresh = [o for o in operators if o not in still_ringing]
            outbox.tally.rings_offered[tier.value] += len(fresh)
            if fresh:
                await session.execute(
                    insert(RingRecord),
                    [
                        {
                            "conversation_id": conv_id,
                            "operator_id": operator_id,
                            "tier": tier.value,
                            "quiet": quiet,
                            "offered_at": at,
                            "expires_at": until,
                        }
                        for operator_id in fresh
                    ],
                )
            for operator_id in operators:
                outbox.add(operator_channel(operator_id), frame)
            if fresh and not quiet and texts:
                await _schedule_texts(session, conv_id, fresh, at, until, dealership)
            if fresh and not quiet:
                # Their phones too (delivery/web_push.py): a quiet offer makes no sound, so
                # it does not wake a phone either.
                ttl = ttl_until(until, at)
                outbox.push(
                    PushJob(
                        tuple(fresh), ring_push(frame), ttl, topic_of(conv_id), ring_until=until
                    )
                )
            if operators and not quiet:
                # Round-robin bookkeeping only: skip rows another ring holds instead of
                # waiting. Waiting made every ring queue on the same operator rows, and rows
                # locked in physical order deadlocked under load on PostgreSQL.
                lockable = (
                    select(Operator.id)
                    .where(Operator.id.in_(operators))
                    .order_by(Operator.id)
                    .with_for_update(skip_locked=True)
                )
                await session.execute(
                    update(Operator).where(Operator.id.in_(lockable)).values(last_rung_at=at)
                )
        case CancelRings(operators=operators, reason=reason):
            if operators:
                ended = await _end_rings(session, conv_id, operators, at, reason.value)
                # Rings actually open, not operators named: a repeat cancel counts nothing.
                outbox.tally.ring_cancellations[reason.value] += len(ended)
                _push_cancel(outbox, conv_id, ended, reason.value)
            # "Taken by Sam": the console says who answered instead of dropping the card.
            taken_by = None
            if reason.value == "taken" and conversation.owner_id is not None:
                names = await _operator_names(session, [conversation.owner_id])
                taken_by = names.get(conversation.owner_id)
            for operator_id in operators:
                outbox.add(
                    operator_channel(operator_id),
                    ring_cancelled_frame(conv_id, reason.value, taken_by),
                )
        case Announce(phase=phase, agent=agent):
            names = await _operator_names(session, [agent] if agent else [])
            outbox.add(
                conversation_channel(conv_id),
                status_frame(
                    conv_id,
                    phase.value,
                    names.get(agent) if agent else None,
                    conversation.last_seq,
                    conversation.version,
                ),
            )
        case CreateLead(service=service):
            await leads.create(session, conversation, service, at, outbox)
        case ResendLead(service=service):
            # The one lead again, with what the shopper wrote after it went out.
            if leads.resend is not None:
                await leads.resend(session, conversation, service, at)
        case Assign(operator=operator_id):
            # The winner's own ring ends too, so every console drops the card at once (and
            # a phone of theirs drops the notification, when they accepted elsewhere).
            ended = await _end_rings(session, conv_id, (operator_id,), at, "accepted")
            _push_cancel(outbox, conv_id, ended, "accepted")
            outbox.add(operator_channel(operator_id), ring_cancelled_frame(conv_id, "accepted"))
        case Handover(previous=previous):
            # The previous owner's console sees the new owner and steps out of the chat.
            frame = await conversation_frame(session, conversation, dealership)
            outbox.add(operator_channel(previous), frame)
        case TransferLapsed(owner=owner):
            outbox.add(operator_channel(owner), transfer_lapsed_frame(conv_id))
        case Finish(outcome=outcome):
            outbox.tally.outcomes.append(outcome.value)
            # The outcome and closing time are columns copied from the state. An Up makes no
            # CreateLead; a dealership may still log it to the CRM as a "chat up" lead.
            if outcome is Outcome.UP:
                await leads.log_up(session, conversation, at)


def text_deadline_key(conversation_id: str, operator_id: int) -> str:
    return f"text:{conversation_id}:{operator_id}"


async def _schedule_texts(
    session: AsyncSession,
    conv_id: str,
    operators: list[int],
    at: datetime,
    until: datetime,
    dealership: DealershipView,
) -> None:
    """A text to each operator with a verified mobile, if their ring is still open after the
    dealership's ``text_after_s`` (and before it ends): a durable deadline, fired by any node."""
    fire_at = at + timedelta(seconds=dealership.text_after_s)
    if fire_at >= until:
        return  # the ring ends first: a text would arrive for nothing
    texted = await session.scalars(
        select(Operator.id).where(
            Operator.id.in_(operators), Operator.mobile_verified_at.is_not(None)
        )
    )
    for operator_id in texted:
        await sync_deadline(session, text_deadline_key(conv_id, operator_id), fire_at)


async def _end_rings(
    session: AsyncSession, conv_id: str, operators: tuple[int, ...], at: datetime, reason: str
) -> list[tuple[int, bool]]:
    """End the open rings of ``operators`` on ``conv_id``: (operator, was quiet) of each."""
    rows = await session.execute(
        update(RingRecord)
        .where(
            RingRecord.conversation_id == conv_id,
            RingRecord.operator_id.in_(operators),
            RingRecord.ended_at.is_(None),
        )
        .values(ended_at=at, end_reason=reason)
        .returning(RingRecord.operator_id, RingRecord.quiet)
        .execution_options(synchronize_session=False)
    )
    return [(operator_id, bool(quiet)) for operator_id, quiet in rows.all()]


def _push_cancel(
    outbox: PendingFrames, conv_id: str, ended: list[tuple[int, bool]], reason: str
) -> None:
    """Close the ring's notification on the phones it was pushed to (loud rings only)."""
    pushed = tuple(operator_id for operator_id, quiet in ended if not quiet)
    outbox.push(
        PushJob(pushed, ring_cancelled_push(conv_id, reason), CANCEL_TTL_S, topic_of(conv_id))
    )


async def advance(
    rt: Runtime,
    conversation_id: str,
    make_event: EventFactory,
    *,
    with_roster: bool = False,
    mutate: Mutation | None = None,
) -> StepResult:
    """Feed one event to a conversation's ladder and carry out what it decides.

    Raises ``IllegalTransition`` from the ladder unchanged (nothing is written then) and
    ``ConversationNotFound`` for an unknown id.
    """
    for _attempt in range(MAX_ATTEMPTS):
        outbox = PendingFrames()
        try:
            async with rt.db.sessions() as session, session.begin():
                conversation = await session.get(Conversation, conversation_id)
                if conversation is None:
                    raise ConversationNotFound(conversation_id)
                dealership = dealership_view(
                    await session.get_one(Dealership, conversation.dealership_id)
                )
                if mutate is not None:
                    await mutate(session, conversation)
                now = rt.clock.now()
                roster = None
                if with_roster:
                    roster = await build_roster(
                        session,
                        dealership,
                        department=conversation.department,
                        visitor_id=conversation.visitor_id,
                        conversation_id=conversation.id,
                        at=now,
                        texts=rt.texts is not None,
                    )
                state = machine.from_json(conversation.ladder)
                event = make_event(now, roster)
                result = machine.step(state, event, dealership.config)
                if result.state.phase != state.phase:
                    log.info(
                        "conversation %s: %s on %s -> %s %s",
                        conversation_id,
                        type(event).__name__,
                        state.phase.value,
                        result.state.phase.value,
                        result.state.outcome.value if result.state.outcome else "",
                        extra={"conversation": conversation_id, "dealership": dealership.id},
                    )
                for name, value in columns_from(result.state).items():
                    setattr(conversation, name, value)
                await session.flush()  # StaleDataError here means we lost a race
                # Messages are numbered by their own UPDATE of last_seq, which the version
                # check does not see: the value read above may be stale. Read it again now
                # that this transaction's UPDATE holds the row (appends wait behind it, and a
                # close refuses them), so a status frame's last_seq covers every message
                # stored before this change and sockets fetch what they missed (fill_tail).
                await session.refresh(conversation, ["last_seq"])
                await carry_out(
                    session,
                    conversation,
                    dealership,
                    result,
                    now,
                    outbox,
                    rt.leads,
                    texts=rt.texts is not None,
                )
                await sync_deadline(
                    session,
                    deadline_key(conversation_id),
                    machine.next_wakeup(result.state, dealership.config),
                )
        except StaleDataError:
            continue
        await publish(rt, outbox)
        return result
    raise RuntimeError(f"conversation {conversation_id}: too much contention, gave up")


__all__ = [
    "ConversationNotFound",
    "advance",
    "carry_out",
    "deadline_key",
    "sync_deadline",
]
