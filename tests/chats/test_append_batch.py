"""``BatchPlan`` against a model: one batch answers exactly as appends one after another."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chat_server.chats.append_batch import (
    Appended,
    AppendRequest,
    BatchPlan,
    Bumped,
    ConversationClosed,
)
from chat_server.store.records import StoredMessage

T0 = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)
CONVERSATIONS = ("a", "b", "c", "closed", "gone")


def stored(conversation: str, client_id: str, seq: int) -> StoredMessage:
    return StoredMessage(conversation, seq, "visitor", "", "old", T0, client_id)


requests = st.lists(
    st.builds(
        lambda conversation, client, human, n: AppendRequest(
            conversation_id=conversation,
            author_kind="staff" if human else "visitor",
            author_id=None,
            author_name="",
            body=f"body {n}",
            client_id=None if client is None else f"c{client}",
            at=T0 + timedelta(seconds=n),
            first_human_reply=human,
        ),
        st.sampled_from(CONVERSATIONS),
        st.none() | st.integers(0, 4),
        st.booleans(),
        st.integers(0, 1000),
    ),
    max_size=30,
)


def sequential(
    batch: list[AppendRequest], existing: dict[tuple[str, str], StoredMessage], last: dict[str, int]
) -> list[object]:
    """The rules of ``append_message``, one request after another."""
    existing, last = dict(existing), dict(last)
    answers: list[object] = []
    for request in batch:
        key = request.key
        if key is not None and key in existing:
            answers.append((existing[key].seq, False))
        elif request.conversation_id == "closed":
            answers.append(ConversationClosed)
        elif request.conversation_id == "gone":
            answers.append(LookupError)
        else:
            last[request.conversation_id] += 1
            seq = last[request.conversation_id]
            if key is not None:
                existing[key] = stored(request.conversation_id, key[1], seq)
            answers.append((seq, True))
    return answers


@given(requests, st.sets(st.tuples(st.sampled_from(("a", "b", "closed")), st.integers(0, 4))))
def test_a_batch_answers_like_appends_one_after_another(
    batch: list[AppendRequest], already: set[tuple[str, int]]
) -> None:
    last = {"a": 10, "b": 0, "c": 3, "closed": 7}
    existing = {(c, f"c{n}"): stored(c, f"c{n}", n + 1) for c, n in already}
    plan = BatchPlan(batch)
    assert set(plan.keys) == {r.key for r in batch if r.key is not None}
    plan.found(existing[k] for k in plan.keys if k in existing)
    # The database's part: bump each open conversation, refuse closed and missing ones.
    bumped = {
        b.conversation_id: Bumped(last[b.conversation_id] + b.count)
        for b in plan.bumps
        if b.conversation_id in ("a", "b", "c")
    }
    assert [b.conversation_id for b in plan.bumps] == sorted(
        {b.conversation_id for b in plan.bumps}
    )
    rows = plan.numbered(bumped)
    for conversation in plan.unnumbered():
        plan.refused(conversation, exists=conversation == "closed")
    answers = []
    for outcome in plan.outcomes():
        if isinstance(outcome, BaseException):
            answers.append(type(outcome))
        else:
            assert isinstance(outcome, Appended)
            answers.append((outcome.message.seq, outcome.created))
    assert answers == sequential(batch, existing, last)
    # Exactly the newly stored messages are inserted, gapless after each last_seq.
    assert sorted((r.message.conversation_id, r.message.seq) for r in rows) == sorted(
        (r.conversation_id, s)
        for r, a in zip(batch, answers, strict=True)
        if isinstance(a, tuple) and a[1]
        for s in (a[0],)
    )
    for conversation, row in bumped.items():
        seqs = sorted(r.message.seq for r in rows if r.message.conversation_id == conversation)
        assert seqs == list(range(last[conversation] + 1, row.last_seq + 1))


def test_the_first_human_reply_of_a_batch_is_stamped_and_timed_once() -> None:
    first_message_at = T0 - timedelta(seconds=42)
    batch = [
        AppendRequest("a", "visitor", None, "", "hi", "v1", T0),
        AppendRequest("a", "staff", 7, "Alex", "hello", "s1", T0 + timedelta(seconds=1), True),
        AppendRequest("a", "staff", 7, "Alex", "again", "s2", T0 + timedelta(seconds=2), True),
    ]
    plan = BatchPlan(batch)
    plan.found([])
    (bump,) = plan.bumps
    assert (bump.count, bump.human_at) == (3, T0 + timedelta(seconds=1))
    plan.numbered({"a": Bumped(3, T0 + timedelta(seconds=1), first_message_at)})
    waits = [o.first_human_wait_s for o in plan.outcomes() if isinstance(o, Appended)]
    assert waits == [None, 43.0, None]
