"""Whether an operator can be rung: they chose "available" *and* some channel reaches them.

Statuses: ``available`` (rung), ``busy`` (signed in and working, not rung) and ``away``.
The channels are an open console and a phone with Web Push (chats/roster.py: "on shift").
An operator with no phone whose consoles have all been closed for ``settings.auto_away_s`` is
set away automatically, so a salesperson who walked off is not "available" the next morning;
one with a phone stays available with no tab open, until they say otherwise or their end of
shift (``shift_ends_at``), when they are set away.

Open consoles are tracked as a heartbeat with a TTL in ``operators.online_until``: every node
renews it for the operators whose consoles it holds, so a crashed node's operators drop out of
the roster within ``ONLINE_TTL`` and nobody is rung into the void.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.shifts import reachable_without_console
from chat_server.background import PollingWorker
from chat_server.chats.reachability import reach_now
from chat_server.delivery.channels import operator_channel
from chat_server.delivery.fanout import encode
from chat_server.protocol.outgoing import presence_frame
from chat_server.runtime import Runtime
from chat_server.store.models import Operator

log = logging.getLogger(__name__)

ONLINE_TTL = timedelta(seconds=30)
HEARTBEAT_S = 10.0


async def set_online(rt: Runtime, operator_ids: list[int]) -> None:
    """Renew the heartbeat of operators with a console open on this node."""
    if not operator_ids:
        return
    now = rt.clock.now()
    async with rt.db.sessions() as session, session.begin():
        await session.execute(
            update(Operator)
            .where(Operator.id.in_(operator_ids))
            .values(online_until=now + ONLINE_TTL)
        )


async def come_online(rt: Runtime, operator_id: int) -> bool:
    """A console of theirs opened: renew them, and say whether this put them on shift.

    True when they are available and no channel reached them a moment ago (no console whose
    heartbeat is still running, no phone): the ladder should then ring them for waiting chats.
    """
    now = rt.clock.now()
    has_phone = reachable_without_console(rt.texts is not None)
    async with rt.db.sessions() as session, session.begin():
        before = (
            await session.execute(
                select(Operator.presence, Operator.online_until, has_phone).where(
                    Operator.id == operator_id
                )
            )
        ).one_or_none()
        await session.execute(
            update(Operator)
            .where(Operator.id == operator_id)
            .values(online_until=now + ONLINE_TTL)
        )
    if before is None:
        return False
    presence, online_until, phone = before
    reachable = bool(phone) or (online_until is not None and online_until > now)
    return presence == "available" and not reachable


async def set_offline(rt: Runtime, operator_id: int) -> None:
    """Their last console on this node closed: stop ringing them now, not at the TTL."""
    now = rt.clock.now()
    async with rt.db.sessions() as session, session.begin():
        await mark_offline(session, operator_id, since=now, now=now)


async def mark_offline(
    session: AsyncSession, operator_id: int, *, since: datetime, now: datetime
) -> bool:
    """Mark an operator offline unless a console renewed them after ``since``; True if marked.

    A reload closes the old console and opens a new one, and on one node the two race: the
    new console's renewal and the old one's "offline" are written concurrently, and "offline"
    landing last kept a salesperson with an open console out of the roster until the next
    heartbeat (a ring missed). A renewal after ``since`` wrote a TTL ending after
    ``since + ONLINE_TTL``, so this condition lets it win whatever the commit order.
    (A console on another node that renewed *before* ``since`` is still overwritten; its
    node's next heartbeat, within ``HEARTBEAT_S``, puts the operator back.)
    """
    marked = await session.execute(
        update(Operator)
        .where(Operator.id == operator_id, Operator.online_until < since + ONLINE_TTL)
        .values(online_until=now)
    )
    return bool(marked.rowcount)  # type: ignore[attr-defined]


MAX_SHIFT = timedelta(hours=24)


class BadShiftEnd(ValueError):
    """An end of shift in the past or more than a day ahead; the message says which."""


def check_shift_end(until: datetime | None, now: datetime) -> datetime | None:
    if until is None:
        return None
    if until <= now:
        raise BadShiftEnd("the end of the shift has already passed")
    if until > now + MAX_SHIFT:
        raise BadShiftEnd("a shift ends within 24 hours")
    return until


async def set_presence(
    rt: Runtime, operator_id: int, status: str, until: datetime | None = None
) -> None:
    """Store the status and show it on every console of this operator (all tabs, all nodes),
    with whether they will be rung now (chats/reachability.py). ``until``, with available,
    is the end of their shift (``BadShiftEnd`` when past or over a day ahead); any change of
    status without one clears it."""
    now = rt.clock.now()
    shift_ends_at = check_shift_end(until, now) if status == "available" else None
    async with rt.db.sessions() as session, session.begin():
        await session.execute(
            update(Operator)
            .where(Operator.id == operator_id)
            .values(presence=status, presence_at=now, shift_ends_at=shift_ends_at)
        )
        reach = await reach_now(session, operator_id, now, rt.texts is not None)
    frame = presence_frame(status, reach.as_json() if reach else None)
    await rt.hub.publish(operator_channel(operator_id), encode(frame))


async def refresh_reach(rt: Runtime, operator_id: int) -> None:
    """Their channels changed (a phone added or removed): show every console of theirs the
    new ``reach`` with their unchanged status."""
    async with rt.db.sessions() as session:
        status = await session.scalar(select(Operator.presence).where(Operator.id == operator_id))
        reach = await reach_now(session, operator_id, rt.clock.now(), rt.texts is not None)
    if status is None:
        return
    frame = presence_frame(status, reach.as_json() if reach else None)
    await rt.hub.publish(operator_channel(operator_id), encode(frame))


async def sweep_away(rt: Runtime, grace_s: float) -> list[int]:
    """Set away everyone not away whose consoles all closed more than ``grace_s`` ago and who
    has no phone to ring, and everyone whose end of shift has passed.

    ``online_until`` is the heartbeat's TTL (set to the closing time when the last console
    closes), so this works the same whichever node held the console. Returns who was set away.
    """
    now = rt.clock.now()
    cutoff = now - timedelta(seconds=grace_s)
    has_phone = reachable_without_console(rt.texts is not None)
    async with rt.db.sessions() as session:
        ids = list(
            await session.scalars(
                select(Operator.id).where(
                    Operator.presence != "away",
                    Operator.online_until.is_not(None),
                    Operator.online_until <= cutoff,
                    ~has_phone,
                )
            )
        )
        ids = [i for i in ids if i not in rt.sockets.operators]  # a console open here
        # The end of a shift ends it whatever the channels (and is cleared: a shift, not a
        # standing rule).
        shift_over = list(
            await session.scalars(
                select(Operator.id).where(
                    Operator.presence != "away",
                    Operator.shift_ends_at.is_not(None),
                    Operator.shift_ends_at <= now,
                )
            )
        )
    if shift_over:
        async with rt.db.sessions() as session, session.begin():
            await session.execute(
                update(Operator).where(Operator.id.in_(shift_over)).values(shift_ends_at=None)
            )
        ids = sorted({*ids, *shift_over})
    for operator_id in ids:
        await set_presence(rt, operator_id, "away")
    if ids:
        log.info("set away after their consoles closed: %s", ids)
    return ids


class PresenceHeartbeat(PollingWorker):
    """Renews ``online_until`` for every operator with a console open on this node.

    It also runs the auto-away sweep (:class:`AutoAwaySweep`), so the lifespan owns one
    object for presence.
    """

    name = "presence-heartbeat"
    failure_message = "presence heartbeat failed; retrying"
    failure_level = logging.WARNING

    def __init__(self, rt: Runtime, interval_s: float = HEARTBEAT_S) -> None:
        # Operators are marked online when their console opens, so the first renewal is due
        # one interval later, not at start.
        super().__init__(interval_s, tick_at_start=False)
        self._rt = rt
        self._sweep = AutoAwaySweep(rt, interval_s)

    async def tick(self) -> None:
        await set_online(self._rt, list(self._rt.sockets.operators))

    async def __aenter__(self) -> Self:
        await self._sweep.__aenter__()
        return await super().__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await super().__aexit__(exc_type, exc, tb)
        await self._sweep.__aexit__(exc_type, exc, tb)


class AutoAwaySweep(PollingWorker):
    """Sets away the operators whose consoles all closed ``settings.auto_away_s`` ago."""

    name = "presence-auto-away"
    failure_message = "auto-away sweep failed; retrying"
    failure_level = logging.WARNING

    def __init__(self, rt: Runtime, heartbeat_s: float = HEARTBEAT_S) -> None:
        self._grace_s = rt.settings.auto_away_s
        # Check often enough that "away" follows within about a tenth of the grace.
        super().__init__(min(heartbeat_s, max(0.2, self._grace_s / 10)), tick_at_start=False)
        self._rt = rt

    async def tick(self) -> None:
        await sweep_away(self._rt, self._grace_s)
