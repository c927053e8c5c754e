"""Durable deadlines: timers stored in the database and fired by whichever node is alive.

Each node polls for due rows, claims one with a conditional UPDATE that only succeeds when
nobody holds an unexpired lease, and runs the handler. The handler re-schedules the row
(``sync_deadline`` clears the lease) or deletes it; a row the handler left untouched is
deleted by the claimer. A node that dies mid-fire leaves a lease that expires, and another
node fires the deadline again: handlers are idempotent (a ladder Tick is).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import and_, delete, or_, select, update

from chat_server.background import PollingWorker
from chat_server.clock import Clock
from chat_server.store.database import Database
from chat_server.store.models import Deadline

log = logging.getLogger(__name__)

Handler = Callable[[str], Awaitable[None]]

LEASE = timedelta(seconds=10)
RETRY_AFTER_FAILURE = timedelta(seconds=1)
BATCH = 50


class DeadlineRunner(PollingWorker):
    """Polls for due deadlines every ``poll_s`` seconds and fires each exactly once per lease.

    ``wake()`` checks for due deadlines now rather than at the next poll.
    """

    name = "deadline-runner"
    failure_message = "deadline poll failed"

    def __init__(
        self, db: Database, clock: Clock, node: str, handler: Handler, poll_s: float = 0.2
    ) -> None:
        super().__init__(poll_s)
        self._db = db
        self._clock = clock
        self._node = node
        self._handler = handler

    async def tick(self) -> None:
        await self.fire_due()

    async def fire_due(self) -> int:
        """Claim and fire every deadline due now; returns how many this node fired."""
        now = self._clock.now()
        async with self._db.sessions() as session, session.begin():
            keys = list(
                await session.scalars(
                    select(Deadline.key)
                    .where(Deadline.fire_at <= now, _lease_free(now))
                    .order_by(Deadline.fire_at)
                    .limit(BATCH)
                )
            )
        fired = 0
        for key in keys:
            if await self._claim(key):
                fired += 1
                await self._fire(key)
        return fired

    async def _claim(self, key: str) -> bool:
        now = self._clock.now()
        async with self._db.sessions() as session, session.begin():
            result = await session.execute(
                update(Deadline)
                .where(Deadline.key == key, Deadline.fire_at <= now, _lease_free(now))
                .values(lease_owner=self._node, lease_until=now + LEASE)
            )
            return result.rowcount == 1  # type: ignore[attr-defined]

    async def _fire(self, key: str) -> None:
        try:
            await self._handler(key)
        except Exception:
            log.exception("deadline %s failed; retrying shortly", key, extra=_ids(key))
            async with self._db.sessions() as session, session.begin():
                await session.execute(
                    update(Deadline)
                    .where(Deadline.key == key, Deadline.lease_owner == self._node)
                    .values(
                        lease_owner=None,
                        lease_until=None,
                        fire_at=self._clock.now() + RETRY_AFTER_FAILURE,
                    )
                )
            return
        async with self._db.sessions() as session, session.begin():
            # Still ours means the handler did not re-schedule it: it is done.
            await session.execute(
                delete(Deadline).where(Deadline.key == key, Deadline.lease_owner == self._node)
            )


def _ids(key: str) -> dict[str, str]:
    """Log context for a deadline: ``ladder:<id>`` keys belong to a conversation."""
    kind, _, subject = key.partition(":")
    return {"conversation": subject} if kind == "ladder" else {}


def _lease_free(now: object) -> object:
    return or_(Deadline.lease_until.is_(None), and_(Deadline.lease_until < now))
