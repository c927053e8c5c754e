"""Group commit on the real database (SQLite or PostgreSQL, per DEALER_CHAT_TEST_BACKEND)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from chat_server.chats.append_batch import Appended, AppendRequest, ConversationClosed, Outcome
from chat_server.chats.append_batcher import AppendBatcher
from chat_server.chats.append_writers import BatchWriter, writer_for
from chat_server.demo_world import seed_demo
from chat_server.store.database import Database
from chat_server.store.models import Conversation, Dealership, Message, Visitor

T0 = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)
_ids = itertools.count()


async def conversations(db: Database, count: int, state: str = "connected") -> list[str]:
    async with db.sessions() as session, session.begin():
        await seed_demo(session, ["http://localhost"])
        dealership = await session.scalar(select(Dealership.id))
        assert dealership is not None
        visitor = Visitor(
            dealership_id=dealership,
            token_hash=f"{next(_ids):064x}",
            created_at=T0,
            last_seen_at=T0,
        )
        session.add(visitor)
        await session.flush()
        ids = [f"conv{next(_ids):08d}" for _ in range(count)]
        for conversation_id in ids:
            session.add(
                Conversation(
                    id=conversation_id,
                    dealership_id=dealership,
                    visitor_id=visitor.id,
                    state=state,
                    created_at=T0,
                    first_message_at=T0,
                    last_seq=0,
                    ladder={},
                    page={},
                )
            )
    return ids


def visitor_says(conversation: str, client_id: str | None, body: str = "hi") -> AppendRequest:
    return AppendRequest(conversation, "visitor", None, "", body, client_id, T0)


async def stored(db: Database, conversation: str) -> list[tuple[int, str | None, str]]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(Message.seq, Message.client_id, Message.body)
            .where(Message.conversation_id == conversation)
            .order_by(Message.seq)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def writer(db: Database) -> BatchWriter:
    found = writer_for(db)
    assert found is not None, "both test backends have a batch writer"
    return found


async def test_a_client_id_repeated_within_one_batch_is_stored_once(database: Database) -> None:
    (a,) = await conversations(database, 1)
    outcomes = await writer(database).write(
        [visitor_says(a, "x", "first"), visitor_says(a, "y"), visitor_says(a, "x", "resend")]
    )
    assert [(o.message.seq, o.created) for o in outcomes if isinstance(o, Appended)] == [
        (1, True),
        (2, True),
        (1, False),
    ]
    # A later batch finds it in the table.
    (again,) = await writer(database).write([visitor_says(a, "x", "late resend")])
    assert isinstance(again, Appended)
    assert (again.message.seq, again.message.body, again.created) == (1, "first", False)
    assert again.message.created_at == T0
    assert await stored(database, a) == [(1, "x", "first"), (2, "y", "hi")]


async def test_a_closed_or_missing_conversation_refuses_only_its_own_messages(
    database: Database,
) -> None:
    a, b = await conversations(database, 2)
    (closed,) = await conversations(database, 1, state="closed")
    outcomes = await writer(database).write(
        [
            visitor_says(a, "1"),
            visitor_says(closed, "2"),
            visitor_says("nosuchconversation", "3"),
            visitor_says(b, "4"),
            visitor_says(closed, None),
        ]
    )
    kinds = [type(o) for o in outcomes]
    assert kinds == [Appended, ConversationClosed, LookupError, Appended, ConversationClosed]
    assert await stored(database, a) == [(1, "1", "hi")]
    assert await stored(database, b) == [(1, "4", "hi")]
    assert await stored(database, closed) == []


async def test_the_first_human_reply_is_stamped_once_with_its_wait(database: Database) -> None:
    (a,) = await conversations(database, 1)
    staff = [
        AppendRequest(
            a, "staff", None, "Alex", "hello", f"s{n}", T0 + timedelta(seconds=5 + n), True
        )
        for n in range(3)
    ]
    first = await writer(database).write([visitor_says(a, "v"), staff[0], staff[1]])
    later = await writer(database).write([staff[2]])
    waits = [o.first_human_wait_s for o in [*first, *later] if isinstance(o, Appended)]
    assert waits == [None, 5.0, None, None]
    async with database.sessions() as session:
        conversation = await session.get(Conversation, a)
        assert conversation is not None
        assert conversation.first_human_reply_at == T0 + timedelta(seconds=5)
        assert conversation.last_seq == 4


async def test_concurrent_appends_get_gapless_sequences_and_share_transactions(
    database: Database,
) -> None:
    ids = await conversations(database, 12)
    async with AppendBatcher(database) as batcher:
        requests = [
            visitor_says(conversation, f"m{n}", f"{conversation} {n}")
            for n in range(25)
            for conversation in ids
        ]
        # Every tenth message is a resend racing its original.
        resends = requests[::10]
        outcomes = await asyncio.gather(*(batcher.append(r) for r in [*requests, *resends]))
    assert batcher.batches < len(outcomes) / 4  # they were grouped
    assert batcher.fallbacks == 0
    created = [o for o in outcomes if o.created]
    assert len(created) == len(requests)
    by_key = {(o.message.conversation_id, o.message.client_id): o.message.seq for o in created}
    for original, resend in zip(outcomes[len(requests) :], resends, strict=True):
        assert not original.created
        assert original.message.seq == by_key[(resend.conversation_id, resend.client_id)]
    for conversation in ids:
        rows = await stored(database, conversation)
        assert [seq for seq, _, _ in rows] == list(range(1, 26))
        # Seqs follow arrival order within a conversation.
        assert [body for _, _, body in rows] == [f"{conversation} {n}" for n in range(25)]


class FailingOnce:
    """Fails the first batch as a whole (as a lost race or a dropped connection would)."""

    def __init__(self, inner: BatchWriter) -> None:
        self.inner = inner
        self.calls = 0

    async def write(self, requests: Sequence[AppendRequest]) -> list[Outcome]:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("the batch failed")
        return await self.inner.write(requests)


async def test_a_failed_batch_stores_its_messages_one_by_one(database: Database) -> None:
    a, b = await conversations(database, 2)
    (closed,) = await conversations(database, 1, state="closed")
    failing = FailingOnce(writer(database))
    async with AppendBatcher(database, writer=failing) as batcher:
        outcomes = await asyncio.gather(
            batcher.append(visitor_says(a, "1")),
            batcher.append(visitor_says(closed, "2")),
            batcher.append(visitor_says(b, "3")),
            batcher.append(visitor_says(a, "1")),
            return_exceptions=True,
        )
    assert (batcher.batches, batcher.fallbacks) == (1, 1)
    assert isinstance(outcomes[1], ConversationClosed)
    assert [(o.message.seq, o.created) for o in outcomes if isinstance(o, Appended)] == [
        (1, True),
        (1, True),
        (1, False),
    ]
    assert await stored(database, a) == [(1, "1", "hi")]


async def test_one_bad_message_does_not_fail_the_others(database: Database) -> None:
    a, b = await conversations(database, 2)
    # A row the conversation's last_seq does not know of: the batch's insert of seq 1 in
    # ``a`` breaks the unique (conversation, seq) constraint and the whole batch fails.
    async with database.sessions() as session, session.begin():
        await session.execute(
            insert(Message).values(
                conversation_id=a,
                seq=1,
                author_kind="system",
                author_name="",
                body="stray",
                created_at=T0,
            )
        )
    async with AppendBatcher(database) as batcher:
        outcomes = await asyncio.gather(
            batcher.append(visitor_says(b, "1")),
            batcher.append(visitor_says(a, "2")),
            batcher.append(visitor_says(b, "3")),
            return_exceptions=True,
        )
    assert batcher.fallbacks == 1
    # The bad one fails as append_message fails (SQLAlchemy's IntegrityError, which
    # post_message retries once); the others are stored.
    assert isinstance(outcomes[1], IntegrityError)
    assert [(seq, client) for seq, client, _ in await stored(database, b)] == [(1, "1"), (2, "3")]


async def test_appends_after_the_batcher_stopped_are_refused(database: Database) -> None:
    (a,) = await conversations(database, 1)
    async with AppendBatcher(database) as batcher:
        await batcher.append(visitor_says(a, "1"))
    with pytest.raises(RuntimeError):
        await batcher.append(visitor_says(a, "2"))


async def test_two_nodes_batching_into_the_same_conversations_neither_deadlock_nor_gap(
    database: Database,
) -> None:
    ids = await conversations(database, 8)
    async with AppendBatcher(database) as one, AppendBatcher(database) as two:
        # Opposite orders: without a stable lock order, PostgreSQL would detect deadlocks
        # and the batches would fall back to one by one.
        outcomes = await asyncio.gather(
            *(
                node.append(visitor_says(conversation, f"{name}{n}"))
                for n in range(20)
                for node, name, order in ((one, "a", ids), (two, "b", ids[::-1]))
                for conversation in order
            )
        )
    assert all(o.created for o in outcomes)
    assert one.fallbacks == two.fallbacks == 0
    for conversation in ids:
        assert [seq for seq, _, _ in await stored(database, conversation)] == list(range(1, 41))


class Unreachable:
    """A database that times out: every call fails the way a frozen server would."""

    def __init__(self) -> None:
        self.calls = 0

    async def write(self, requests: Sequence[AppendRequest]) -> list[Outcome]:
        self.calls += 1
        raise OperationalError("append batch", None, TimeoutError("frozen"))


async def test_an_unreachable_database_fails_the_whole_batch_at_once(database: Database) -> None:
    a, b = await conversations(database, 2)
    unreachable = Unreachable()
    async with AppendBatcher(database, writer=unreachable) as batcher:
        outcomes = await asyncio.gather(
            *(batcher.append(visitor_says(c, f"{c}{n}")) for n in range(3) for c in (a, b)),
            return_exceptions=True,
        )
    # No waiting out the same failure once per message: one attempt, everyone refused.
    assert (unreachable.calls, batcher.fallbacks) == (1, 0)
    assert all(isinstance(o, OperationalError) for o in outcomes)
    assert await stored(database, a) == await stored(database, b) == []
