"""The operator's websocket, ``/ws/console`` (docs/protocol.md), authenticated by session cookie."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocket, WebSocketDisconnect

from chat_server.accounts.access import answering_tier
from chat_server.accounts.operators import OperatorView, operator_view
from chat_server.accounts.sessions import current_operator
from chat_server.broker import BrokerUnavailable
from chat_server.chats.conversations import post_message
from chat_server.chats.ladder_shell import ConversationNotFound, advance
from chat_server.chats.messages import ConversationClosed
from chat_server.chats.notes import note_frame
from chat_server.chats.presence import set_offline, set_online, set_presence
from chat_server.chats.views import conversation_frame, ring_frame
from chat_server.delivery.channels import conversation_channel, operator_channel
from chat_server.delivery.fanout import encode
from chat_server.ladder.types import (
    Accept,
    Close,
    ContactGiven,
    Decline,
    IllegalTransition,
    Phase,
    Tier,
    Transfer,
)
from chat_server.protocol.outgoing import ack_frame, error_frame, iso, message_frame, typing_frame
from chat_server.runtime import Runtime
from chat_server.store.models import (
    Conversation,
    ConversationNote,
    Dealership,
    Operator,
    RingRecord,
)
from chat_server.store.records import StoredMessage, dealership_view
from chat_server.store.transcripts import messages_after
from chat_server.transport.connection import CLOSE_POLICY, CLOSE_TRY_AGAIN, Connection
from chat_server.transport.contact_saving import save_contact
from chat_server.transport.protocol import (
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

    async def run(self) -> None:
        self.rt.sockets.add_operator(self.operator.id)
        try:
            await set_online(self.rt, [self.operator.id])
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
        async with self.rt.db.sessions() as session:
            presence = await session.scalar(
                select(Operator.presence).where(Operator.id == self.operator.id)
            )
            rings = await self._open_rings(session, now)
            owned = list(
                await session.scalars(
                    select(Conversation.id).where(
                        Conversation.owner_id == self.operator.id,
                        Conversation.state == Phase.CONNECTED.value,
                    )
                )
            )
        await self.conn.send(
            {
                "type": "welcome",
                "operator": {
                    "id": self.operator.id,
                    "name": self.operator.name,
                    "role": self.operator.role,
                },
                "presence": presence,
                "rings": rings,
                "conversations": await self._follow_owned(owned),
                "server_time": iso(now),
            }
        )

    async def _open_rings(self, session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
        rings = []
        open_rings = await session.scalars(
            select(RingRecord).where(
                RingRecord.operator_id == self.operator.id,
                RingRecord.ended_at.is_(None),
                RingRecord.expires_at > now,
            )
        )
        for ring in open_rings:
            conversation = await session.get_one(Conversation, ring.conversation_id)
            dealership = dealership_view(
                await session.get_one(Dealership, conversation.dealership_id)
            )
            rings.append(
                await ring_frame(
                    session, conversation, dealership, Tier(ring.tier), ring.quiet, ring.expires_at
                )
            )
        return rings

    async def _follow_owned(self, owned: list[str]) -> list[dict[str, Any]]:
        """Join the chats this operator owns and return their frames with whole transcripts."""
        # Listen first, read the transcripts second: a message stored in between is then in
        # the transcript or queued live (and dropped by the cursor if both), never in neither.
        for conversation_id in owned:
            await self.rt.hub.join(conversation_channel(conversation_id), self.conn.inbox)
        frames = []
        moved_on = []
        async with self.rt.db.sessions() as session:
            for conversation_id in owned:
                conversation = await session.get_one(Conversation, conversation_id)
                if (
                    conversation.owner_id != self.operator.id
                    or conversation.state != Phase.CONNECTED.value
                ):
                    moved_on.append(conversation_id)  # closed or handed over meanwhile
                    continue
                dealership = dealership_view(
                    await session.get_one(Dealership, conversation.dealership_id)
                )
                history = await messages_after(session, conversation.id, 0)
                self._follow(conversation.id, history)
                frames.append(await conversation_frame(session, conversation, dealership, history))
        for conversation_id in moved_on:
            await self.rt.hub.leave(conversation_channel(conversation_id), self.conn.inbox)
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
        async with self.rt.db.sessions() as session:
            history = await messages_after(session, conversation_id, 0)
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
        try:
            request = parse_console_frame(decode(text))
            if isinstance(request, SetPresence):
                await self._presence(request.status)
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
            log.warning(
                "console frame refused, storage or broker unavailable: %r",
                error,
                extra={"operator": self.operator.id},
            )
            await self.conn.send(error_frame("unavailable", "storage unavailable; retry"))

    async def _presence(self, status: str) -> None:
        # Every console of this operator (other tabs, other nodes) shows the same status.
        await set_presence(self.rt, self.operator.id, status)

    async def _contact(self, request: ConsoleContact) -> None:
        """The owner records the shopper's details; a pool chat's lead carries them on close."""
        conversation = await self._conversation(request.conversation)
        if conversation.owner_id != self.operator.id:
            raise FrameError("not_allowed", "accept the conversation first")
        contact = request.details
        save = save_contact(contact)

        try:
            await advance(self.rt, conversation.id, lambda now, _r: ContactGiven(now), mutate=save)
        except IllegalTransition as error:
            raise FrameError("closed", str(error)) from None
        await self.conn.send({"type": "contact_saved", "conversation": conversation.id})

    async def _note(self, request: AddNote) -> None:
        """An internal note: stored, then shown on the author's and the owner's consoles."""
        conversation = await self._conversation(request.conversation)
        async with self.rt.db.sessions() as session, session.begin():
            note = ConversationNote(
                conversation_id=conversation.id,
                author_id=self.operator.id,
                author_name=self.operator.name,
                body=request.body,
                created_at=self.rt.clock.now(),
            )
            session.add(note)
            await session.flush()
            frame = note_frame(note)
        targets = {self.operator.id}
        if conversation.owner_id is not None:
            targets.add(conversation.owner_id)
        for operator_id in targets:
            await self.rt.hub.publish(operator_channel(operator_id), encode(frame))

    async def _conversation(self, conversation_id: str) -> Conversation:
        """Load a conversation this operator may act on; foreign ones look like missing ones."""
        async with self.rt.db.sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise FrameError("no_conversation", "no such conversation")
            tier = await answering_tier(session, self.operator, conversation.dealership_id)
            if tier is None and self.operator.role != "admin":
                raise FrameError("no_conversation", "no such conversation")
            return conversation

    async def _act(self, request: ConversationAction) -> None:
        conversation = await self._conversation(request.conversation)
        async with self.rt.db.sessions() as session:
            tier = await answering_tier(session, self.operator, conversation.dealership_id)
        operator_id = self.operator.id
        try:
            if request.action == "accept":
                if tier is None:
                    raise FrameError("not_allowed", "you cannot answer for this dealership")
                await advance(
                    self.rt, conversation.id, lambda now, _r: Accept(operator_id, tier, now)
                )
            elif request.action == "decline":
                await advance(
                    self.rt,
                    conversation.id,
                    lambda now, roster: Decline(operator_id, now, roster),  # type: ignore[arg-type]
                    with_roster=True,
                )
            elif request.action == "close":
                if conversation.owner_id != operator_id:
                    raise FrameError("not_allowed", "only the operator in the chat can close it")
                await advance(self.rt, conversation.id, lambda now, _r: Close(now))
        except IllegalTransition as error:
            code = "taken" if error.phase == Phase.CONNECTED else "closed"
            if error.phase in (Phase.RINGING_STORE, Phase.LEAD_CAPTURE):
                code = "not_allowed"
            await self.conn.send(error_frame(code, str(error), conversation=conversation.id))
        except ConversationNotFound:
            raise FrameError("no_conversation", "no such conversation") from None

    async def _transfer(self, request: TransferRequest) -> None:
        """Offer the chat to a colleague or back to the store; the owner stays until taken."""
        conversation = await self._conversation(request.conversation)
        if conversation.owner_id != self.operator.id:
            raise FrameError("not_allowed", "only the operator in the chat can transfer it")
        to: tuple[int, ...] = ()
        tier = Tier.STORE
        if request.to is not None:
            async with self.rt.db.sessions() as session:
                colleague = await session.get(Operator, request.to)
                target_tier = None
                if colleague is not None:
                    target_tier = await answering_tier(
                        session, operator_view(colleague), conversation.dealership_id
                    )
            if target_tier is None:
                raise FrameError(
                    "bad_field", "'to' is not a colleague who can answer this chat", "to"
                )
            to, tier = (request.to,), target_tier
        operator_id = self.operator.id
        try:
            await advance(
                self.rt,
                conversation.id,
                lambda now, roster: Transfer(operator_id, now, roster, to, tier),  # type: ignore[arg-type]
                with_roster=True,
            )
        except IllegalTransition as error:
            await self.conn.send(
                error_frame("not_allowed", error.reason, conversation=conversation.id)
            )
            return
        await self.conn.send({"type": "transfer_offered", "conversation": conversation.id})

    async def _message(self, request: SendMessage) -> None:
        assert request.conversation is not None
        conversation = await self._conversation(request.conversation)
        if conversation.owner_id != self.operator.id:
            raise FrameError("not_allowed", "accept the conversation before replying")
        try:
            message = await post_message(
                self.rt,
                conversation.id,
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
        conversation = await self._conversation(request.conversation)
        if conversation.owner_id != self.operator.id:
            return
        await self.rt.hub.publish(
            conversation_channel(conversation.id),
            encode(typing_frame(conversation.id, "operator", request.active)),
        )


async def console_endpoint(websocket: WebSocket) -> None:
    rt: Runtime = websocket.app.state.runtime
    # Consoles count toward the node's socket cap, not a per-address one: a showroom's
    # salespeople share one address, and signing in is throttled already.
    with rt.guard.socket(None) as busy:
        await websocket.accept()
        if busy is not None:
            await websocket.close(code=CLOSE_TRY_AGAIN, reason=busy)
            return
        if not same_origin(websocket):
            await websocket.close(code=CLOSE_POLICY, reason="origin not allowed")
            return
        try:
            operator = await current_operator(rt, websocket.session)
        except (SQLAlchemyError, OSError) as error:
            # The database is down or its pool exhausted (a reconnect storm on a busy node):
            # the console reconnects after a 1013, as the widget does.
            log.warning("console socket refused, storage unavailable: %r", error)
            await websocket.close(code=CLOSE_TRY_AGAIN, reason="temporarily unavailable")
            return
        if operator is None:
            await websocket.close(code=CLOSE_POLICY, reason="sign in first")
            return
        # The gauge goes back down however the session ends (a disconnect, an error, a cancel).
        with rt.metrics.open_connections.labels("console").track_inprogress():
            await ConsoleSession(rt, websocket, operator).run()
