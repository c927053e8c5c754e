"""What the single-failure tests share: protocol peers that keep a ledger, and DB read-backs.

A :class:`Peer` wraps one protocol socket (shopper or console) with a background reader, so
a test can send continuously while recording every ``message`` frame that arrives, when it
arrives, and on which socket session. Sends are answered one at a time (the protocol's
``error`` frame names no ``client_id``), so each send's outcome is unambiguous.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from chat_server.store.database import open_database
from chat_server.store.models import Deadline, Message
from tests.support.clients import FrameClient, console, visitor

LOST = (OSError, TimeoutError, ConnectionClosed)


@dataclass
class Outcome:
    """How one send ended: ``acked`` (with its seq), ``refused`` (error code), ``lost``
    (the socket closed before an answer) or ``timeout`` (no answer at all: a hang)."""

    kind: str
    seq: int | None = None
    code: str | None = None
    latency: float = 0.0
    conversation: str | None = None  # the chat a refusal named (console socket)


@dataclass
class Arrival:
    seq: int
    body: str
    at: float  # time.monotonic() when the frame was read
    session: int


@dataclass
class Peer:
    """One side of a chat: its current socket, and every message of ``conversation`` seen."""

    label: str
    conversation: str
    arrivals: list[Arrival] = field(default_factory=list)
    sessions: int = 0
    close_codes: list[int | None] = field(default_factory=list)
    socket: ClientConnection | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None
    _answer: asyncio.Future[dict[str, Any]] | None = None

    def attach(self, client: FrameClient, backlog: list[dict[str, Any]]) -> None:
        """Start reading a fresh socket; ``backlog`` is what its welcome replayed."""
        self.sessions += 1
        self.socket = client.socket
        self.closed = asyncio.Event()
        for frame in backlog:
            self._record(frame)
        self._reader = asyncio.create_task(self._read(client.socket, self.sessions))

    def _record(self, frame: dict[str, Any]) -> None:
        if frame.get("conversation", self.conversation) == self.conversation:
            self.arrivals.append(
                Arrival(frame["seq"], frame["body"], time.monotonic(), self.sessions)
            )

    async def _read(self, socket: ClientConnection, session: int) -> None:
        try:
            async for raw in socket:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "message":
                    self._record(frame)
                elif kind == "conversation" and frame.get("id") == self.conversation:
                    for message in frame.get("messages", []):
                        self._record(message)
                elif kind in ("ack", "error") and self._answer and not self._answer.done():
                    self._answer.set_result(frame)
        except LOST:
            pass
        finally:
            self.close_codes.append(socket.close_code)
            if self._answer is not None and not self._answer.done():
                self._answer.set_result({"type": "lost"})
            if self.socket is socket:
                self.closed.set()

    async def send(self, frame: dict[str, Any], timeout: float) -> Outcome:
        """Send one frame and wait for its ack or error (at most ``timeout`` seconds)."""
        started = time.monotonic()
        self._answer = asyncio.get_running_loop().create_future()
        try:
            assert self.socket is not None
            await self.socket.send(json.dumps(frame))
            answer = await asyncio.wait_for(asyncio.shield(self._answer), timeout)
        except TimeoutError:
            return Outcome("timeout", latency=time.monotonic() - started)
        except LOST:
            return Outcome("lost", latency=time.monotonic() - started)
        finally:
            self._answer = None
        latency = time.monotonic() - started
        if answer["type"] == "ack":
            return Outcome("acked", seq=answer["seq"], latency=latency)
        if answer["type"] == "error":
            return Outcome(
                "refused",
                code=answer["code"],
                latency=latency,
                conversation=answer.get("conversation"),
            )
        return Outcome("lost", latency=latency)

    def seqs(self, session: int | None = None) -> list[int]:
        return [a.seq for a in self.arrivals if session is None or a.session == session]

    def first_arrival(self, seq: int) -> Arrival | None:
        return next((a for a in self.arrivals if a.seq == seq), None)

    async def close(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(*LOST):
                await self.socket.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


def assert_gapless_sessions(peer: Peer) -> None:
    """Within each socket session the peer saw consecutive seqs, each once, in order."""
    for session in range(1, peer.sessions + 1):
        seqs = peer.seqs(session)
        if seqs:
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), (peer.label, session, seqs)


async def stored_messages(database_url: str, conversation: str) -> list[tuple[int, str, str]]:
    """``(seq, client_id, body)`` of every stored message of ``conversation``, by seq."""
    async with open_database(database_url) as db, db.sessions() as session:
        rows = await session.execute(
            sa.select(Message.seq, Message.client_id, Message.body)
            .where(Message.conversation_id == conversation)
            .order_by(Message.seq)
        )
        return [(seq, client_id or "", body) for seq, client_id, body in rows]


async def deadline_of(database_url: str, key: str) -> float | None:
    """The stored ``fire_at`` of a durable deadline as a UNIX timestamp (None if absent)."""
    async with open_database(database_url) as db, db.sessions() as session:
        fire_at = await session.scalar(sa.select(Deadline.fire_at).where(Deadline.key == key))
    return fire_at.timestamp() if fire_at is not None else None


@dataclass
class Chat:
    """A conversation a salesperson has accepted: the shopper's and the console's peers."""

    conversation: str
    visitor_token: str
    shopper: Peer
    operator: Peer


async def open_console(base_url: str, email: str) -> FrameClient:
    """A signed-in console socket, set available."""
    client, _ = await console(base_url, email)
    await client.send({"type": "presence", "status": "available"})
    return client


async def connected_chat(shopper_ws: str, origin: str, operator: FrameClient) -> Chat:
    """The shopper (on ``shopper_ws``) asks; ``operator`` accepts the ring; both start reading."""
    shopper_client, welcome = await visitor(shopper_ws, origin)
    await shopper_client.send({"type": "message", "client_id": "first", "body": "Hi there"})
    ack = await shopper_client.expect_keeping("ack", client_id="first")
    conversation = ack["conversation"]
    await operator.expect("ring", conversation=conversation)
    await operator.send({"type": "accept", "conversation": conversation})
    accepted = await operator.expect("conversation", id=conversation, state="connected")
    shopper = Peer("shopper", conversation)
    # The shopper's own first message came back as a message frame (it joined the channel).
    shopper.attach(shopper_client, [f for f in shopper_client.seen if f["type"] == "message"])
    staff = Peer("operator", conversation)
    staff.attach(operator, accepted.get("messages", []))
    return Chat(conversation, welcome["visitor"], shopper, staff)


async def reconnect_shopper(chat: Chat, shopper_ws: str, origin: str, timeout: float) -> None:
    """Open a new shopper socket resuming after the last seq it saw (as the widget does)."""
    end = time.monotonic() + timeout
    while True:
        try:
            client, welcome = await visitor(
                shopper_ws,
                origin,
                token=chat.visitor_token,
                conversation=chat.conversation,
                last_seq=max(chat.shopper.seqs(), default=0),
            )
            chat.shopper.attach(client, welcome["messages"])
            return
        except (*LOST, AssertionError):
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.2)


async def reconnect_console(chat: Chat, base_url: str, email: str, timeout: float) -> None:
    """Open a new console socket; its welcome replays the owned conversation."""
    end = time.monotonic() + timeout
    while True:
        try:
            client = await open_console(base_url, email)
            break
        except (*LOST, AssertionError):
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.2)
    welcome = next(f for f in client.seen if f["type"] == "welcome")
    backlog = [
        message
        for conversation in welcome["conversations"]
        if conversation["id"] == chat.conversation
        for message in conversation["messages"]
    ]
    chat.operator.attach(client, backlog)


# These tests exercise failures, not the abuse limits: a shopper here sends far more than the
# 60 messages a minute a real one may (chat_server/limits/).
NO_VISITOR_LIMIT = {"DEALER_CHAT_LIMIT_VISITOR_MESSAGES": "off"}
