"""The pure part of group commit: what one batch of message appends must write and answer.

A batch holds appends to many conversations, in arrival order. Writing it takes three steps,
whatever the database: look up the client ids already stored, raise each conversation's
``last_seq`` once by the number of its new messages, insert the new messages. ``BatchPlan``
decides everything between those steps without I/O, so the rules are the same as one
``append_message`` after another (see ``chat_server.chats.messages``):

- a client id already stored answers with the stored message, not newly stored;
- a client id repeated inside the batch answers like a resend after the first one;
- a conversation's new messages take the next sequence numbers in arrival order, no gaps;
- a human message stamps ``first_human_reply_at`` once, with the earliest such time;
- a closed (or missing) conversation refuses its own messages only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from chat_server.store.records import StoredMessage


class ConversationClosed(Exception):
    """The conversation has ended: nothing more can be said in it."""


@dataclass(frozen=True)
class AppendRequest:
    """One message to store, as ``append_message`` takes it."""

    conversation_id: str
    author_kind: str
    author_id: int | None
    author_name: str
    body: str
    client_id: str | None
    at: datetime
    first_human_reply: bool = False

    @property
    def key(self) -> tuple[str, str] | None:
        return None if self.client_id is None else (self.conversation_id, self.client_id)


@dataclass(frozen=True)
class Appended:
    """What one append did: the stored message, and whether this request stored it."""

    message: StoredMessage
    created: bool
    # Seconds from the shopper's first message to this reply, when it was the first human one.
    first_human_wait_s: float | None = None


# What one request gets back: what it did, or the error to raise in its caller.
Outcome = Appended | BaseException


@dataclass(frozen=True)
class Bumped:
    """A conversation's row after its bump."""

    last_seq: int
    first_human_reply_at: datetime | None = None
    first_message_at: datetime | None = None


@dataclass(frozen=True)
class SeqBump:
    """Raise a conversation's ``last_seq`` by ``count``; stamp its first human reply."""

    conversation_id: str
    count: int
    human_at: datetime | None


@dataclass(frozen=True)
class NewMessage:
    """A row to insert (``author_id`` is stored but not part of ``StoredMessage``)."""

    message: StoredMessage
    author_id: int | None


class BatchPlan:
    """Steps: ``keys`` → ``found(...)`` → ``bumps`` → ``numbered(...)`` → ``refused(...)``
    for conversations that took no number → ``outcomes()``."""

    def __init__(self, requests: Sequence[AppendRequest]) -> None:
        self.requests = list(requests)
        self._existing: dict[tuple[str, str], StoredMessage] = {}
        self._fresh: list[int] = []  # indexes of requests that store a new message
        self._first_of: dict[int, int] = {}  # index of an in-batch repeat → index of the first
        self._outcomes: dict[int, Outcome] = {}

    @property
    def keys(self) -> list[tuple[str, str]]:
        """(conversation, client id) pairs to look up, each once."""
        return list(dict.fromkeys(k for r in self.requests if (k := r.key) is not None))

    def found(self, stored: Iterable[StoredMessage]) -> None:
        """Record the messages already stored under the looked-up keys."""
        for message in stored:
            if message.client_id is not None:
                self._existing[(message.conversation_id, message.client_id)] = message
        first: dict[tuple[str, str], int] = {}
        for index, request in enumerate(self.requests):
            key = request.key
            if key is not None and key in self._existing:
                self._outcomes[index] = Appended(self._existing[key], False)
            elif key is not None and key in first:
                self._first_of[index] = first[key]
            else:
                if key is not None:
                    first[key] = index
                self._fresh.append(index)

    @functools.cached_property
    def bumps(self) -> list[SeqBump]:
        """One per conversation with new messages, ordered by id (a stable lock order).

        Read after ``found``.
        """
        counts: dict[str, int] = {}
        human: dict[str, datetime] = {}
        for index in self._fresh:
            request = self.requests[index]
            conversation = request.conversation_id
            counts[conversation] = counts.get(conversation, 0) + 1
            if request.first_human_reply and conversation not in human:
                human[conversation] = request.at
        return [SeqBump(c, counts[c], human.get(c)) for c in sorted(counts)]

    def numbered(self, bumped: dict[str, Bumped]) -> list[NewMessage]:
        """Given each bumped conversation's row after the bump, the rows to insert in order.

        A conversation missing from ``bumped`` took no number (closed or gone): its
        requests wait for ``refused``.
        """
        counts = {b.conversation_id: b.count for b in self.bumps}
        next_seq = {c: row.last_seq - counts[c] + 1 for c, row in bumped.items()}
        human_seen: set[str] = set()
        rows: list[NewMessage] = []
        for index in self._fresh:
            request = self.requests[index]
            conversation = request.conversation_id
            if conversation not in next_seq:
                continue
            message = StoredMessage(
                conversation_id=conversation,
                seq=next_seq[conversation],
                author_kind=request.author_kind,
                author_name=request.author_name,
                body=request.body,
                created_at=request.at,
                client_id=request.client_id,
            )
            next_seq[conversation] += 1
            wait = None
            if request.first_human_reply and conversation not in human_seen:
                # The bump stamped this request's time, unless an earlier reply had.
                human_seen.add(conversation)
                row = bumped[conversation]
                if row.first_human_reply_at == request.at and row.first_message_at is not None:
                    wait = max(0.0, (request.at - row.first_message_at).total_seconds())
            self._outcomes[index] = Appended(message, True, wait)
            rows.append(NewMessage(message, request.author_id))
        return rows

    def unnumbered(self) -> list[str]:
        """Conversations whose new messages took no number, each once."""
        return list(
            dict.fromkeys(
                self.requests[i].conversation_id for i in self._fresh if i not in self._outcomes
            )
        )

    def refused(self, conversation_id: str, exists: bool) -> None:
        """Refuse the new messages of a conversation that took no number."""
        for index in self._fresh:
            request = self.requests[index]
            if index not in self._outcomes and request.conversation_id == conversation_id:
                self._outcomes[index] = (
                    ConversationClosed(conversation_id)
                    if exists
                    else LookupError(f"conversation {conversation_id} does not exist")
                )

    def outcomes(self) -> list[Outcome]:
        """One outcome per request, in request order."""
        result: list[Outcome] = []
        for index in range(len(self.requests)):
            first = self._first_of.get(index)
            if first is None:
                result.append(self._outcomes[index])
                continue
            original = self._outcomes[first]
            result.append(
                original
                if isinstance(original, BaseException)
                else Appended(original.message, False)
            )
        return result
