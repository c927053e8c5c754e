"""When an operator comes on shift, the chats ringing their side are told (``RosterChanged``).

Coming on shift is choosing "available", opening a console while available, or adding a
phone while available. The ladder then rings them at once for each chat that rings their
tier, within its windows (chat_server/ladder/machine.py says exactly when). Without this, a
salesperson who became available while a shopper waited was rung only for the next chat.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

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


async def choose_presence(
    rt: Runtime, operator_id: int, status: str, until: datetime | None = None
) -> None:
    """The operator chose a status (and maybe the end of their shift); choosing "available"
    puts them on waiting chats' rings. ``BadShiftEnd`` for an end in the past or too far."""
    await set_presence(rt, operator_id, status, until)
    if status == "available":
        await roster_changed(rt, operator_id)


async def console_opened(rt: Runtime, operator_id: int) -> None:
    """A console opened: renew the heartbeat, and ring them if that put them on shift."""
    if await come_online(rt, operator_id):
        await roster_changed(rt, operator_id)


async def channel_added(rt: Runtime, operator_id: int) -> None:
    """A phone or a verified mobile now reaches them: ring them for chats waiting now (when
    available), and show their consoles the new ``reach``."""
    await roster_changed(rt, operator_id)
    await refresh_reach(rt, operator_id)
