"""Rate limits and socket caps on a real server (on this pass's database and broker)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from chat_server.demo_world import DEMO_LOGINS, DEMO_PASSWORD
from tests.limits.helpers import refused_with, shopper, stored_bodies
from tests.security.conftest import csrf_of
from tests.support.clients import console, new_client_id
from tests.support.server_process import ServerProcess

SLOW = {"store_window": 30, "pool_window": 30}
CLOSE_POLICY, CLOSE_TRY_AGAIN = 1008, 1013


async def test_a_refused_message_is_not_stored_and_can_be_sent_after_the_window(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(SLOW, env={"DEALER_CHAT_LIMIT_VISITOR_MESSAGES": "3/3s"})
    client, _ = await shopper(server.ws_url, server.url)
    conversation = None
    for n in range(1, 4):
        await client.send({"type": "message", "client_id": f"m{n}", "body": f"message {n}"})
        conversation = (await client.expect_keeping("ack", client_id=f"m{n}"))["conversation"]
    assert conversation is not None
    await client.send({"type": "message", "client_id": "m4", "body": "message 4"})
    error = await client.expect("error", code="rate_limited")
    assert error["client_id"] == "m4" and error["limit"] == "visitor"
    assert 1 <= error["retry_after"] <= 3
    assert not [f for f in client.seen if f.get("type") == "ack" and f["client_id"] == "m4"]
    assert await stored_bodies(server.database_url, conversation) == [
        "message 1",
        "message 2",
        "message 3",
    ]
    # The socket stayed open; after the wait the very same message goes through.
    await asyncio.sleep(error["retry_after"])
    await client.send({"type": "message", "client_id": "m4", "body": "message 4"})
    assert (await client.expect_keeping("ack", client_id="m4"))["seq"] == 4
    assert (await stored_bodies(server.database_url, conversation))[-1] == "message 4"

    # A client that keeps sending into the limit is closed like a flood (1008).
    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(20):
            await client.send({"type": "message", "client_id": new_client_id(), "body": "x"})
            await asyncio.sleep(0.02)
        await client.expect("never", timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_POLICY
    assert "rate limited" in closed.value.rcvd.reason
    assert len(await stored_bodies(server.database_url, conversation)) <= 6


async def test_per_address_caps_follow_the_trusted_proxy_header(
    start_server: Callable[..., ServerProcess],
) -> None:
    # The test client connects from 127.0.0.1, a trusted proxy by default: its
    # X-Forwarded-For names the client. Loopback is no longer exempt here.
    server = start_server(
        SLOW,
        env={
            "DEALER_CHAT_LIMIT_EXEMPT": "",
            "DEALER_CHAT_LIMIT_SOCKETS_PER_ADDRESS": "2",
            "DEALER_CHAT_LIMIT_ADDRESS_CONNECTS": "5/60s",
        },
    )
    ws, origin = server.ws_url, server.url
    a1, _ = await shopper(ws, origin, forwarded_for="203.0.113.1")
    a2, _ = await shopper(ws, origin, forwarded_for="203.0.113.1")
    code, reason = await refused_with(ws, origin, forwarded_for="203.0.113.1")
    assert code == CLOSE_TRY_AGAIN and "your address" in reason
    b1, _ = await shopper(ws, origin, forwarded_for="203.0.113.2")  # another client: fine
    # A socket that ends gives its slot back.
    await a1.close()
    for _ in range(50):
        try:
            a3, _ = await shopper(ws, origin, forwarded_for="203.0.113.1")
            break
        except (ConnectionClosed, AssertionError):
            await asyncio.sleep(0.1)
    else:
        raise AssertionError("the closed socket's slot was never released")
    # Connection attempts: five a minute from one address, then 1013 with the wait.
    for _ in range(5):
        c, _ = await shopper(ws, origin, forwarded_for="203.0.113.3")
        await c.close()
    code, reason = await refused_with(ws, origin, forwarded_for="203.0.113.3")
    assert code == CLOSE_TRY_AGAIN and "connection attempts" in reason
    for client in (a2, a3, b1):
        await client.close()


async def test_an_untrusted_forwarder_and_the_node_total(
    start_server: Callable[..., ServerProcess],
) -> None:
    # 127.0.0.1 is not a trusted proxy here: X-Forwarded-For is ignored and every socket
    # counts as 127.0.0.1. The node takes three sockets in all, consoles included.
    server = start_server(
        SLOW,
        env={
            "DEALER_CHAT_TRUSTED_PROXIES": "192.0.2.1",
            "DEALER_CHAT_LIMIT_EXEMPT": "",
            "DEALER_CHAT_LIMIT_SOCKETS_PER_ADDRESS": "2",
            "DEALER_CHAT_LIMIT_SOCKETS": "3",
        },
    )
    ws, origin = server.ws_url, server.url
    v1, _ = await shopper(ws, origin, forwarded_for="203.0.113.1")
    v2, _ = await shopper(ws, origin, forwarded_for="203.0.113.2")
    code, reason = await refused_with(ws, origin, forwarded_for="203.0.113.3")
    assert code == CLOSE_TRY_AGAIN and "your address" in reason
    operator, _ = await console(server.url, DEMO_LOGINS[0].email)
    with pytest.raises(ConnectionClosed) as closed:
        await console(server.url, DEMO_LOGINS[0].email)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_TRY_AGAIN
    assert closed.value.rcvd.reason == "server busy: try again later"
    for client in (v1, v2, operator):
        await client.close()


async def test_sign_ins_are_limited_per_client_address_behind_the_proxy(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(
        SLOW,
        env={"DEALER_CHAT_LIMIT_EXEMPT": "", "DEALER_CHAT_LIMIT_ADDRESS_SIGN_INS": "3/60s"},
    )
    email, password = DEMO_LOGINS[0].email, DEMO_PASSWORD

    async def attempt(http: httpx.AsyncClient, client: str, email: str, password: str) -> int:
        token = csrf_of((await http.get("/console/sign-in")).text)
        response = await http.post(
            "/console/sign-in",
            data={"email": email, "password": password, "csrf_token": token},
            headers={"X-Forwarded-For": client},
        )
        if response.status_code == 429:
            assert "Too many sign-in attempts from here" in response.text
        return response.status_code

    async with httpx.AsyncClient(base_url=server.url) as http:
        # An unknown account, so the per-account lockout stays out of it.
        tries = [await attempt(http, "203.0.113.7", "nobody@example.com", "x") for _ in range(4)]
        assert tries == [400, 400, 400, 429]
        # Refused before the password is checked, even the right one.
        assert await attempt(http, "203.0.113.7", email, password) == 429
    # Another client behind the same proxy has its own budget.
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert await attempt(http, "203.0.113.8", email, password) == 303
