"""Checking an operator's credentials, with a per-account lockout after repeated failures."""

from __future__ import annotations

import asyncio
import functools
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from chat_server.accounts.operators import OperatorView, operator_view
from chat_server.accounts.passwords import hash_password, verify_password
from chat_server.runtime import Runtime
from chat_server.store.models import Operator


# Verifying against this when the e-mail is unknown keeps sign-in time the same either way,
# so response timing does not tell an attacker which addresses have accounts.
@functools.cache
def _dummy_hash() -> str:
    # Made on the first sign-in, not at import: every process that imports this (each CLI
    # command, each test server) paid for an argon2 hash it mostly never used.
    return hash_password(secrets.token_urlsafe(16))


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
            await asyncio.to_thread(verify_password, _dummy_hash(), password)
            return None
        if row.locked_until is not None and row.locked_until > now:
            # Same timing as any other refusal.
            await asyncio.to_thread(verify_password, _dummy_hash(), password)
            raise AccountLocked(row.locked_until)
        # argon2 is deliberately slow (~50 ms): off the event loop, or every socket stalls.
        # A deactivated operator is refused like a wrong password, after the same work: the
        # answer does not tell whether the account exists, or was deactivated.
        # Someone invited who has not set a password yet has an empty hash: checked against
        # the dummy one, which no password matches, so that refusal takes as long as any.
        stored = row.password_hash or _dummy_hash()
        right = await asyncio.to_thread(verify_password, stored, password) and bool(
            row.password_hash
        )
        if right and not row.active:
            return None
        if not right:
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
