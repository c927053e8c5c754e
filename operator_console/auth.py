"""Operator sign-in: argon2 password hashes, a signed session cookie, CSRF tokens."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update

from chat_server.broker import BrokerUnavailable
from chat_server.chats.access import OperatorView, operator_view
from chat_server.chats.channels import operator_channel
from chat_server.chats.fanout import encode
from chat_server.runtime import Runtime
from chat_server.store.models import Operator

log = logging.getLogger(__name__)

Session = MutableMapping[str, Any]


def hash_password(password: str) -> str:
    return PasswordHasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verifying against this when the e-mail is unknown keeps sign-in time the same either way,
# so response timing does not tell an attacker which addresses have accounts.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


# After this many wrong passwords in a row the account is locked for LOCKOUT (per account,
# in the database, so it holds across nodes); a correct password resets the count.
MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)


class AccountLocked(Exception):
    """Too many wrong passwords: sign-in is refused until ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked until {until.isoformat()}")
        self.until = until


async def authenticate(rt: Runtime, email: str, password: str) -> OperatorView | None:
    """The operator for these credentials, or None; raises ``AccountLocked`` while locked."""
    now = rt.clock.now()
    async with rt.db.sessions() as session, session.begin():
        row = await session.scalar(
            select(Operator).where(func.lower(Operator.email) == email.strip().lower())
        )
        if row is None:
            await asyncio.to_thread(verify_password, _DUMMY_HASH, password)
            return None
        if row.locked_until is not None and row.locked_until > now:
            # Same timing as any other refusal.
            await asyncio.to_thread(verify_password, _DUMMY_HASH, password)
            raise AccountLocked(row.locked_until)
        # argon2 is deliberately slow (~50 ms): off the event loop, or every socket stalls.
        if not await asyncio.to_thread(verify_password, row.password_hash, password):
            failed = row.failed_sign_ins + 1
            locked = now + LOCKOUT if failed >= MAX_FAILED_SIGN_INS else None
            await session.execute(
                update(Operator)
                .where(Operator.id == row.id)
                .values(failed_sign_ins=0 if locked else failed, locked_until=locked)
            )
            return None
        if row.failed_sign_ins or row.locked_until is not None:
            await session.execute(
                update(Operator)
                .where(Operator.id == row.id)
                .values(failed_sign_ins=0, locked_until=None)
            )
        return operator_view(row)


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
    await _close_older_consoles(rt, operator_id, epoch)
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
        await _close_older_consoles(rt, operator_id, epoch)


async def _close_older_consoles(rt: Runtime, operator_id: int, epoch: int) -> None:
    """Close this operator's open console sockets signed in before ``epoch``, on every node.

    A socket was authenticated once, when it opened; without this it would keep receiving
    rings and chats for a session that has ended. The browser's console then reconnects,
    and only a cookie of the new epoch gets back in.
    """
    frame = encode({"type": "session_ended", "epoch": epoch})
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
    if row is None or row.session_epoch != session.get("epoch"):
        return None
    return operator_view(row)


def csrf_token(session: Session) -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return token


def csrf_ok(session: Session, submitted: object) -> bool:
    expected = session.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(submitted, str)
        and secrets.compare_digest(expected, submitted)
    )
