"""Client of dealer-chat itself, wire protocol v1 (docs/protocol.md).

A visitor is a ``hello``/``welcome`` on ``/ws/visitor``. A chat pair is two tabs of one
shopper (the same visitor token): tab A's first message starts the conversation, tab B follows
it (``conversation_started``) and receives A's later messages as ``message`` frames. Consoles
are salespeople created in the database, signed in over HTTP and set available; a new
shopper's first message rings all of them (the runner starts the demo with ``ring_all``).
Phones (T5) are salespeople of the same store who registered a Web Push subscription through
the console's API, chose "available" on a console socket and closed it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.exceptions import ConnectionClosed

from bench.drivers.base import CHAT, RING, Driver
from bench.peer import Decoded, Dialer, Peer
from chat_server import admin
from chat_server.cli import with_session
from chat_server.demo_world import DEMO_PASSWORD, DEMO_SITE_KEY, DEMO_SLUG
from chat_server.ladder.hours import ALWAYS_OPEN

PAGE = {"url": "/inventory/rav4", "title": "2024 Toyota RAV4", "referrer": ""}
VEHICLE = {"vin": "2T3P1RFV8RC123456", "year": 2024, "make": "Toyota", "model": "RAV4"}
START_ATTEMPTS = 5
CLOSE_RESYNC = 1012  # "service restart": reconnect at once (docs/protocol.md)
START_WAIT_S = 30.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class PhoneOwner:
    """A salesperson whose only channel is a phone: what it takes to remove it again."""

    email: str
    cookie: str
    csrf: str
    device_id: int


def decode(peer: Peer, text: str) -> Decoded:
    frame: dict[str, Any] = json.loads(text)
    kind = frame.get("type")
    if kind == "message":
        return CHAT, frame.get("body")
    if kind == "ring":
        return RING, frame.get("first_words")
    return str(kind), frame


def hello(token: str | None) -> str:
    return json.dumps(
        {
            "type": "hello",
            "visitor": token,
            "conversation": None,
            "last_seq": 0,
            "page": PAGE,
            "vehicle": VEHICLE,
        }
    )


def message(client_id: str, body: str) -> str:
    return json.dumps({"type": "message", "client_id": client_id, "body": body})


class DealerChatDriver(Driver):
    def __init__(self, base_url: str, dialer: Dialer, database_url: str) -> None:
        super().__init__(base_url, dialer)
        self.database_url = database_url
        self.origin = base_url
        self.client_ids = itertools.count()

    async def _visitor(self, token: str | None, attempts: int = 1) -> Peer:
        # A swamped server may close a socket whose hello it could not store (its database
        # pool timed out); the widget reconnects, and T2's set-up does too (``attempts``).
        for attempt in range(attempts):
            peer = await self.dialer.open(
                f"{self.ws_url}/ws/visitor?site={DEMO_SITE_KEY}", decode, origin=self.origin
            )
            welcome = peer.want("welcome")
            try:
                await peer.send(hello(token))
                answer = await asyncio.wait_for(welcome, START_WAIT_S)
                peer.state["token"] = answer["visitor"]
                peer.state["conversation"] = answer.get("conversation")
                return peer
            except (ConnectionError, ConnectionClosed, TimeoutError):
                await peer.close()
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")

    async def visitor(self, room: str) -> Peer:
        return await self._visitor(None)

    async def reconnect(self, peer: Peer) -> Peer:
        return await self._visitor(peer.state["token"])

    async def chat_pair(self, room: str) -> tuple[Peer, Peer]:
        tab_a = await self._visitor(None, START_ATTEMPTS)
        tab_b = await self._visitor(tab_a.state["token"], START_ATTEMPTS)
        followed = tab_b.want("conversation_started")
        client_id = f"start-{next(self.client_ids)}"
        # A server swamped by a thousand chats starting at once answers some with
        # ``error`` (code ``unavailable``: its database pool timed out) instead of ``ack``.
        # The widget then sends the message again with the same client id; so does this.
        for attempt in range(START_ATTEMPTS):
            acked, refused = tab_a.want("ack"), tab_a.want("error")
            await tab_a.send(message(client_id, f"Hi, is {room} available?"))
            done, _ = await asyncio.wait(
                {acked, refused}, timeout=START_WAIT_S, return_when=asyncio.FIRST_COMPLETED
            )
            if acked in done:
                acked.result()
                break
            if refused in done and refused.result().get("code") != "unavailable":
                raise RuntimeError(f"the first message was refused: {refused.result()}")
            await asyncio.sleep(0.5 * (attempt + 1))
        else:
            raise TimeoutError(f"no ack for the first message of {room}")
        try:
            await asyncio.wait_for(followed, START_WAIT_S)
        except ConnectionError:
            # A swamped server closes tab B with 1012 when it cannot bring it up to date
            # (its database pool timed out while joining the new conversation): the widget
            # reconnects at once and the welcome names the conversation; so does this.
            if tab_b.socket.close_code != CLOSE_RESYNC:
                raise
            await tab_b.close()
            tab_b = await self._visitor(tab_a.state["token"], START_ATTEMPTS)
            if tab_b.state["conversation"] is None:
                raise RuntimeError(f"tab B of {room} rejoined no conversation") from None
        return tab_a, tab_b

    def chat_text(self, sender: Peer, body: str, seq: int) -> str:
        return message(f"m{seq}", body)

    async def start_chat(self, visitor: Peer, body: str, trial: int) -> None:
        await visitor.send(message(f"ring-{trial}", body))

    # --- consoles -------------------------------------------------------------------

    async def consoles(self, count: int) -> list[Peer]:
        emails = await self._create_salespeople(count)
        return [await self._console(email) for email in emails]

    async def _create_salespeople(self, count: int, prefix: str = "bench") -> list[str]:
        emails = [f"{prefix}{n}@demo-motors.test" for n in range(count)]

        async def create(session: AsyncSession) -> None:
            # Rings go to the store only while its sales department is open.
            await admin.set_hours(session, DEMO_SLUG, "sales", ALWAYS_OPEN)
            for n, email in enumerate(emails):
                await admin.create_operator(
                    session,
                    email=email,
                    name=f"{prefix.title()} Seller {n}",
                    role="salesperson",
                    password=DEMO_PASSWORD,
                    dealership=DEMO_SLUG,
                )

        await with_session(self.database_url, create)
        return emails

    @asynccontextmanager
    async def _http(self) -> AsyncIterator[httpx.AsyncClient]:
        # Sign-ins are throttled per client address: spread them like the sockets.
        transport = httpx.AsyncHTTPTransport(local_address=next(self.dialer.sources))
        async with httpx.AsyncClient(
            base_url=self.base_url, transport=transport, follow_redirects=False, timeout=30
        ) as http:
            yield http

    async def _sign_in_on(self, http: httpx.AsyncClient, email: str) -> None:
        page = await http.get("/console/sign-in")
        token = CSRF.search(page.text)
        if token is None:
            raise RuntimeError("the sign-in page has no CSRF token")
        response = await http.post(
            "/console/sign-in",
            data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        )
        if response.status_code != 303:
            raise RuntimeError(f"sign-in of {email} failed: {response.status_code}")

    @staticmethod
    def _cookie(http: httpx.AsyncClient) -> str:
        return "; ".join(f"{k}={v}" for k, v in http.cookies.items())

    async def _sign_in(self, email: str) -> str:
        async with self._http() as http:
            await self._sign_in_on(http, email)
            return self._cookie(http)

    async def _console(self, email: str, cookie: str | None = None) -> Peer:
        cookie = cookie or await self._sign_in(email)
        peer = await self.dialer.open(
            f"{self.ws_url}/ws/console", decode, origin=self.origin, headers={"Cookie": cookie}
        )
        # The welcome may arrive before we ask for it; presence is what we wait on.
        presence = peer.want("presence")
        await peer.send(json.dumps({"type": "presence", "status": "available"}))
        answer = await presence
        if answer.get("status") != "available":
            raise RuntimeError(f"console {email} did not become available: {answer}")
        return peer

    # --- phones (T5) ----------------------------------------------------------------

    async def phone_owners(self, subscriptions: list[dict[str, Any]]) -> list[PhoneOwner]:
        """One new salesperson per subscription, on shift with only that phone to ring.

        Each signs in, registers the subscription as the console's "Ring my phone" does
        (``POST /console/api/push/devices`` with the console page's CSRF token), chooses
        "available" on a console socket and closes it.
        """
        emails = await self._create_salespeople(len(subscriptions), prefix="push")
        return [await self._phone_owner(e, s) for e, s in zip(emails, subscriptions, strict=True)]

    async def _phone_owner(self, email: str, subscription: dict[str, Any]) -> PhoneOwner:
        async with self._http() as http:
            await self._sign_in_on(http, email)
            page = await http.get("/console")
            csrf = CSRF.search(page.text)
            if csrf is None:
                raise RuntimeError(f"the console page of {email} has no CSRF token")
            added = await http.post(
                "/console/api/push/devices",
                json={"subscription": subscription, "label": f"bench phone of {email}"},
                headers={"X-CSRF-Token": csrf.group(1), "Origin": self.origin},
            )
            if added.status_code != 201:
                raise RuntimeError(f"{email}'s phone was refused: {added.status_code} {added.text}")
            owner = PhoneOwner(email, self._cookie(http), csrf.group(1), int(added.json()["id"]))
        console = await self._console(email, owner.cookie)
        await console.close()
        return owner

    async def remove_phones(self, owners: list[PhoneOwner]) -> None:
        """Take the phones off again, so later rings on this server go to consoles only."""
        for owner in owners:
            async with self._http() as http:
                removed = await http.post(
                    f"/console/api/push/devices/{owner.device_id}/delete",
                    headers={
                        "Cookie": owner.cookie,
                        "X-CSRF-Token": owner.csrf,
                        "Origin": self.origin,
                    },
                )
                if removed.status_code != 204:
                    raise RuntimeError(f"{owner.email}'s phone stayed: {removed.status_code}")

    async def first_message(self, visitor: Peer, body: str, trial: int) -> asyncio.Future[Any]:
        """Send the first message (as ``start_chat``); the future gets its ``ack`` frame."""
        acked = visitor.want("ack")
        await self.start_chat(visitor, body, trial)
        return acked
