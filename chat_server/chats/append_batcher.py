"""Group commit for chat messages: appends from many sockets share one transaction.

Each caller enqueues its message and awaits a future; one writer task takes whatever has
queued up (up to ``max_batch``), writes it in one transaction, commits once and only then
resolves the futures, so an ack still means "stored". Under light load a batch is one
message and costs what a lone append did; under heavy load the queue fills while a batch is
being written, so batches grow exactly when the per-transaction cost matters. With SQLite
(one writer at a time anyway) this turns N transactions, N x 3 statements and N x 4 thread
hops into one transaction and one thread hop.

When a batch breaks a constraint (a duplicate client id that raced another node), each of
its messages is stored again on its own through ``append_message``, so one bad message
cannot fail the others and callers see the same exceptions as before. When the database is
unreachable, every message of the batch fails at once with the same error (callers answer
"unavailable"; nothing of the batch was stored). Closed and missing conversations are not
failures of the batch: they refuse only their own messages.

Owned by the app's lifespan (``async with AppendBatcher(db) as appends``); on exit it
writes what is still queued, then stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType

from sqlalchemy.exc import SQLAlchemyError

from chat_server.chats.append_batch import Appended, AppendRequest, Outcome
from chat_server.chats.append_writers import BatchRejected, BatchWriter, writer_for
from chat_server.chats.messages import append_message
from chat_server.observability.tally import Tally
from chat_server.store.database import Database

log = logging.getLogger(__name__)

_Item = tuple[AppendRequest, "asyncio.Future[Appended]"]


class AppendBatcher:
    def __init__(
        self, db: Database, *, max_batch: int = 512, writer: BatchWriter | None = None
    ) -> None:
        self.db = db
        self.max_batch = max_batch
        self.writer = writer if writer is not None else writer_for(db)
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # counters for tests and the benchmark notes
        self.appends = 0
        self.fallbacks = 0

    async def __aenter__(self) -> AppendBatcher:
        self._task = asyncio.create_task(self._run(), name="append-batcher")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task, self._task = self._task, None  # refuse new appends from here on
        if task is None:
            return
        # Write what callers are still waiting for, then stop.
        drained = asyncio.ensure_future(self._queue.join())
        await asyncio.wait({drained, task}, return_when=asyncio.FIRST_COMPLETED)
        for pending in (drained, task):
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending
        while not self._queue.empty():
            _, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(RuntimeError("the message store has stopped"))

    async def append(self, request: AppendRequest) -> Appended:
        """Store one message; returns what was stored once it is committed.

        Raises ``ConversationClosed``, ``LookupError`` or SQLAlchemy's errors, as
        ``append_message`` does.
        """
        if self._task is None or self._task.done():
            raise RuntimeError("the append batcher is not running")
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((request, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                outcomes: list[Outcome] = await self._write([r for r, _ in batch])
            except Exception as error:  # a bug: fail this batch's callers, never hang them
                log.exception("append batch failed")
                outcomes = [error] * len(batch)
            except BaseException:  # cancelled mid-batch: nothing was acked
                for _, future in batch:
                    if not future.done():
                        future.set_exception(RuntimeError("the message store has stopped"))
                    self._queue.task_done()
                raise
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():  # the caller may have given up (socket closed)
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
                self._queue.task_done()

    async def _write(self, requests: list[AppendRequest]) -> list[Outcome]:
        self.batches += 1
        self.appends += len(requests)
        if self.writer is None:
            return [await self._alone(request) for request in requests]
        try:
            return await self.writer.write(requests)
        except (SQLAlchemyError, OSError) as error:
            # The database is unreachable or timed out: every message of the batch would wait
            # out the same failure one after another. Refuse them all now; nothing was stored
            # (the transaction never committed), and clients resend with the same client id.
            log.warning("batch of %d appends failed: %r", len(requests), error)
            return [error] * len(requests)
        except BatchRejected as error:
            log.info("batch of %d appends rejected (%r): one by one", len(requests), error)
        except Exception:  # a bug in the fast path: the slow path still stores the messages
            log.exception("batch of %d appends failed: one by one", len(requests))
        self.fallbacks += 1
        return [await self._alone(request) for request in requests]

    async def _alone(self, request: AppendRequest) -> Outcome:
        """One append in its own transaction, through the SQLAlchemy path."""
        tally = Tally()
        try:
            async with self.db.sessions() as session, session.begin():
                message, created = await append_message(
                    session,
                    request.conversation_id,
                    author_kind=request.author_kind,
                    author_id=request.author_id,
                    author_name=request.author_name,
                    body=request.body,
                    client_id=request.client_id,
                    at=request.at,
                    first_human_reply=request.first_human_reply,
                    tally=tally,
                )
        except Exception as error:
            return error
        waits = tally.first_human_waits
        return Appended(message, created, waits[0] if waits else None)
