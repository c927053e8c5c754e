"""Durable deadlines on the real database: fired once, by whichever runner is alive."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from chat_server.chats.ladder_shell import sync_deadline
from chat_server.deadlines import LEASE, DeadlineRunner
from chat_server.store.database import Database
from chat_server.store.models import Deadline


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


async def schedule(db: Database, key: str, at: datetime) -> None:
    async with db.sessions() as session, session.begin():
        await sync_deadline(session, key, at)


async def remaining(db: Database) -> list[str]:
    async with db.sessions() as session:
        return list(await session.scalars(select(Deadline.key)))


async def test_two_runners_fire_each_due_deadline_exactly_once(database: Database) -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    clock = FixedClock(now)
    fired: list[tuple[str, str]] = []

    def handler(node: str):  # type: ignore[no-untyped-def]
        async def fire(key: str) -> None:
            fired.append((node, key))
            await asyncio.sleep(0.01)

        return fire

    for n in range(20):
        await schedule(database, f"t:{n}", now - timedelta(seconds=1))
    await schedule(database, "t:later", now + timedelta(minutes=5))
    a = DeadlineRunner(database, clock, "node-a", handler("node-a"))
    b = DeadlineRunner(database, clock, "node-b", handler("node-b"))
    await asyncio.gather(a.fire_due(), b.fire_due(), a.fire_due(), b.fire_due())
    keys = sorted(key for _, key in fired)
    assert keys == sorted(f"t:{n}" for n in range(20))
    assert await remaining(database) == ["t:later"]


async def test_a_dead_nodes_lease_expires_and_another_node_fires(database: Database) -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    clock = FixedClock(now)
    await schedule(database, "t:orphan", now)
    # Node A claims the deadline, then dies before firing it (we simply never call its handler).
    async with database.sessions() as session, session.begin():
        row = await session.get_one(Deadline, "t:orphan")
        row.lease_owner, row.lease_until = "node-a", now + LEASE
    fired: list[str] = []

    async def fire(key: str) -> None:
        fired.append(key)

    b = DeadlineRunner(database, clock, "node-b", fire)
    assert await b.fire_due() == 0 and fired == []  # the lease still holds
    clock.at = now + LEASE + timedelta(milliseconds=1)
    assert await b.fire_due() == 1 and fired == ["t:orphan"]
    assert await remaining(database) == []


async def test_a_failing_handler_is_retried(database: Database) -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    clock = FixedClock(now)
    await schedule(database, "t:flaky", now)
    calls: list[datetime] = []

    async def flaky(key: str) -> None:
        calls.append(clock.now())
        if len(calls) == 1:
            raise RuntimeError("database hiccup")

    runner = DeadlineRunner(database, clock, "node", flaky)
    await runner.fire_due()
    assert await remaining(database) == ["t:flaky"]  # kept for a retry
    assert await runner.fire_due() == 0  # not before the retry delay
    clock.at = now + timedelta(seconds=2)
    await runner.fire_due()
    assert len(calls) == 2 and await remaining(database) == []


async def test_a_handler_that_reschedules_keeps_its_deadline(database: Database) -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    clock = FixedClock(now)
    await schedule(database, "t:again", now)

    async def again(key: str) -> None:
        await schedule(database, key, now + timedelta(seconds=30))

    await DeadlineRunner(database, clock, "node", again).fire_due()
    async with database.sessions() as session:
        row = await session.get_one(Deadline, "t:again")
    assert row.fire_at == now + timedelta(seconds=30) and row.lease_owner is None


async def test_the_polling_loop_fires_on_its_own(database: Database) -> None:
    fired = asyncio.Event()

    async def fire(key: str) -> None:
        fired.set()

    class Wall:
        def now(self) -> datetime:
            return datetime.now(UTC)

    await schedule(database, "t:soon", datetime.now(UTC) + timedelta(milliseconds=300))
    async with DeadlineRunner(database, Wall(), "node", fire, poll_s=0.05):
        await asyncio.wait_for(fired.wait(), 5)
