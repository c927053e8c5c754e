"""Chaos clients: shoppers and operators that reconnect through nginx and keep a ledger.

They behave like the widget and the console: on any lost socket they reconnect (a shopper
sends its last seen ``seq``), backing off as those do (0.5 s doubling to 10 s, with jitter), and
they resend every unacknowledged message with the same ``client_id`` until it is acked, 1.5 s
after an ``unavailable`` refusal as the widget does. Retrying faster than the real clients
would make a reconnect storm the real ones never cause. Every frame they receive is
recorded, so the test can check afterwards that each acked message reached both sides
exactly once and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from chat_server.demo_world import DEMO_SITE_KEY
from tests.support.clients import sign_in_cookie
from tests.support.pacing import Pacer

LOST = (OSError, TimeoutError, WebSocketException)


# Liveness bounds: how long a shopper keeps trying to be welcomed, and to get one message
# acked, before the run fails. The widget never gives up; a busy machine (a CPU hog on each
# core, a node restarting into a reconnect storm) can take tens of seconds.
CONNECT_BOUND_S, ACK_BOUND_S = 90, 120
UNAVAILABLE_RETRY_S = 1.5  # widget/chat-ui.js: resend the queue 1.5 s after "unavailable"


def backoff(attempt: int) -> float:
    """The widget's and the console's reconnect delay after ``attempt`` failed tries."""
    base = min(10.0, 0.5 * 2**attempt)
    return base / 2 + random.random() * base / 2


class Lost(Exception):
    """The socket went away (node killed, broker resync, nginx)."""


@dataclass
class Ledger:
    """What the clients were told: acks, and how often they had to reconnect."""

    acked: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # id -> conv, seq, body
    reconnects: int = 0
    unavailable: int = 0
    resends: int = 0
    odd_errors: list[dict[str, Any]] = field(default_factory=list)
    rings: int = 0  # ring frames the consoles got
    accepts: int = 0  # accepts they sent
    at_capacity: int = 0  # rings left alone because the console was full


async def _recv(socket: ClientConnection, timeout: float) -> dict[str, Any] | None:
    try:
        raw = await asyncio.wait_for(socket.recv(), timeout)
    except TimeoutError:
        return None
    except LOST as error:
        raise Lost(repr(error)) from error
    frame: dict[str, Any] = json.loads(raw)
    return frame


class Shopper:
    """One shopper: asks, waits for a person, chats, says bye, waits for the close."""

    def __init__(self, index: int, ws_url: str, origin: str, ledger: Ledger) -> None:
        self.index = index
        self.url = f"{ws_url}/ws/visitor?site={DEMO_SITE_KEY}"
        self.origin = origin
        self.ledger = ledger
        self.token: str | None = None
        self.conversation: str | None = None
        # Per conversation: a shopper who writes after their chat closed starts a new one, and
        # the old chat's "closed" must not end the script while the new one is still going.
        self.states: dict[str, str | None] = {}
        self.seqs: dict[str, list[int]] = {}
        self.bodies: dict[tuple[str, int], str] = {}
        self.acks: dict[str, int] = {}
        self.last_error: str | None = None
        self.socket: ClientConnection | None = None
        self.finished = False
        self.sent_bye = False
        self.bye_acked_at = ""
        self.closed_after_calm = False  # saw the close only after the faults stopped
        self.welcomes: list[str] = []  # when each (re)connect was welcomed, for a failed run
        self.trace: list[str] = []  # how each message seq arrived, for a failed run

    @property
    def state(self) -> str | None:
        """The state of the chat the shopper is in now (the last one acked or welcomed)."""
        return self.states.get(self.conversation or "")

    # --- connection -------------------------------------------------------------------

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONNECT_BOUND_S
        attempt = 0
        while True:
            try:
                socket = await connect(self.url, origin=self.origin, open_timeout=5)  # type: ignore[arg-type]
                last = max(self.seqs.get(self.conversation or "", [0]), default=0)
                await socket.send(
                    json.dumps(
                        {
                            "type": "hello",
                            "visitor": self.token,
                            "conversation": self.conversation,
                            "last_seq": last,
                            "page": {"url": self.origin + "/", "title": "RAV4", "referrer": ""},
                            "vehicle": None,
                        }
                    )
                )
                while True:
                    frame = await _recv(socket, 10)
                    if frame is None:
                        raise Lost("no welcome")
                    self._on_frame(frame)
                    if frame["type"] == "welcome":
                        self.welcomes.append(time.strftime("%X"))
                        self.socket = socket
                        return
            except (Lost, *LOST):
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(backoff(attempt))
                attempt += 1

    async def _reconnect(self) -> None:
        self.ledger.reconnects += 1
        if self.socket is not None:
            await self.socket.close()
        self.socket = None
        await self._connect()

    def _on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "welcome":
            self.token = frame["visitor"]
            if frame["conversation"]:
                self.conversation = frame["conversation"]
                self.states[frame["conversation"]] = frame["state"]
            self.trace.append(
                f"{time.strftime('%X')} welcome {frame['conversation']} "
                f"{[m['seq'] for m in frame['messages']]}"
            )
            for message in frame["messages"]:
                self._on_frame({**message, "type": "message", "in_welcome": True})
        elif kind == "message":
            conv = frame["conversation"]
            # Like the widget (``adopt`` in widget/chat-ui.js): a message of a chat that has
            # not ended makes it the one shown, so the first frame of a new chat tells us its
            # id when the ack is lost, even while an older, closed chat was still shown.
            # (Keeping the old id, a reconnect named the closed chat in its hello, and the
            # resent first message then joined the new one from seq 0: seq 1 twice.)
            # Only a chat not seen before: a late frame of the older chat (another channel,
            # maybe another node) must not switch back to it.
            if conv not in self.seqs and self.states.get(conv) != "closed":
                self.conversation = conv
            self.seqs.setdefault(conv, []).append(frame["seq"])
            if not frame.get("in_welcome"):
                self.trace.append(f"{time.strftime('%X')} message {conv} {frame['seq']}")
            self.bodies[(conv, frame["seq"])] = frame["body"]
        elif kind == "status":
            self.states[frame["conversation"]] = frame["state"]
        elif kind == "ack":
            self.trace.append(f"{time.strftime('%X')} ack {frame['conversation']} {frame['seq']}")
            self.acks[frame["client_id"]] = frame["seq"]
            self.conversation = frame["conversation"]
        elif kind == "error":
            self.last_error = frame["code"]
            if frame["code"] == "unavailable":
                self.ledger.unavailable += 1
            elif frame["code"] != "closed":
                self.ledger.odd_errors.append(frame)

    # --- actions ----------------------------------------------------------------------

    async def _send(self, frame: dict[str, Any]) -> None:
        assert self.socket is not None
        try:
            await self.socket.send(json.dumps(frame))
        except LOST as error:
            raise Lost(repr(error)) from error

    async def say(self, client_id: str, body: str) -> bool:
        """Send until acked (True) or refused because the chat closed (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ACK_BOUND_S
        while loop.time() < deadline:
            self.last_error = None
            try:
                await self._send({"type": "message", "client_id": client_id, "body": body})
                until = loop.time() + 8
                while loop.time() < until:
                    frame = await _recv(self.socket, 1)  # type: ignore[arg-type]
                    if frame is not None:
                        self._on_frame(frame)
                    if client_id in self.acks:
                        conv = self.conversation or ""
                        self.ledger.acked[client_id] = (conv, self.acks[client_id], body)
                        return True
                    if self.last_error == "closed":
                        return False
                    if self.last_error == "unavailable":
                        await asyncio.sleep(UNAVAILABLE_RETRY_S)
                        break
            except Lost:
                await self._reconnect()
            self.ledger.resends += 1
        raise AssertionError(f"shopper {self.index}: {client_id} never acked")

    async def wait_state(self, states: set[str], timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.state not in states:
            if loop.time() > deadline:
                return False
            try:
                frame = await _recv(self.socket, 1)  # type: ignore[arg-type]
                if frame is not None:
                    self._on_frame(frame)
            except Lost:
                await self._reconnect()
        return True

    async def run(self, delay: float, calm: asyncio.Event) -> None:
        """The script; ``calm`` is set once the faults have stopped."""
        await asyncio.sleep(delay)
        await self._connect()
        await self.say(f"v{self.index}-0", f"Hi, is stock #{self.index} still available?")
        await self.wait_state({"connected", "lead_capture", "closed"}, 40)
        if self.state == "connected":
            for k in range(1, 4):
                await asyncio.sleep(0.2 + random.random() * 0.6)
                if self.state == "closed":
                    break  # the chat ended (e.g. its grace ran out while reconnecting)
                if not await self.say(f"v{self.index}-{k}", f"question {k} from {self.index}"):
                    break
            else:
                self.sent_bye = await self.say(f"v{self.index}-bye", "bye")
                self.bye_acked_at = time.strftime("%X")
        elif self.state == "lead_capture" and self.index % 2 == 0:
            await self._send_contact()
        self.finished = await self.wait_state({"closed"}, 45)
        if not self.finished:
            # A close can wait on the faults: the console that sends it is made to reconnect
            # by every node restart, and what it had sent but the node had not yet read is
            # sent again after the next welcome. Once the faults stop it must come soon.
            await calm.wait()
            self.closed_after_calm = self.finished = await self.wait_state({"closed"}, 30)
        # Linger a moment: anything published with the close must still arrive exactly once.
        end = asyncio.get_running_loop().time() + 0.5
        while asyncio.get_running_loop().time() < end:
            try:
                frame = await _recv(self.socket, 0.2)  # type: ignore[arg-type]
                if frame is not None:
                    self._on_frame(frame)
            except Lost:
                break
        if self.socket is not None:
            await self.socket.close()

    async def _send_contact(self) -> None:
        frame = {
            "type": "contact",
            "name": f"Shopper {self.index}",
            "phone": f"312555{self.index:04d}",
            "email": f"shopper{self.index}@example.com",
            "preferred_time": "morning",
            "consent": True,
        }
        try:
            await self._send(frame)
        except Lost:
            await self._reconnect()


class Operator:
    """One console: accepts rings up to its capacity, answers every shopper line, closes on bye."""

    def __init__(self, email: str, base_url: str, ledger: Ledger, capacity: int = 5) -> None:
        self.email = email
        self.base_url = base_url
        self.ledger = ledger
        self.capacity = capacity
        self.id: int | None = None
        self.owned: dict[str, list[int]] = {}
        self.sessions: dict[str, list[list[int]]] = {}
        self.closed_seen: set[str] = set()
        self.pending: dict[str, dict[str, Any]] = {}
        self.bye_replies: dict[str, str] = {}
        self.closing: set[str] = set()
        self.shift_closed: set[str] = set()
        # Per conversation, what the server answered that the script does not act on: what a
        # failed run needs to tell a lost frame from a refused one.
        self.errors: dict[str, list[str]] = {}
        self.accepting: set[str] = set()  # accepts sent, not yet answered
        self.drops: list[str] = []  # when and why the socket was lost, for a failed run
        self.pacer = Pacer()
        self.socket: ClientConnection | None = None
        self.stopping = asyncio.Event()
        self.ending = False

    async def sign_in(self) -> str:
        for attempt in range(5):
            try:
                return await sign_in_cookie(self.base_url, self.email)
            except Exception:  # password hashing is slow on a busy machine: try again
                if attempt == 4:
                    raise
                await asyncio.sleep(1)
        raise AssertionError("unreachable")

    async def run(self, cookie: str) -> None:
        ws_url = self.base_url.replace("http://", "ws://") + "/ws/console"
        first = True
        attempt = 0
        while not self.stopping.is_set():
            try:
                self.socket = await connect(
                    ws_url,
                    origin=self.base_url,  # type: ignore[arg-type]
                    additional_headers={"Cookie": cookie},
                    open_timeout=5,
                )
                if not first:
                    self.ledger.reconnects += 1
                first = False
                self.pacer = Pacer()  # the server's frame budget is per socket
                await self._send({"type": "presence", "status": "available"})
                attempt = 0
                while not self.stopping.is_set():
                    frame = await _recv(self.socket, 0.5)
                    if frame is not None:
                        await self._on_frame(frame)
            except (Lost, *LOST) as error:
                self.drops.append(f"{time.strftime('%X')} {str(error)[:80]}")
                await asyncio.sleep(backoff(attempt))
                attempt += 1
        if self.socket is not None:
            await self.socket.close()

    async def _send(self, frame: dict[str, Any]) -> None:
        # Paced like a person at a console: a welcome answered with a burst of accepts and
        # resends went past the server's per-socket limit, which closed the socket (1008)
        # before the close at the end of the burst was read, on every reconnect.
        await self.pacer.wait()
        assert self.socket is not None
        try:
            await self.socket.send(json.dumps(frame))
        except LOST as error:
            raise Lost(repr(error)) from error

    def _session(self, conv: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seqs = [m["seq"] for m in messages]
        self.owned[conv] = seqs
        self.sessions.setdefault(conv, []).append(seqs)
        return messages

    async def _on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "welcome":
            self.id = frame["operator"]["id"]
            self.owned.clear()
            self.accepting.clear()
            # Like a person back at the console: finish what was started (the closes, then
            # the replies still unacknowledged) before answering anyone new. Each frame waits
            # behind the ones before it, and on a busy node a few accepts take seconds: a
            # close sent last was cut off by the next resync, again and again.
            for conversation in frame["conversations"]:
                self._session(conversation["id"], conversation["messages"])
            for conv in self.closing & set(self.owned):
                await self._send({"type": "close", "conversation": conv})
            for pending in list(self.pending.values()):
                self.ledger.resends += 1
                await self._send(pending)
            for conversation in frame["conversations"]:
                for message in conversation["messages"]:
                    await self._maybe_reply(conversation["id"], message)
            if self.ending:
                await self._end_all()
            for ring in frame["rings"]:
                await self._on_frame({**ring, "type": "ring"})
        elif kind == "ring":
            conv = frame["conversation"]
            # Capacity counts the accepts still unanswered, as a person would not take a
            # sixth chat while five accepts are on their way.
            busy = len(self.owned) + len(self.accepting)
            self.ledger.rings += 1
            if not self.ending and busy < self.capacity and conv not in self.accepting:
                self.accepting.add(conv)
                self.ledger.accepts += 1
                await self._send({"type": "accept", "conversation": conv})
            elif busy >= self.capacity:
                self.ledger.at_capacity += 1
        elif kind == "ring_cancelled":
            # Whoever won, the ring is over: a won accept is followed by a conversation frame.
            self.accepting.discard(frame["conversation"])
        elif kind == "conversation":
            conv = frame["id"]
            self.accepting.discard(conv)
            mine = (frame.get("owner") or {}).get("id") == self.id
            if mine and frame["state"] == "connected" and "messages" in frame:
                for message in self._session(conv, frame["messages"]):
                    await self._maybe_reply(conv, message)
            elif frame["state"] == "closed" and conv in self.owned:
                del self.owned[conv]
                self.closed_seen.add(conv)
        elif kind == "message":
            conv = frame["conversation"]
            if conv in self.owned:
                self.owned[conv].append(frame["seq"])
                await self._maybe_reply(conv, frame)
        elif kind == "ack":
            pending = self.pending.pop(frame["client_id"], None)
            if pending is not None:
                conv = pending["conversation"]
                self.ledger.acked[frame["client_id"]] = (conv, frame["seq"], pending["body"])
                if frame["client_id"] in self.bye_replies and conv in self.owned:
                    self.closing.add(conv)
                    await self._send({"type": "close", "conversation": conv})
        elif kind == "error":
            self.accepting.discard(frame.get("conversation") or "")
            if frame["code"] == "unavailable":
                # As the console does (resendUnfinished in console.js): the replies still
                # unacknowledged, and the closes of chats still open.
                self.ledger.unavailable += 1
                await asyncio.sleep(UNAVAILABLE_RETRY_S)
                for pending in list(self.pending.values()):
                    self.ledger.resends += 1
                    await self._send(pending)
                for conv in self.closing & set(self.owned):
                    await self._send({"type": "close", "conversation": conv})
            elif frame["code"] not in ("taken", "closed", "not_allowed", "no_conversation"):
                self.ledger.odd_errors.append(frame)
            self.errors.setdefault(frame.get("conversation") or "", []).append(
                f"{time.strftime('%X')} {frame['code']}: {frame.get('message', '')}"
            )

    async def _maybe_reply(self, conv: str, message: dict[str, Any]) -> None:
        if message["author"]["kind"] != "visitor" or self.ending:
            return
        client_id = f"r-{conv}-{message['seq']}"
        if client_id in self.ledger.acked or client_id in self.pending:
            return
        body = "bye, thanks for chatting" if message["body"] == "bye" else f"re {message['seq']}"
        if message["body"] == "bye":
            self.bye_replies[client_id] = conv
        frame = {"type": "message", "conversation": conv, "client_id": client_id, "body": body}
        self.pending[client_id] = frame
        await self._send(frame)

    async def _end_all(self) -> None:
        for conv in list(self.owned):
            self.shift_closed.add(conv)
            await self._send({"type": "close", "conversation": conv})

    async def end_shift(self) -> None:
        """Close whatever is still open (should be nothing), then sign off."""
        self.ending = True
        # A lost socket is fine: the reconnect's welcome closes them.
        with contextlib.suppress(Lost, AssertionError):
            await self._end_all()
        for _ in range(50):
            if not self.owned:
                break
            await asyncio.sleep(0.1)
        self.stopping.set()
