"""What both websocket endpoints share: sending, rate limiting, and in-order exactly-once
delivery of conversation messages.

Live messages arrive from the broker; a socket may miss some (it joined late, the broker
hiccuped) or see them out of order (two nodes stored seq 7 and 8 at once). ``deliver``
keeps, per conversation, the last sequence number this socket sent; anything at or below it
is dropped, and a gap is filled from the database before the later message goes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from chat_server.broker import Inbox, InboxOverflow
from chat_server.broker.base import RESYNC_CHANNEL
from chat_server.delivery.channels import conversation_channel
from chat_server.delivery.fanout import encode
from chat_server.protocol.outgoing import message_frame
from chat_server.runtime import Runtime
from chat_server.store.transcripts import read_transcript
from chat_server.transport.ws_protocol import abort_of

log = logging.getLogger(__name__)

CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_RESYNC = 1012  # "service restart": reconnect, and the welcome carries the full state
OVERFLOW_GRACE_S = 2.0  # an overflowed socket not closed politely by then is reset
CLOSE_TRY_AGAIN = 1013  # over a socket cap or the connection-attempt limit (chat_server/limits)
CLOSE_GONE = 1006  # reported to handlers that send after this side closed the socket
RATE_PER_S = 20.0
RATE_BURST = 40.0


# Frames this layer must look inside (sequence cursors, typing echo, control hooks). Every
# frame is encoded with "type" first and no spaces (delivery/fanout.py::encode).
INSPECTED_PREFIXES = (
    '{"type":"message"',
    '{"type":"typing"',
    '{"type":"status"',
    '{"type":"conversation',  # conversation and conversation_started
    '{"type":"session_ended"',
)


class TokenBucket:
    """Allows ``rate`` frames a second on average with bursts up to ``burst``."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float = RATE_PER_S, burst: float = RATE_BURST) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Connection:
    """One accepted websocket: a send lock, an inbox from the hub and per-conversation cursors.

    Idle sockets are most sockets, so an idle one holds no task besides its reader: the
    writer that drains the inbox is started when something arrives (once ``start_writer``
    has allowed it) and ends when the inbox is empty again.
    """

    __slots__ = (
        "_send_lock",
        "_started",
        "_writer",
        "bucket",
        "cursors",
        "inbox",
        "on_control",
        "on_resync",
        "rt",
        "side",
        "status_versions",
        "websocket",
    )

    def __init__(self, rt: Runtime, websocket: WebSocket, side: str) -> None:
        self.rt = rt
        self.websocket = websocket
        self.side = side  # "visitor" or "operator": whose typing frames to drop
        self.inbox = Inbox(on_ready=self._wake_writer, on_overflow=self._overflowed)
        self._started = False
        self.bucket = TokenBucket()
        self.cursors: dict[str, int] = {}
        # Per conversation, the version of the newest status this socket has shown (its
        # welcome's, or one passed on since): an older status arriving late is dropped.
        self.status_versions: dict[str, int] = {}
        self._send_lock = asyncio.Lock()
        self._writer: asyncio.Task[None] | None = None
        self.on_control: Callable[[str, dict[str, Any]], Awaitable[bool]] | None = None
        # Called when frames may have been lost (a broker outage, a node killed between a
        # commit and its publish): True when it caught up from the database itself, False
        # (or no hook) to close the socket so the client reconnects and is welcomed afresh.
        self.on_resync: Callable[[], Awaitable[bool]] | None = None

    async def send(self, frame: dict[str, Any]) -> None:
        await self.send_text(encode(frame))

    async def send_text(self, text: str) -> None:
        """Send one frame; raises ``WebSocketDisconnect`` once this socket is closed.

        A handler can still be answering a frame when the writer closes the socket (a
        resync, an overflow): its reply is dropped the way a peer's disconnect is, and the
        client's reconnect replays what it needs.
        """
        async with self._send_lock:
            if self.websocket.application_state == WebSocketState.DISCONNECTED:
                raise WebSocketDisconnect(CLOSE_GONE, "the server closed this socket")
            await self.websocket.send_text(text)

    async def close(self, code: int, reason: str) -> None:
        if self.websocket.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await self.websocket.close(code=code, reason=reason)

    def abort(self) -> None:
        """Reset the connection now, when the server offers it (see ``ws_protocol``)."""
        abort = abort_of(self.websocket.scope)
        if abort is not None:
            abort()

    def _overflowed(self) -> None:
        # The writer closes politely when it next takes from the inbox. If it is stuck in a
        # send to a peer that stopped reading it never will, and a polite close could not be
        # written anyway: reset the connection if it is still there after a short grace.
        asyncio.get_running_loop().call_later(OVERFLOW_GRACE_S, self.abort)

    async def receive_text(self) -> str | None:
        """The next text frame; None when the peer went away. Binary frames are refused."""
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        text = message.get("text")
        if text is None:
            raise ValueError("binary frames are not part of the protocol")
        return text

    # --- joining conversations ------------------------------------------------------

    async def join(self, conversation_id: str, known_seq: int) -> None:
        """Listen to a conversation, then send whatever came after ``known_seq``.

        Joining first and reading second leaves no window in which a message is missed;
        anything both read and received live is dropped by the cursor.
        """
        await self.rt.hub.join(conversation_channel(conversation_id), self.inbox)
        self.cursors[conversation_id] = max(known_seq, self.cursors.get(conversation_id, 0))
        await self.fill(conversation_id)

    async def leave(self, conversation_id: str) -> None:
        self.cursors.pop(conversation_id, None)
        await self.rt.hub.leave(conversation_channel(conversation_id), self.inbox)

    async def fill(self, conversation_id: str, up_to: int | None = None) -> None:
        after = self.cursors.get(conversation_id, 0)
        missing = await read_transcript(self.rt.db, conversation_id, after, up_to)
        for message in missing:
            await self.send(message_frame(message))
            self.cursors[conversation_id] = message.seq

    async def fill_tail(self, conversation_id: str, last_seq: Any) -> None:
        """Send what this socket missed up to ``last_seq`` (from a status or close frame).

        A gap is otherwise found only when a later message arrives; the last messages of a
        chat have none after them, so the frame that ends it checks instead.
        """
        cursor = self.cursors.get(conversation_id)
        if cursor is not None and isinstance(last_seq, int) and last_seq > cursor:
            await self.fill(conversation_id, up_to=last_seq)

    def stale_status(self, conversation_id: str, version: Any) -> bool:
        """Whether a status of this ``version`` is older than one already shown; records it
        as the newest otherwise.

        Equal is not older: one step may announce twice (a late tick passes through the
        pool and closes, ``ringing_pool`` then ``closed``, both at the step's version).
        """
        if not isinstance(version, int):
            return False
        if version < self.status_versions.get(conversation_id, -1):
            return True
        self.status_versions[conversation_id] = version
        return False

    # --- delivery -------------------------------------------------------------------

    async def deliver(self, raw: str) -> None:
        if not raw.startswith(INSPECTED_PREFIXES):
            # Rings, cancellations, presence...: passed on as they came. Parsing each ring
            # again on every one of 50 consoles cost more than sending it.
            await self.send_text(raw)
            return
        frame = json.loads(raw)
        kind = frame.get("type")
        if kind == "message":
            conversation_id = frame["conversation"]
            cursor = self.cursors.get(conversation_id)
            if cursor is None or frame["seq"] <= cursor:
                return
            if frame["seq"] > cursor + 1:
                await self.fill(conversation_id, up_to=frame["seq"] - 1)
            await self.send_text(raw)
            self.cursors[conversation_id] = frame["seq"]
            return
        if kind == "typing" and frame.get("from") == self.side:
            return
        if kind == "status":
            if self.stale_status(frame["conversation"], frame.get("version")):
                # Published before a status this socket already has (another node's step
                # overtook it on the way): showing it would put the chat back in time.
                return
            await self.fill_tail(frame["conversation"], frame.get("last_seq"))
        if self.on_control is not None and await self.on_control(kind, frame):
            return
        await self.send_text(raw)

    def _wake_writer(self) -> None:
        if self._started and self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        try:
            while True:
                item = self.inbox.get_nowait()
                if item is None:
                    return  # drained: the next arrival starts a new writer
                channel, raw = item
                if channel == RESYNC_CHANNEL:
                    # Frames (messages, rings, status) may have been lost in a broker outage;
                    # the socket catches up in place, or a reconnect's welcome replays
                    # messages and the current state.
                    if self.on_resync is not None and await self.on_resync():
                        continue
                    self._started = False
                    await self.close(CLOSE_RESYNC, "broker reconnected: please resync")
                    return
                await self.deliver(raw)
        except InboxOverflow:
            # A client that stops reading must not hold memory or stall anyone else.
            self._started = False
            await self.close(CLOSE_POLICY, "too slow: messages were not being read")
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the reader sees the disconnect and cleans up
        except Exception:
            # A frame could not be handled (the database refused a fill, a control hook
            # failed): it is lost for this socket, so the client resyncs, as after an outage.
            log.warning("could not deliver a frame; closing for resync", exc_info=True)
            self._started = False
            await self.close(CLOSE_RESYNC, "delivery failed: please resync")
        finally:
            # No await between the empty inbox and this: an arrival after it sees no writer.
            self._writer = None

    def start_writer(self) -> None:
        """Let frames from the hub flow (after the welcome, so nothing overtakes it)."""
        self._started = True
        if len(self.inbox) or self.inbox.overflowed:
            self._wake_writer()

    async def shutdown(self) -> None:
        self._started = False
        writer = self._writer
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        await self.rt.hub.leave_all(self.inbox)


async def refuse(websocket: WebSocket, code: int, reason: str) -> None:
    """Close a socket the endpoint will not serve, saying why.

    The client may already be gone (it gave up while the database was slow to answer on a
    busy node): then there is nobody to tell, and that is not an error of the server's.
    """
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.close(code=code, reason=reason)
