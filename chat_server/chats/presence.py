"""Whether an operator can be rung: they chose "available" *and* a console of theirs is open.

Statuses: ``available`` (rung), ``busy`` (signed in and working, not rung) and ``away``.
An operator whose consoles have all been closed for ``settings.auto_away_s`` is set away
automatically, so a salesperson who walked off is not "available" the next morning.

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

from chat_server.background import PollingWorker
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


async def set_presence(rt: Runtime, operator_id: int, status: str) -> None:
    """Store the status and show it on every console of this operator (all tabs, all nodes)."""
    async with rt.db.sessions() as session, session.begin():
        await session.execute(
            update(Operator)
            .where(Operator.id == operator_id)
            .values(presence=status, presence_at=rt.clock.now())
        )
    await rt.hub.publish(operator_channel(operator_id), encode(presence_frame(status)))


async def sweep_away(rt: Runtime, grace_s: float) -> list[int]:
    """Set away everyone not away whose consoles all closed more than ``grace_s`` ago.

    ``online_until`` is the heartbeat's TTL (set to the closing time when the last console
    closes), so this works the same whichever node held the console. Returns who was set away.
    """
    cutoff = rt.clock.now() - timedelta(seconds=grace_s)
    async with rt.db.sessions() as session:
        ids = list(
            await session.scalars(
                select(Operator.id).where(
                    Operator.presence != "away",
                    Operator.online_until.is_not(None),
                    Operator.online_until <= cutoff,
                )
            )
        )
    ids = [i for i in ids if i not in rt.sockets.operators]  # a console of theirs is open here
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
