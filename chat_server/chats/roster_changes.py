"""When an operator comes on shift, the chats ringing their side are told (``RosterChanged``).

Coming on shift is choosing "available", opening a console while available, or adding a
phone while available. The ladder then rings them at once for each chat that rings their
tier, within its windows (chat_server/ladder/machine.py says exactly when). Without this, a
salesperson who became available while a shopper waited was rung only for the next chat.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import select

from chat_server.background import stop_task
from chat_server.chats.ladder_shell import ConversationNotFound, advance
from chat_server.chats.presence import come_online, refresh_reach, set_presence
from chat_server.ladder.types import IllegalTransition, Phase, RosterChanged
from chat_server.runtime import Runtime
from chat_server.store.models import Conversation, Operator, PoolCoverage

log = logging.getLogger(__name__)

# More chats than this ringing one store at once is a flood the ladder's own ticks handle.
MAX_CHATS = 50


async def ringing_for(rt: Runtime, operator_id: int) -> list[str]:
    """The chats ringing the side this operator answers for, oldest first."""
    async with rt.db.sessions() as session:
        operator = await session.get(Operator, operator_id)
        if operator is None or operator.presence != "available":
            return []
        query = select(Conversation.id).order_by(Conversation.created_at).limit(MAX_CHATS)
        if operator.role == "receptionist" and operator.pool_id is not None:
            covered = select(PoolCoverage.dealership_id).where(
                PoolCoverage.pool_id == operator.pool_id
            )
            query = query.where(
                Conversation.dealership_id.in_(covered),
                Conversation.state == Phase.RINGING_POOL.value,
            )
        elif operator.dealership_id is not None:
            query = query.where(
                Conversation.dealership_id == operator.dealership_id,
                Conversation.state.in_((Phase.RINGING_STORE.value, Phase.RINGING_POOL.value)),
            )
        else:
            return []
        return list(await session.scalars(query))


async def roster_changed(rt: Runtime, operator_id: int) -> int:
    """Tell every chat ringing this operator's side that the roster changed; how many were."""
    told = 0
    for conversation_id in await ringing_for(rt, operator_id):
        try:
            await advance(
                rt,
                conversation_id,
                lambda now, roster: RosterChanged(now, roster),  # type: ignore[arg-type]
                with_roster=True,
            )
            told += 1
        except (ConversationNotFound, IllegalTransition):
            continue  # closed or gone meanwhile: nothing to ring for
        except Exception:
            # One chat that cannot be stepped (an unreadable stored state, a storage error)
            # must not cost this operator the others, nor the console that is opening.
            log.exception(
                "roster change not applied to conversation %s",
                conversation_id,
                extra={"conversation": conversation_id, "operator": operator_id},
            )
    return told


class RosterSweep:
    """One console's roster changes, carried out beside its frames rather than between them.

    Telling the ringing chats is one ladder step each (up to ``MAX_CHATS``); on a busy node,
    after a restart, with every console reconnecting at once, that took tens of seconds. Run
    in the socket's frame loop, it held up the frames behind it: an operator's "End chat"
    waited behind their own reconnect's sweep, and the shopper saw the chat close half a
    minute late (the chaos test). Requests while one runs are folded into one more run.
    """

    def __init__(self, rt: Runtime, operator_id: int) -> None:
        self._rt = rt
        self._operator_id = operator_id
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def request(self) -> None:
        """Tell the chats ringing this operator's side, soon; returns at once."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._run(), name=f"roster-sweep-{self._operator_id}")

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await roster_changed(self._rt, self._operator_id)
            except Exception:  # storage down: the chats' own ticks read the roster later
                log.warning(
                    "roster change not applied",
                    exc_info=True,
                    extra={"operator": self._operator_id},
                )
            if not self._again:
                return

    async def stop(self) -> None:
        """The console closed: a sweep still running ends here (the ladder's ticks, which
        read the roster at each step, carry on without it)."""
        task, self._task = self._task, None
        await stop_task(task)


async def choose_presence(
    rt: Runtime, operator_id: int, status: str, until: datetime | None = None
) -> bool:
    """The operator chose a status (and maybe the end of their shift); True when that was
    "available", which should put them on waiting chats' rings (``RosterSweep``).
    ``BadShiftEnd`` for an end in the past or too far."""
    await set_presence(rt, operator_id, status, until)
    return status == "available"


async def console_opened(rt: Runtime, operator_id: int) -> bool:
    """A console opened: renew the heartbeat; True when that put them on shift, so that
    waiting chats should ring them (``RosterSweep``)."""
    return await come_online(rt, operator_id)


async def channel_added(rt: Runtime, operator_id: int) -> None:
    """A phone or a verified mobile now reaches them: ring them for chats waiting now (when
    available), and show their consoles the new ``reach``."""
    await roster_changed(rt, operator_id)
    await refresh_reach(rt, operator_id)
