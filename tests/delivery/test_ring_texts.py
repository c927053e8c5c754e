"""A ring nobody accepted in time goes out as a text with a one-tap link (issue 13, item 4).

A real in-process server and a loopback provider speaking Twilio's Messages API
(tests/support/text_provider.py); the ladder's time is the server's fake clock.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import select, update

from chat_server.store.models import Deadline, Operator
from tests.support.clients import console, sign_in_cookie, visitor
from tests.support.inprocess import InProcessServer
from tests.support.text_provider import TextProvider

Serve = Callable[..., Awaitable[InProcessServer]]
ALEX = "alex@demo-motors.test"
MOBILE = "+13125550142"
LADDER = {"store_window": 20, "pool_window": 25}


async def _server(serve_inprocess: Serve, env: dict[str, str]) -> InProcessServer:
    server = await serve_inprocess(LADDER, env=env)
    await server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    return server


class Console:
    """Alex's console page as a browser holds it: the session cookie and the CSRF token."""

    def __init__(self, server: InProcessServer, cookie: str, csrf: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=server.url,
            headers={"Cookie": cookie, "X-CSRF-Token": csrf, "Origin": server.url},
        )

    @classmethod
    async def open(cls, server: InProcessServer, email: str) -> Console:
        cookie = await sign_in_cookie(server.url, email)
        async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": cookie}) as http:
            page = (await http.get("/console")).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf
        return cls(server, cookie, csrf.group(1))


async def _verified_and_away_from_the_desk(
    server: InProcessServer, provider: TextProvider
) -> Console:
    """Alex adds his mobile, types back the texted code, sets himself available and closes
    the console: only a text can reach him now."""
    alex = await Console.open(server, ALEX)
    added = await alex.http.post("/console/api/phone", json={"phone": "(312) 555-0142"})
    assert added.status_code == 200, added.text
    assert added.json() == {"enabled": True, "number": MOBILE, "verified": False}
    code_text = provider.wait_for(MOBILE)
    code = re.search(r"\b(\d{6})\b", code_text.body)
    assert code, code_text.body
    wrong = "000000" if code.group(1) != "000000" else "111111"
    refused = await alex.http.post("/console/api/phone/verify", json={"code": wrong})
    assert refused.status_code == 400 and refused.json()["field"] == "code"
    verified = await alex.http.post("/console/api/phone/verify", json={"code": code.group(1)})
    assert verified.json() == {"enabled": True, "number": MOBILE, "verified": True}
    desk, _ = await console(server.url, ALEX)
    await desk.send({"type": "presence", "status": "available"})
    await desk.expect("presence", status="available")
    await desk.socket.close()
    return alex


async def test_an_unanswered_ring_is_texted_and_the_link_accepts_it(
    serve_inprocess: Serve,
) -> None:
    with TextProvider() as provider:
        server = await _server(serve_inprocess, provider.env())
        alex = await _verified_and_away_from_the_desk(server, provider)
        shopper, _ = await visitor(server.ws_url, server.url)
        await shopper.send({"type": "message", "client_id": "s-0", "body": "Is the RAV4 here?"})
        conversation = (await shopper.expect_keeping("ack", client_id="s-0"))["conversation"]
        before = len(provider.texts)
        await server.advance(7.5)  # the dealership's default: a text after 8 s unaccepted
        assert len(provider.texts) == before
        await server.advance(1)
        text = provider.wait_for(MOBILE, since=before)
        assert text.sender == provider.sender
        assert text.body.startswith('Demo Motors: a shopper is waiting "Is the RAV4 here?"')
        link = re.search(r"(http://\S+/console/ring/\S+)$", text.body)
        assert link and link.group(1).startswith(server.url), text.body
        tapped = await alex.http.get(link.group(1))
        assert tapped.status_code == 303
        assert tapped.headers["location"] == f"/console?open={conversation}"
        await shopper.expect("status", state="connected")
        again = await alex.http.get(link.group(1))  # a second tap accepts nothing more
        assert again.status_code == 200 and 'data-reason="yours"' in again.text


async def test_a_link_whose_ring_ended_accepts_nothing(serve_inprocess: Serve) -> None:
    with TextProvider() as provider:
        server = await _server(serve_inprocess, provider.env())
        alex = await _verified_and_away_from_the_desk(server, provider)
        shopper, _ = await visitor(server.ws_url, server.url)
        await shopper.send({"type": "message", "client_id": "s-0", "body": "Still open?"})
        await shopper.expect_keeping("ack", client_id="s-0")
        before = len(provider.texts)
        await server.advance(9)
        link = re.search(r"(http://\S+)$", provider.wait_for(MOBILE, since=before).body)
        assert link
        await server.advance(LADDER["store_window"])  # nobody took it: the ring is over
        tapped = await alex.http.get(link.group(1))
        assert tapped.status_code == 410 and 'data-reason="expired"' in tapped.text
        forged = await alex.http.get(link.group(1)[:-3] + "xyz")
        assert forged.status_code == 400 and 'data-reason="invalid"' in forged.text
        await shopper.expect("status", state="lead_capture")


async def test_without_a_provider_texts_are_hidden_and_the_ladder_unchanged(
    serve_inprocess: Serve,
) -> None:
    server = await _server(serve_inprocess, {})
    alex = await Console.open(server, ALEX)
    shown = await alex.http.get("/console/api/phone")
    assert shown.json() == {"enabled": False, "number": "", "verified": False}
    refused = await alex.http.post("/console/api/phone", json={"phone": MOBILE})
    assert refused.status_code == 503
    # A number verified while a provider was configured reaches nobody without one.
    async with server.runtime.db.sessions() as session, session.begin():
        await session.execute(
            update(Operator)
            .where(Operator.email == ALEX)
            .values(
                mobile_phone=MOBILE, mobile_verified_at=server.clock.now(), presence="available"
            )
        )
    shopper, _ = await visitor(server.ws_url, server.url)
    await shopper.send({"type": "message", "client_id": "s-0", "body": "Hello?"})
    await shopper.expect_keeping("ack", client_id="s-0")
    async with server.runtime.db.sessions() as session:
        keys = list(await session.scalars(select(Deadline.key)))
    assert not [k for k in keys if k.startswith("text:")], keys
    # Alex is not on shift by a phone that cannot be texted: the store is skipped.
    await shopper.expect("status", state="lead_capture")
