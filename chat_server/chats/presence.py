"""Whether an operator can be rung: they chose "available" *and* a console of theirs is open.

Open consoles are tracked as a heartbeat with a TTL in ``operators.online_until``: every node
renews it for the operators whose consoles it holds, so a crashed node's operators drop out of
the roster within ``ONLINE_TTL`` and nobody is rung into the void.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from types import TracebackType

from sqlalchemy import update

from chat_server.runtime import Runtime
from chat_server.store.models import Operator

log = logging.getLogger(__name__)

ONLINE_TTL = timedelta(seconds=30)
HEARTBEAT_S = 10.0


async def set_online(rt: Runtime, operator_ids: list[int], online: bool) -> None:
    if not operator_ids:
        return
    now = rt.clock.now()
    async with rt.db.sessions() as session, session.begin():
        await session.execute(
            update(Operator)
            .where(Operator.id.in_(operator_ids))
            .values(online_until=now + ONLINE_TTL if online else now)
        )


class PresenceHeartbeat:
    """Renews ``online_until`` for every operator with a console open on this node."""

    def __init__(self, rt: Runtime, interval_s: float = HEARTBEAT_S) -> None:
        self._rt = rt
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> PresenceHeartbeat:
        self._task = asyncio.create_task(self._run(), name="presence-heartbeat")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await set_online(self._rt, list(self._rt.sockets.operators), True)
            except Exception:
                log.warning("presence heartbeat failed; retrying", exc_info=True)
