"""Per-dealership API tokens: shown once at creation, stored only as a sha256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.store.models import ApiToken

PREFIX = "dct_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(session: AsyncSession, dealership_id: int, name: str, at: datetime) -> str:
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            dealership_id=dealership_id, name=name, token_hash=token_hash(token), created_at=at
        )
    )
    await session.flush()
    return token


async def dealership_for(session: AsyncSession, authorization: str | None) -> int | None:
    """The dealership a ``Bearer`` token belongs to, or None (missing, unknown, revoked)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await session.scalar(
        select(ApiToken.dealership_id).where(
            ApiToken.token_hash == token_hash(token.strip()), ApiToken.revoked_at.is_(None)
        )
    )
