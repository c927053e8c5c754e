"""The shopper's websocket, ``/ws/visitor?site=SITE_KEY`` (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError, NoResultFound, SQLAlchemyError
from starlette.websockets import WebSocket, WebSocketDisconnect

from chat_server.broker import BrokerUnavailable
from chat_server.chats import shopper_desk
from chat_server.chats.contact_saving import checked_identity, give_contact
from chat_server.chats.conversations import post_message, start_conversation
from chat_server.chats.messages import ConversationClosed
from chat_server.chats.shopper_presence import (
    shopper_arrived,
    shopper_departed,
    shopper_stopped_following,
)
from chat_server.chats.visitors import mint_token, visitor_key
from chat_server.contact_details import ContactError
from chat_server.delivery.channels import conversation_channel, visitor_channel
from chat_server.delivery.fanout import encode
from chat_server.ladder.types import IllegalTransition
from chat_server.limits.addresses import ClientAddress
from chat_server.protocol.incoming import (
    ContactDetails,
    Context,
    FrameError,
    Hello,
    SendMessage,
    Typing,
    decode,
    parse_hello,
    parse_visitor_frame,
)
from chat_server.protocol.outgoing import (
    ack_frame,
    contact_saved_frame,
    conversation_started_frame,
    error_frame,
    message_frame,
    status_frame,
    typing_frame,
    visitor_welcome_frame,
)
from chat_server.runtime import Runtime
from chat_server.store.records import DealershipView, StoredMessage
from chat_server.transport.connection import CLOSE_POLICY, CLOSE_TRY_AGAIN, Connection, refuse
from chat_server.widget_theme import opens_next

log = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 15.0
# A client that keeps sending into a rate limit after this many refusals in a row is not a
# widget honouring retry_after: it is closed like a frame flood.
REFUSALS_BEFORE_CLOSE = 10
FIRST_MESSAGE_NS = uuid.UUID("6f2c1f7e-2b0e-4d47-9a51-0d1c7e1a5a06")


async def find_dealership(rt: Runtime, site_key: str | None) -> DealershipView | None:
    """The socket's dealership, from the site-key cache (store/sites.py: a few seconds old)."""
    return await rt.sites.get(rt.db, site_key)


class VisitorSession:
    """One shopper socket: hello/welcome, then messages, contact details and typing.

    Most shopper sockets stay idle, so the hello costs no write: the visitor's row is only
    inserted by their first message (``chats/visitors.py``).
    """

    __slots__ = (
        "_seen",
        "address",
        "captured",
        "client_has",
        "conn",
        "conversation_id",
        "conversation_open",
        "dealership",
        "refusals",
        "rt",
        "token",
        "visitor_id",
    )

    def __init__(
        self,
        rt: Runtime,
        websocket: WebSocket,
        dealership: DealershipView,
        address: ClientAddress | None = None,
    ) -> None:
        self.rt = rt
        self.dealership = dealership
        self.address = address or client_address(rt, websocket)
        self.refusals = 0  # rate-limit refusals in a row
        self.conn = Connection(rt, websocket, side="visitor")
        self.conn.on_control = self._control
        self.conn.on_resync = self._resync
        self.visitor_id: int | None = None  # None until the shopper has a row
        self.token = ""  # the shopper's bearer token, set by the hello
        self.conversation_id: str | None = None
        self.conversation_open = False
        # The open chat is ``captured`` (details left, nobody answered): a message in it
        # rings the ladder again. Kept from the welcome and the status frames this socket saw.
        self.captured = False
        self._seen = "[{},null]"  # [page, vehicle] as JSON: see ``_remember``
        # Per conversation, the last seq the client already shows: what its hello said, and
        # what this socket sent it before it stopped following one. A conversation may be
        # attached again later (a resend of its first message), from there, not from seq 0.
        self.client_has: dict[str, int] = {}

    async def run(self) -> None:
        try:
            if not await self._handshake():
                return
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
        finally:
            await self._disconnected()

    # --- hello ------------------------------------------------------------------------

    async def _handshake(self) -> bool:
        while True:
            try:
                text = await asyncio.wait_for(self.conn.receive_text(), HELLO_TIMEOUT_S)
            except TimeoutError:
                await self.conn.close(CLOSE_POLICY, "no hello received")
                return False
            if text is None:
                return False
            try:
                frame = decode(text)
                if frame["type"] != "hello":
                    raise FrameError("bad_frame", "the first frame must be hello")
                hello = parse_hello(frame)
                self._remember(hello.page, hello.vehicle)
                break
            except FrameError as error:
                await self.conn.send(error_frame(error.code, error.message, **error.extra))
        try:
            await self._welcome(hello)
        except (SQLAlchemyError, OSError, BrokerUnavailable) as error:
            # Storage or broker down, or the pool exhausted in a storm: the widget retries
            # 1013 with backoff, which beats an "Exception in ASGI application".
            log.warning(
                "hello refused, storage or broker unavailable: %r",
                error,
                extra={"dealership": self.dealership.id},
            )
            await self.conn.close(CLOSE_TRY_AGAIN, "temporarily unavailable: try again")
            return False
        return True

    async def _welcome(self, hello: Hello) -> None:
        if hello.conversation:
            self.client_has[hello.conversation] = hello.last_seq
        conversation_id = None
        if hello.visitor:
            # A returning shopper: one read; a write only to refresh an old last_seen_at.
            known = await shopper_desk.recognise(
                self.rt, self.dealership.id, hello.visitor, hello.conversation
            )
            self.visitor_id, self.token = known.visitor_id, known.token
            conversation_id = known.conversation_id
        else:
            # A new shopper: no database at all until they say something.
            self.token = mint_token(self.rt.settings.secret_key, self.dealership.id)
        token = self.token
        await self.rt.hub.join(visitor_channel(visitor_key(token)), self.conn.inbox)
        stored: list[StoredMessage] = []
        state = agent_name = None
        if conversation_id is not None:
            self.conversation_id = conversation_id
            known = hello.last_seq if conversation_id == hello.conversation else 0
            # Listen first, read second: a message stored in between is in one or the other.
            await self.rt.hub.join(conversation_channel(conversation_id), self.conn.inbox)
            view = await shopper_desk.conversation_view(self.rt, conversation_id, known)
            state, agent_name, stored = view.state, view.agent_name, view.messages
            self.conn.cursors[conversation_id] = view.messages[-1].seq if view.messages else known
            self.conn.stale_status(conversation_id, view.version)  # older statuses are history
            self.conversation_open = state != "closed"
            self.captured = state == "captured"
        d = self.dealership
        now = self.rt.clock.now()
        open_now = d.is_open("sales", now)
        await self.conn.send(
            visitor_welcome_frame(
                visitor=token,
                conversation_id=self.conversation_id,
                state=state,
                agent_name=agent_name,
                dealership=d,
                open_now=open_now,
                # "Sales opens Monday 9:00 AM", in the store's zone and the widget's language.
                opens_next=None
                if open_now
                else opens_next(
                    d.hours, "sales", d.time_zone, now, d.theme.language, dated=d.dated_hours
                ),
                messages=stored,
                server_time=now,
            )
        )
        if self.conversation_id and self.conversation_open:
            await shopper_arrived(self.rt, self.conversation_id)

    # --- frames -----------------------------------------------------------------------

    async def _handle(self, text: str) -> None:
        try:
            request = parse_visitor_frame(decode(text))
            if isinstance(request, SendMessage):
                await self._message(request)
            elif isinstance(request, ContactDetails):
                await self._contact(request)
            elif isinstance(request, Typing):
                await self._typing(request)
            elif isinstance(request, Context):
                await self._context(request)
        except FrameError as error:
            await self.conn.send(error_frame(error.code, error.message, **error.extra))
        except (SQLAlchemyError, OSError, BrokerUnavailable) as error:
            # The database or the broker refused or vanished: nothing was acked, so the client
            # may retry with the same client_id (idempotent) instead of losing the message.
            log.warning(
                "visitor frame refused, storage or broker unavailable: %r",
                error,
                extra={"conversation": self.conversation_id, "dealership": self.dealership.id},
            )
            await self.conn.send(error_frame("unavailable", "storage unavailable; retry"))

    async def _message(self, request: SendMessage) -> None:
        # Limits first: a refused message creates nothing, not even the shopper's row.
        if not await self._within_limits(request):
            return
        if self.visitor_id is None:
            await self._ensure_visitor()
        if self.conversation_id is not None and self.conversation_open:
            try:
                message = await post_message(
                    self.rt,
                    self.conversation_id,
                    author_kind="visitor",
                    author_id=None,
                    author_name="",
                    body=request.body,
                    client_id=request.client_id,
                )
                await self.conn.send(ack_frame(message))
                if self.captured:
                    # Same conversation, rung again; the lead is resent when it closes.
                    await shopper_desk.wrote_after_details(self.rt, self.conversation_id)
                return
            except ConversationClosed:
                await self._forget_conversation()
        # No open conversation: this message starts one. Join its channel before it exists
        # so the status and ring frames that the start publishes reach this socket too.
        # The id follows from (visitor, client_id): a resend of the first message that races
        # its original (the socket dropped before the ack, the retry reached another node
        # before the original committed) hits the same primary key instead of starting a
        # second conversation with the same message.
        conversation_id = (
            uuid.uuid5(FIRST_MESSAGE_NS, f"{self._visitor()}:{request.client_id}").hex
            if request.client_id
            else uuid.uuid4().hex
        )
        await self._attach(conversation_id)
        try:
            # The socket's view may be older than this message (store/sites.py): the ladder
            # starts on the dealership's hours and timings as they are now.
            fresh = await self.rt.sites.get(self.rt.db, self.dealership.site_key, fresh=True)
            self.dealership = fresh or self.dealership
            message = await start_conversation(
                self.rt,
                self.dealership,
                conversation_id=conversation_id,
                visitor_id=self._visitor(),
                visitor_key=visitor_key(self.token),
                page=self.page,
                vehicle=self.vehicle,
                body=request.body,
                client_id=request.client_id,
            )
        except IntegrityError:
            # Already stored by the original: answer with the stored message (idempotent).
            message = await self._post_existing(conversation_id, request)
        except (SQLAlchemyError, OSError):
            # Nothing was stored: do not follow a conversation that does not exist.
            await self._forget_conversation()
            raise
        if message.conversation_id != conversation_id:
            # A resend of a message stored earlier in another of this shopper's chats (its
            # ack was lost, then that chat closed): nothing was started, so stop following.
            await self._forget_conversation()
        await self.conn.send(ack_frame(message))

    async def _within_limits(self, request: SendMessage) -> bool:
        """Count the message against the shared rate limits; refuse it if one is full.

        A refused message is neither stored nor acked: the error names its ``client_id`` and
        when to send it again. The socket stays open unless refusals keep coming.
        """
        refused = await self.rt.guard.message(
            visitor=visitor_key(self.token),
            site=self.dealership.site_key,
            address=self.address,
            starts_conversation=self.conversation_id is None or not self.conversation_open,
        )
        if refused is None:
            self.refusals = 0
            return True
        self.refusals += 1
        if self.refusals >= REFUSALS_BEFORE_CLOSE:
            await self.conn.close(CLOSE_POLICY, "rate limited: too many refused messages")
            raise WebSocketDisconnect(CLOSE_POLICY)
        await self.conn.send(
            error_frame(
                "rate_limited",
                f"too many messages: send it again in {refused.retry_after_s} s",
                client_id=request.client_id,
                retry_after=refused.retry_after_s,
                limit=refused.limit,
            )
        )
        return False

    async def _post_existing(self, conversation_id: str, request: SendMessage) -> StoredMessage:
        try:
            return await post_message(
                self.rt,
                conversation_id,
                author_kind="visitor",
                author_id=None,
                author_name="",
                body=request.body,
                client_id=request.client_id,
            )
        except ConversationClosed:
            await self._forget_conversation()
            raise FrameError("closed", "this conversation has ended") from None

    async def _contact(self, contact: ContactDetails) -> None:
        if self.conversation_id is None:
            raise FrameError("no_conversation", "send a message first")
        try:
            await give_contact(self.rt, self.conversation_id, contact)
        except ContactError as error:
            raise FrameError("bad_field", error.message, error.field) from None
        except IllegalTransition as error:
            log.info(
                "visitor event refused: %s", error, extra={"conversation": self.conversation_id}
            )
            raise FrameError("closed", "this conversation has ended") from None
        await self.conn.send(contact_saved_frame(self.conversation_id))

    async def _typing(self, request: Typing) -> None:
        if self.conversation_id is None or not self.conversation_open:
            return
        await self.rt.hub.publish(
            conversation_channel(self.conversation_id),
            encode(typing_frame(self.conversation_id, "visitor", request.active)),
        )

    async def _context(self, context: Context) -> None:
        """setContext / identify from the page: later conversations start with this vehicle,
        the open one is updated, and the shopper's record learns who they are."""
        try:
            context = checked_identity(context, self.dealership.country)
        except ContactError as error:
            raise FrameError("bad_field", error.message, error.field) from None
        if context.vehicle is not None:
            self._remember(self.page, context.vehicle)
        updates_conversation = (
            context.vehicle is not None
            and self.conversation_id is not None
            and self.conversation_open
        )
        identifies = bool(context.name or context.email or context.phone)
        if not (updates_conversation or identifies):
            return  # only remembered for the next conversation: nothing to store
        self.visitor_id = await shopper_desk.update_context(
            self.rt,
            dealership_id=self.dealership.id,
            token=self.token,
            visitor_id=self.visitor_id,
            open_conversation=self.conversation_id if updates_conversation else None,
            vehicle=context.vehicle,
            name=context.name,
            email=context.email,
            phone=context.phone,
        )

    # --- helpers ----------------------------------------------------------------------

    def _remember(self, page: dict[str, Any], vehicle: dict[str, Any] | None) -> None:
        # Kept as one short string: parsed, the two small dicts cost an idle socket about
        # three times as much, and only a conversation's start reads them.
        self._seen = encode([page, vehicle])

    @property
    def page(self) -> dict[str, Any]:
        page: dict[str, Any] = json.loads(self._seen)[0]
        return page

    @property
    def vehicle(self) -> dict[str, Any] | None:
        vehicle: dict[str, Any] | None = json.loads(self._seen)[1]
        return vehicle

    def _visitor(self) -> int:
        assert self.visitor_id is not None
        return self.visitor_id

    async def _ensure_visitor(self) -> int:
        """The shopper's row, inserted now if this is the first thing that needs it."""
        if self.visitor_id is None:
            self.visitor_id = await shopper_desk.shopper_row(
                self.rt, self.dealership.id, self.token
            )
        return self.visitor_id

    async def _attach(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        self.conversation_open = True
        # Before joining: frames may come at once. A resend of the first message can attach
        # a conversation the client already shows (its socket dropped before the ack, and the
        # welcome ran before the start was committed): it must not get those messages again.
        self.conn.cursors[conversation_id] = max(
            self.client_has.get(conversation_id, 0), self.conn.cursors.get(conversation_id, 0)
        )
        try:
            await self.rt.hub.join(conversation_channel(conversation_id), self.conn.inbox)
        except BaseException:
            # Not followed, so not started: the client's retry attaches afresh.
            self.conn.cursors.pop(conversation_id, None)
            self.conversation_id = None
            self.conversation_open = False
            raise
        self.rt.sockets.add_visitor(conversation_id)

    async def _forget_conversation(self) -> None:
        if self.conversation_id is None:
            return
        if self.conversation_open:
            shopper_stopped_following(self.rt, self.conversation_id)
        shown = self.conn.cursors.get(self.conversation_id, 0)
        self.client_has[self.conversation_id] = max(
            shown, self.client_has.get(self.conversation_id, 0)
        )
        await self.conn.leave(self.conversation_id)
        self.conversation_id = None
        self.conversation_open = False
        self.captured = False

    async def _control(self, kind: str, frame: dict[str, Any]) -> bool:
        if kind == "conversation_started":
            started = frame["conversation"]
            if started != self.conversation_id:
                # Another tab of this shopper started a conversation: show it here too.
                await self._forget_conversation()
                self.conversation_id = started
                self.conversation_open = True
                await shopper_arrived(self.rt, started)
                await self.conn.join(started, self.client_has.get(started, 0))
                await self.conn.send(conversation_started_frame(started))
            return True
        mine = frame.get("conversation") == self.conversation_id
        if kind == "status" and mine:
            self.captured = frame.get("state") == "captured"
        closing = kind == "status" and frame.get("state") == "closed"
        if closing and self.conversation_open and mine:
            self.conversation_open = False
            shopper_stopped_following(self.rt, frame["conversation"])
        return False

    async def _resync(self) -> bool:
        """Catch up in place after frames may have been lost: the open chat's missed messages
        and its current status, read from the database like a welcome's.

        A reconnect per shopper costs a hello, a welcome and two ladder steps (departed,
        arrived); after a node restart every shopper of every node had to, and the storm
        starved the nodes (the chaos test). Without an open chat (a lost ``conversation
        started`` from another tab cannot be told from nothing) the socket reconnects.
        """
        conversation_id = self.conversation_id
        if conversation_id is None or not self.conversation_open:
            return False
        try:
            view = await shopper_desk.conversation_view(
                self.rt, conversation_id, self.conn.cursors.get(conversation_id, 0)
            )
        except NoResultFound:
            # The chat this socket is starting is not committed yet (``_attach`` follows it
            # first): nothing to catch up from here; the reconnect's welcome finds what is.
            return False
        for message in view.messages:
            await self.conn.deliver(encode(message_frame(message)))
        last_seq = view.messages[-1].seq if view.messages else view.last_seq
        status = status_frame(conversation_id, view.state, view.agent_name, last_seq, view.version)
        await self.conn.deliver(encode(status))  # dropped unless newer than the one shown
        return self.conversation_open

    async def _disconnected(self) -> None:
        await self.conn.shutdown()
        if not (self.conversation_id and self.conversation_open):
            return
        await shopper_departed(self.rt, self.conversation_id)


def client_address(rt: Runtime, websocket: WebSocket) -> ClientAddress:
    """Who is on the other end (chat_server/limits/addresses.py)."""
    return rt.guard.address(websocket.client.host if websocket.client else None, websocket.headers)


async def visitor_endpoint(websocket: WebSocket) -> None:
    rt: Runtime = websocket.app.state.runtime
    address = client_address(rt, websocket)
    # The socket holds its slot until it ends; the caps and the attempt limit are checked
    # before the database is asked anything.
    with rt.guard.socket(address) as busy:
        if busy is not None:
            await websocket.accept()
            await refuse(websocket, CLOSE_TRY_AGAIN, busy)
            return
        refused = await rt.guard.connect(address)
        if refused is not None:
            await websocket.accept()
            reason = f"too many connection attempts: try again in {refused.retry_after_s} s"
            await refuse(websocket, CLOSE_TRY_AGAIN, reason)
            return
        try:
            dealership = await find_dealership(rt, websocket.query_params.get("site"))
        except (SQLAlchemyError, OSError) as error:
            # The database is down or its pool exhausted (a reconnect storm on a busy node):
            # the widget retries 1013 with backoff, which beats an "Exception in ASGI".
            log.warning("visitor socket refused, storage unavailable: %r", error)
            await websocket.accept()
            await refuse(websocket, CLOSE_TRY_AGAIN, "temporarily unavailable")
            return
        await websocket.accept()
        if dealership is None:
            await refuse(websocket, CLOSE_POLICY, "unknown site key")
            return
        origin = websocket.headers.get("origin", "")
        if origin not in dealership.allowed_origins:
            await refuse(websocket, CLOSE_POLICY, "origin not allowed for this site")
            return
        # The gauge goes back down however the session ends (a disconnect, an error, a cancel).
        with rt.metrics.open_connections.labels("visitor").track_inprogress():
            await VisitorSession(rt, websocket, dealership, address).run()
