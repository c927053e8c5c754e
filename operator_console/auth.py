"""Operator sign-in: argon2 password hashes, a signed session cookie, CSRF tokens."""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from chat_server.chats.access import OperatorView, operator_view
from chat_server.runtime import Runtime
from chat_server.store.models import Operator

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


async def authenticate(rt: Runtime, email: str, password: str) -> OperatorView | None:
    async with rt.db.sessions() as session:
        row = await session.scalar(
            select(Operator).where(func.lower(Operator.email) == email.strip().lower())
        )
    if row is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(row.password_hash, password):
        return None
    return operator_view(row)


def sign_in(session: Session, operator: OperatorView) -> None:
    # A fresh session at sign-in: nothing set before it (by anyone) survives into it.
    session.clear()
    session["operator"] = operator.id
    session["epoch"] = operator.session_epoch
    session["csrf"] = secrets.token_urlsafe(24)


def sign_out(session: Session) -> None:
    session.clear()


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
