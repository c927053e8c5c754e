"""The operator's websocket, ``/ws/console`` (docs/protocol.md), authenticated by session cookie."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError
from starlette.websockets import WebSocket, WebSocketDisconnect

from chat_server.accounts.operators import OperatorView
from chat_server.accounts.sessions import current_operator
from chat_server.broker import BrokerUnavailable
from chat_server.chats import operator_desk
from chat_server.chats.contact_saving import give_contact
from chat_server.chats.conversations import post_message
from chat_server.chats.ladder_shell import ConversationNotFound
from chat_server.chats.messages import ConversationClosed
from chat_server.chats.operator_desk import (
    BadColleague,
    NoSuchConversation,
    NotAllowed,
    Target,
)
from chat_server.chats.presence import BadShiftEnd, set_offline
from chat_server.chats.roster_changes import RosterSweep, choose_presence, console_opened
from chat_server.chats.shopper_presence import away_frame
from chat_server.contact_details import ContactError
from chat_server.delivery.channels import conversation_channel, operator_channel
from chat_server.delivery.fanout import encode
from chat_server.ladder.types import IllegalTransition, Phase
from chat_server.protocol.incoming import (
    AddNote,
    ConsoleContact,
    ConversationAction,
    FrameError,
    SendMessage,
    SetPresence,
    TransferRequest,
    Typing,
    decode,
    parse_console_frame,
)
from chat_server.protocol.outgoing import (
    ack_frame,
    chat_ended_frame,
    console_welcome_frame,
    contact_saved_frame,
    error_frame,
    message_frame,
    transfer_offered_frame,
    typing_frame,
)
from chat_server.runtime import Runtime
from chat_server.store.records import StoredMessage
from chat_server.store.transcripts import read_transcript
from chat_server.transport.connection import CLOSE_POLICY, CLOSE_TRY_AGAIN, Connection, refuse

log = logging.getLogger(__name__)

AUTHOR_KIND = {"receptionist": "receptionist"}  # everyone else speaks as store staff


def same_origin(websocket: WebSocket) -> bool:
    """The console socket accepts only pages served by this server (no cross-site hijacking)."""
    origin = websocket.headers.get("origin")
    if not origin:
        return False
    return urlsplit(origin).netloc == websocket.headers.get("host", "")


class ConsoleSession:
    def __init__(self, rt: Runtime, websocket: WebSocket, operator: OperatorView) -> None:
        self.rt = rt
        self.operator = operator
        self.conn = Connection(rt, websocket, side="operator")
        self.conn.on_control = self._control
        self._away_on_welcome: list[tuple[str, datetime]] = []
        self._sweep = RosterSweep(rt, operator.id)

    async def run(self) -> None:
        self.rt.sockets.add_operator(self.operator.id)
        try:
            if await console_opened(self.rt, self.operator.id):
                self._sweep.request()
            await self.rt.hub.join(operator_channel(self.operator.id), self.conn.inbox)
            await self._welcome()
            self.conn.start_writer()
            while True:
                text = await self.conn.receive_text()
                if text is None:
                    return
                if not self.conn.bucket.take():
                    await self.conn.close(CLOSE_POLICY, "too many frames: slow down")
                    return
                await self._handle(text)
        except (WebSocketDisconnect, ValueError):
            return
        except (SQLAlchemyError, OSError, BrokerUnavailable) as error:
            # Storage or broker down before the console was ready (frames are answered in
            # _handle): a 1013 makes the console reconnect, as the widget does after a hello.
            log.warning(
                "console refused, storage or broker unavailable: %r",
                error,
                extra={"operator": self.operator.id},
            )
            await self.conn.close(CLOSE_TRY_AGAIN, "temporarily unavailable: try again")
        finally:
            await self._sweep.stop()
            await self.conn.shutdown()
            if self.rt.sockets.remove_operator(self.operator.id) == 0:
                # Their last console here closed: stop ringing them now, not at the TTL.
                # (A console of theirs on another node renews it within a heartbeat.)
                try:
                    await set_offline(self.rt, self.operator.id)
                except (SQLAlchemyError, OSError) as error:
                    # The presence TTL ends them a little later instead.
                    log.warning(
                        "could not mark operator offline: %r",
                        error,
                        extra={"operator": self.operator.id},
                    )

    async def _welcome(self) -> None:
        now = self.rt.clock.now()
        start = await operator_desk.console_start(self.rt, self.operator.id, now)
        await self.conn.send(
            console_welcome_frame(
                operator_id=self.operator.id,
                operator_name=self.operator.name,
                role=self.operator.role,
                presence=start.presence,
                reach=start.reach,
                rings=start.rings,
                conversations=await self._follow_owned(start.owned),
                server_time=now,
            )
        )
        for conversation_id, away_since in self._away_on_welcome:
            # A console that (re)connects while the shopper is gone learns when the chat
            # will close, as one that was open when they left did.
            await self.conn.send(await away_frame(self.rt, conversation_id, away_since))

    async def _follow_owned(self, owned: list[str]) -> list[dict[str, Any]]:
        """Join the chats this operator owns and return their frames with whole transcripts."""
        # Listen first, read the transcripts second: a message stored in between is then in
        # the transcript or queued live (and dropped by the cursor if both), never in neither.
        for conversation_id in owned:
            await self.rt.hub.join(conversation_channel(conversation_id), self.conn.inbox)
        frames = []
        chats = await operator_desk.owned_chats(self.rt, self.operator.id, owned)
        for conversation_id, chat in chats.items():
            if chat is None:  # closed or handed over meanwhile
                await self.rt.hub.leave(conversation_channel(conversation_id), self.conn.inbox)
                continue
            self._follow(conversation_id, chat.history)
            frames.append(chat.frame)
            if chat.away_since is not None:
                self._away_on_welcome.append((conversation_id, chat.away_since))
        return frames

    def _follow(self, conversation_id: str, history: list[StoredMessage]) -> None:
        """Deliver live messages of a joined conversation after the transcript just sent."""
        last = history[-1].seq if history else 0
        self.conn.cursors[conversation_id] = max(last, self.conn.cursors.get(conversation_id, 0))

    async def _fresh_transcript(self, frame: dict[str, Any]) -> dict[str, Any]:
        """``frame`` with the transcript as it is now, read after joining the conversation.

        The transcript in a published ``conversation`` frame was read when it was published.
        It may reach this socket late (a publisher backlog, a console that reconnected in
        between and already has the chat from its welcome): passed on as it was, it would
        show the console an older transcript than the messages it has already been sent.
        """
        conversation_id = frame["id"]
        await self.rt.hub.join(conversation_channel(conversation_id), self.conn.inbox)
        history = await read_transcript(self.rt.db, conversation_id)
        self._follow(conversation_id, history)
        last_seq = max(frame.get("last_seq") or 0, history[-1].seq if history else 0)
        return {**frame, "messages": [message_frame(m) for m in history], "last_seq": last_seq}

    async def _control(self, kind: str, frame: dict[str, Any]) -> bool:
        if kind == "status":
            return True  # visitor-facing; the owner gets ``conversation`` frames instead
        if kind == "session_ended":
            # Signed out (or the password changed): a socket opened before that ends now.
            if frame.get("epoch", 0) > self.operator.session_epoch:
                await self.conn.close(CLOSE_POLICY, "signed out")
            return True
        if kind == "conversation":
            owner = frame.get("owner") or {}
            mine = owner.get("id") == self.operator.id
            if mine and frame["state"] == Phase.CONNECTED.value:
                await self.conn.send(await self._fresh_transcript(frame))
                return True
            if frame["state"] == Phase.CLOSED.value or frame["id"] in self.conn.cursors:
                # Closed, or handed over to a colleague: this console stops following it,
                # once it has every message said before that.
                await self.conn.fill_tail(frame["id"], frame.get("last_seq"))
                await self.conn.leave(frame["id"])
        return False

    # --- frames -----------------------------------------------------------------------

    async def _handle(self, text: str) -> None:
        conversation: str | None = None
        try:
            request = parse_console_frame(decode(text))
            conversation = getattr(request, "conversation", None)
            if isinstance(request, SetPresence):
                await self._presence(request)
            elif isinstance(request, TransferRequest):
                await self._transfer(request)
            elif isinstance(request, ConversationAction):
                await self._act(request)
            elif isinstance(request, SendMessage):
                await self._message(request)
            elif isinstance(request, Typing):
                await self._typing(request)
            elif isinstance(request, AddNote):
                await self._note(request)
            elif isinstance(request, ConsoleContact):
                await self._contact(request)
        except FrameError as error:
            await self.conn.send(error_frame(error.code, error.message, **error.extra))
        except (SQLAlchemyError, OSError, BrokerUnavailable) as error:
            # Storage (or the broker) refused: nothing was acked; the client retries the frame.
            # Naming the chat lets it tell which request to retry (a close, or a reply).
            log.warning(
                "console frame refused, storage or broker unavailable: %r",
                error,
                extra={"operator": self.operator.id},
            )
            where = {"conversation": conversation} if conversation else {}
            await self.conn.send(error_frame("unavailable", "storage unavailable; retry", **where))

    async def _presence(self, request: SetPresence) -> None:
        # Every console of this operator (other tabs, other nodes) shows the same status.
        try:
            if await choose_presence(self.rt, self.operator.id, request.status, request.until):
                self._sweep.request()
        except BadShiftEnd as bad:
            raise FrameError("bad_field", str(bad), "until") from None

    async def _chat(self, conversation_id: str) -> Target:
        """A conversation this operator may act on; foreign ones look like missing ones."""
        try:
            return await operator_desk.target(self.rt, self.operator, conversation_id)
        except NoSuchConversation:
            raise FrameError("no_conversation", "no such conversation") from None

    async def _contact(self, request: ConsoleContact) -> None:
        """The owner records the shopper's details; a pool chat's lead carries them on close."""
        chat = await self._chat(request.conversation)
        if chat.owner_id != self.operator.id:
            raise FrameError("not_allowed", "accept the conversation first")
        try:
            await give_contact(self.rt, chat.id, request.details)
        except ContactError as error:
            raise FrameError("bad_field", error.message, error.field) from None
        except IllegalTransition as error:
            raise FrameError("closed", str(error)) from None
        await self.conn.send(contact_saved_frame(chat.id))

    async def _note(self, request: AddNote) -> None:
        chat = await self._chat(request.conversation)
        await operator_desk.add_note(self.rt, self.operator, chat, request.body)

    async def _act(self, request: ConversationAction) -> None:
        chat = await self._chat(request.conversation)
        action = {
            "accept": operator_desk.accept,
            "decline": operator_desk.decline,
            "close": operator_desk.close,
        }[request.action]
        try:
            ending = await action(self.rt, self.operator, chat)
        except NotAllowed as refusal:
            raise FrameError("not_allowed", str(refusal)) from None
        except IllegalTransition as error:
            code = "taken" if error.phase == Phase.CONNECTED else "closed"
            if error.phase in (Phase.RINGING_STORE, Phase.LEAD_CAPTURE):
                code = "not_allowed"
            await self.conn.send(error_frame(code, str(error), conversation=chat.id))
            return
        except (ConversationNotFound, NoSuchConversation):
            raise FrameError("no_conversation", "no such conversation") from None
        if isinstance(ending, operator_desk.Ending):
            await self.conn.send(
                chat_ended_frame(
                    chat.id,
                    outcome=ending.outcome,
                    dealership_name=ending.dealership_name,
                    lead_id=ending.lead_id,
                    delivery=ending.delivery,
                    used_typed_contact=ending.used_typed_contact,
                )
            )

    async def _transfer(self, request: TransferRequest) -> None:
        """Offer the chat to a colleague or back to the store; the owner stays until taken."""
        chat = await self._chat(request.conversation)
        try:
            await operator_desk.transfer(self.rt, self.operator, chat, request.to)
        except NotAllowed as refusal:
            # e.g. "Closed now — Sales opens Monday 9:00 AM": the pane shows it.
            await self.conn.send(error_frame("not_allowed", str(refusal), conversation=chat.id))
            return
        except BadColleague as error:
            raise FrameError("bad_field", str(error), "to") from None
        except IllegalTransition as error:
            await self.conn.send(error_frame("not_allowed", error.reason, conversation=chat.id))
            return
        await self.conn.send(transfer_offered_frame(chat.id))

    async def _message(self, request: SendMessage) -> None:
        assert request.conversation is not None
        chat = await self._chat(request.conversation)
        if chat.owner_id != self.operator.id:
            raise FrameError("not_allowed", "accept the conversation before replying")
        try:
            message = await post_message(
                self.rt,
                chat.id,
                author_kind=AUTHOR_KIND.get(self.operator.role, "staff"),
                author_id=self.operator.id,
                author_name=self.operator.name,
                body=request.body,
                client_id=request.client_id,
            )
        except ConversationClosed:
            raise FrameError("closed", "this conversation has ended") from None
        await self.conn.send(ack_frame(message))

    async def _typing(self, request: Typing) -> None:
        assert request.conversation is not None
        chat = await self._chat(request.conversation)
        if chat.owner_id != self.operator.id:
            return
        await self.rt.hub.publish(
            conversation_channel(chat.id),
            encode(typing_frame(chat.id, "operator", request.active)),
        )


async def console_endpoint(websocket: WebSocket) -> None:
    rt: Runtime = websocket.app.state.runtime
    # Consoles count toward the node's socket cap, not a per-address one: a showroom's
    # salespeople share one address, and signing in is throttled already.
    with rt.guard.socket(None) as busy:
        await websocket.accept()
        if busy is not None:
            await refuse(websocket, CLOSE_TRY_AGAIN, busy)
            return
        if not same_origin(websocket):
            await refuse(websocket, CLOSE_POLICY, "origin not allowed")
            return
        try:
            operator = await current_operator(rt, websocket.session)
        except (SQLAlchemyError, OSError) as error:
            # The database is down or its pool exhausted (a reconnect storm on a busy node):
            # the console reconnects after a 1013, as the widget does.
            log.warning("console socket refused, storage unavailable: %r", error)
            await refuse(websocket, CLOSE_TRY_AGAIN, "temporarily unavailable")
            return
        if operator is None:
            await refuse(websocket, CLOSE_POLICY, "sign in first")
            return
        # The gauge goes back down however the session ends (a disconnect, an error, a cancel).
        with rt.metrics.open_connections.labels("console").track_inprogress():
            await ConsoleSession(rt, websocket, operator).run()
