"""A reloaded console must not be marked offline by the close of the console it replaced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from chat_server.chats.presence import ONLINE_TTL, mark_offline
from chat_server.demo_world import seed_demo
from chat_server.store.database import Database
from chat_server.store.models import Operator

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def _alex(db: Database) -> int:
    async with db.sessions() as session, session.begin():
        await seed_demo(session, ["http://localhost"])
        alex = await session.scalar(select(Operator.id).where(Operator.email.like("alex@%")))
        assert alex is not None
        return alex


async def _renew(db: Database, operator_id: int, at: datetime) -> None:
    """What a console's heartbeat writes (``set_online``)."""
    async with db.sessions() as session, session.begin():
        await session.execute(
            update(Operator).where(Operator.id == operator_id).values(online_until=at + ONLINE_TTL)
        )


async def _online_until(db: Database, operator_id: int) -> datetime:
    async with db.sessions() as session:
        value = await session.scalar(
            select(Operator.online_until).where(Operator.id == operator_id)
        )
        assert value is not None
        return value if value.tzinfo else value.replace(tzinfo=UTC)


async def test_a_renewal_after_the_close_began_wins_whatever_the_commit_order(
    database: Database,
) -> None:
    alex = await _alex(database)
    await _renew(database, alex, T0)  # the old console's last heartbeat
    closing = T0 + timedelta(seconds=4)  # its socket ends...
    await _renew(database, alex, closing + timedelta(milliseconds=1))  # ...the reload's is in
    async with database.sessions() as session, session.begin():
        marked = await mark_offline(
            session, alex, since=closing, now=closing + timedelta(milliseconds=2)
        )
    assert not marked
    assert await _online_until(database, alex) == closing + timedelta(milliseconds=1) + ONLINE_TTL


async def test_a_console_that_closed_for_good_is_offline_at_once(database: Database) -> None:
    alex = await _alex(database)
    await _renew(database, alex, T0)
    closing = T0 + timedelta(seconds=4)
    async with database.sessions() as session, session.begin():
        assert await mark_offline(session, alex, since=closing, now=closing)
    assert await _online_until(database, alex) == closing
