"""Operator sessions: what a signed cookie session holds, the session epoch that ends every
copy of it at once, and the operator a session belongs to."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import MutableMapping
from typing import Any

from sqlalchemy import update

from chat_server.accounts.operators import OperatorView, operator_view
from chat_server.accounts.passwords import hash_password, verify_password
from chat_server.broker import BrokerUnavailable
from chat_server.delivery.channels import operator_channel
from chat_server.delivery.fanout import encode
from chat_server.protocol.outgoing import session_ended_frame
from chat_server.runtime import Runtime
from chat_server.store.models import Operator

log = logging.getLogger(__name__)

Session = MutableMapping[str, Any]


async def change_password(rt: Runtime, operator_id: int, current: str, new: str) -> int | None:
    """Set a new password if ``current`` is right; returns the new session epoch, else None.

    Bumping the epoch signs out every other session of this operator.
    """
    async with rt.db.sessions() as session, session.begin():
        row = await session.get(Operator, operator_id)
        if row is None or not await asyncio.to_thread(verify_password, row.password_hash, current):
            return None
        row.password_hash = await asyncio.to_thread(hash_password, new)
        row.session_epoch += 1
        epoch = row.session_epoch
    await close_older_consoles(rt, operator_id, epoch)
    return epoch


def sign_in(session: Session, operator: OperatorView) -> None:
    # A fresh session at sign-in: nothing set before it (by anyone) survives into it.
    session.clear()
    session["operator"] = operator.id
    session["epoch"] = operator.session_epoch
    session["csrf"] = secrets.token_urlsafe(24)


def sign_out(session: Session) -> None:
    session.clear()


async def end_sessions(rt: Runtime, operator_id: int) -> None:
    """End every session of this operator, on every device, by bumping the session epoch.

    The session is a signed cookie, so clearing it only forgets it in this browser: a copy
    (stolen, or left on a shared computer) would stay valid until it expires. The epoch lives
    in the database, so a copied cookie with the old epoch is refused everywhere at once.
    """
    async with rt.db.sessions() as session, session.begin():
        epoch = await session.scalar(
            update(Operator)
            .where(Operator.id == operator_id)
            .values(session_epoch=Operator.session_epoch + 1)
            .returning(Operator.session_epoch)
        )
    if epoch is not None:
        await close_older_consoles(rt, operator_id, epoch)


async def close_older_consoles(rt: Runtime, operator_id: int, epoch: int) -> None:
    """Close this operator's open console sockets signed in before ``epoch``, on every node.

    A socket was authenticated once, when it opened; without this it would keep receiving
    rings and chats for a session that has ended. The browser's console then reconnects,
    and only a cookie of the new epoch gets back in.
    """
    frame = encode(session_ended_frame(epoch))
    try:
        await rt.hub.publish(operator_channel(operator_id), frame)
    except BrokerUnavailable:
        # The epoch is already bumped: the cookie is refused everywhere, and these sockets
        # end at their next reconnect (a broker outage closes them for resync anyway).
        log.warning("could not tell open consoles that a session ended", exc_info=True)


async def current_operator(rt: Runtime, session: Session) -> OperatorView | None:
    """The signed-in operator, or None; a bumped session epoch invalidates old cookies."""
    operator_id = session.get("operator")
    if not isinstance(operator_id, int):
        return None
    async with rt.db.sessions() as db_session:
        row = await db_session.get(Operator, operator_id)
    # A deactivated operator's epoch was bumped too; checking ``active`` as well keeps them
    # out even if a row was deactivated some other way.
    if row is None or not row.active or row.session_epoch != session.get("epoch"):
        return None
    return operator_view(row)
