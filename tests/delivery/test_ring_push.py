"""A ring reaches a salesperson's phone by Web Push, with no console of theirs open.

Against a real in-process server (SQLite or PostgreSQL + Redis, per the pass) and the
loopback push service of tests/support/push_service.py, which checks the VAPID signature
against the server's published key and decrypts the body with the subscription's own keys,
as a phone's browser would.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from chat_server.chats.presence import sweep_away
from chat_server.store.models import Operator, PushSubscription
from tests.support.clients import console, sign_in_cookie, visitor
from tests.support.inprocess import InProcessServer
from tests.support.push_service import Delivery, PushService, Subscription

Serve = Callable[..., Awaitable[InProcessServer]]
ALEX = "alex@demo-motors.test"
SAM = "sam@demo-motors.test"
LADDER = {"store_window": 20, "pool_window": 25}


async def _server(serve_inprocess: Serve) -> InProcessServer:
    server = await serve_inprocess(LADDER, env={"DEALER_CHAT_PUSH_LOOPBACK": "1"})
    await server.admin(
        "set-hours", "--dealership", "demo-motors", "--department", "sales", "--always-open"
    )
    return server


async def _phone(server: InProcessServer, email: str, service: PushService) -> Subscription:
    """``email`` turns "Ring my phone" on (through the console's API), then sets themselves
    available and closes their console: from now on only the phone can ring them."""
    subscription = service.subscribe()
    cookie = await sign_in_cookie(server.url, email)
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": cookie}) as http:
        page = await http.get("/console")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf, "the console page has no CSRF token"
        added = await http.post(
            "/console/api/push/devices",
            json={"subscription": subscription.info, "label": "Chrome on Android"},
            headers={"X-CSRF-Token": csrf.group(1), "Origin": server.url},
        )
        assert added.status_code == 201, added.text
    desk, _ = await console(server.url, email)
    await desk.send({"type": "presence", "status": "available"})
    await desk.expect("presence", status="available")
    await desk.socket.close()
    return subscription


async def _public_key(server: InProcessServer) -> str:
    return server.runtime.push.keys.public_key  # type: ignore[union-attr]


def _ring_for(conversation: str) -> Callable[[Delivery], bool]:
    def matches(delivery: Delivery) -> bool:
        payload = delivery.json()
        return payload["type"] == "ring" and payload["conversation"] == conversation

    return matches


async def _shopper_asks(server: InProcessServer) -> str:
    shopper, _ = await visitor(server.ws_url, server.url)
    await shopper.send({"type": "message", "client_id": "s-0", "body": "Is the RAV4 here?"})
    return str((await shopper.expect_keeping("ack", client_id="s-0"))["conversation"])


async def test_a_salesperson_with_no_console_open_is_rung_on_their_phone(
    serve_inprocess: Serve,
) -> None:
    server = await _server(serve_inprocess)
    async with PushService(expected_public_key=await _public_key(server)) as service:
        phone = await _phone(server, ALEX, service)
        conversation = await _shopper_asks(server)
        push = await service.wait_for_async(_ring_for(conversation))
        payload = push.json()
        assert push.token == phone.token
        assert push.urgency == "high"
        assert push.topic == conversation  # a later push for this chat replaces this one
        assert 0 < push.ttl <= LADDER["store_window"]  # no longer than the ring lasts
        assert payload["dealership"] == "Demo Motors"
        assert payload["first_words"] == "Is the RAV4 here?"
        assert payload["tier"] == "store"
        assert payload["accept_url"].startswith("/console/ring/")
        assert payload["decline_url"] == payload["accept_url"] + "/decline"
        datetime.fromisoformat(payload["expires_at"])


async def test_a_ring_taken_by_a_colleague_sends_the_cancel_push(serve_inprocess: Serve) -> None:
    server = await _server(serve_inprocess)
    async with PushService(expected_public_key=await _public_key(server)) as service:
        alex_phone = await _phone(server, ALEX, service)
        sam, _ = await console(server.url, SAM)
        await sam.send({"type": "presence", "status": "available"})
        await sam.expect("presence", status="available")
        conversation = await _shopper_asks(server)
        await service.wait_for_async(_ring_for(conversation))
        await sam.expect("ring", conversation=conversation)
        await sam.send({"type": "accept", "conversation": conversation})
        await sam.expect("conversation", id=conversation)
        cancelled = {"type": "ring_cancelled", "conversation": conversation, "reason": "taken"}
        cancel = await service.wait_for_async(lambda d: d.json() == cancelled)
        assert cancel.token == alex_phone.token
        assert cancel.topic == conversation


async def test_a_phone_whose_subscription_is_gone_is_forgotten(serve_inprocess: Serve) -> None:
    server = await _server(serve_inprocess)
    async with PushService(expected_public_key=await _public_key(server)) as service:
        phone = await _phone(server, ALEX, service)
        service.respond_with(phone, 410)  # the app was uninstalled
        await _shopper_asks(server)
        rt = server.runtime
        for _ in range(500):
            async with rt.db.sessions() as session:
                left = await session.scalar(
                    select(PushSubscription.id).where(
                        PushSubscription.endpoint == phone.info["endpoint"]
                    )
                )
            if left is None:
                break
            await asyncio.sleep(0.01)
        assert left is None, "a 410 Gone subscription was kept"
        assert [a.status for a in service.attempts] == [410]
        metrics = (await httpx.AsyncClient(base_url=server.url).get("/metrics")).text
        assert 'dealer_chat_web_pushes_total{result="gone"} 1.0' in metrics


async def test_a_slow_push_service_holds_up_no_ring(serve_inprocess: Serve) -> None:
    """Sam's phone hangs for 30 s; Alex's console is rung and answers all the same."""
    server = await _server(serve_inprocess)
    async with PushService(expected_public_key=await _public_key(server)) as service:
        slow = await _phone(server, SAM, service)
        service.delay(slow, 30)
        alex, _ = await console(server.url, ALEX)
        await alex.send({"type": "presence", "status": "available"})
        await alex.expect("presence", status="available")
        conversation = await _shopper_asks(server)
        await alex.expect("ring", conversation=conversation)
        while service.in_flight == 0:  # Sam's push is being held by his push service
            await asyncio.sleep(0.01)
        await alex.send({"type": "accept", "conversation": conversation})
        await alex.expect("conversation", id=conversation, state="connected")
        async with server.runtime.db.sessions() as session:
            sam = await session.scalar(select(Operator).where(Operator.email == SAM))
        assert sam is not None and sam.presence == "available"


async def test_a_manager_sees_who_can_be_rung_and_by_what(serve_inprocess: Serve) -> None:
    server = await _server(serve_inprocess)
    async with PushService(expected_public_key=await _public_key(server)) as service:
        await _phone(server, ALEX, service)
        cookie = await sign_in_cookie(server.url, "morgan@demo-motors.test")
        async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": cookie}) as http:
            page = (await http.get("/console/dashboard")).text
        rows = {
            re.sub(r"<[^>]+>", " ", row).split()[0]: " ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r'<tr data-testid="team-member">(.*?)</tr>', page, re.S)
        }
        assert rows["Alex"] == "Alex Rivera Available 1 phone Yes"
        assert rows["Sam"] == "Sam Patel Away nothing: not reachable No"
        assert rows["Morgan"].startswith("Morgan Lee manager")


async def test_after_the_end_of_a_shift_the_phone_is_not_rung(serve_inprocess: Serve) -> None:
    server = await _server(serve_inprocess)
    async with PushService(expected_public_key=await _public_key(server)) as service:
        await _phone(server, ALEX, service)
        alex, _ = await console(server.url, ALEX)
        now = server.clock.now()
        for bad in ("tonight", "2026-12-03T18:00:00", (now - timedelta(minutes=1)).isoformat()):
            await alex.send({"type": "presence", "status": "available", "until": bad})
            await alex.expect("error", code="bad_field", field="until")
        until = (now + timedelta(minutes=30)).isoformat()
        await alex.send({"type": "presence", "status": "available", "until": until})
        frame = await alex.expect("presence", status="available")
        assert frame["reach"]["until"] == until and frame["reach"]["phones"] == 1
        await alex.socket.close()
        await server.advance(31 * 60)
        conversation = await _shopper_asks(server)
        await server.runtime.push.drained()  # type: ignore[union-attr]  # queued at commit
        assert not [d for d in service.deliveries if d.json().get("conversation") == conversation]
        # The end of the shift sets them away: this sweep, or the node's own background sweep
        # (it runs on real time and reads the moved clock) if it came first.
        await sweep_away(server.runtime, grace_s=60)
        async with server.runtime.db.sessions() as session:
            presence = await session.scalar(
                select(Operator.presence).where(Operator.id == await _operator_id(server, ALEX))
            )
        assert presence == "away"


async def _operator_id(server: InProcessServer, email: str) -> int:
    async with server.runtime.db.sessions() as session:
        found = await session.scalar(select(Operator.id).where(Operator.email == email))
    assert found is not None
    return found


async def test_an_operator_sees_and_removes_only_their_own_devices(serve_inprocess: Serve) -> None:
    server = await _server(serve_inprocess)
    async with PushService(expected_public_key=await _public_key(server)) as service:
        await _phone(server, ALEX, service)
        clients = {}
        for email in (ALEX, SAM):
            cookie = await sign_in_cookie(server.url, email)
            http = httpx.AsyncClient(base_url=server.url, headers={"Cookie": cookie})
            csrf = re.search(
                r'name="csrf_token" value="([^"]+)"', (await http.get("/console")).text
            )
            assert csrf
            http.headers.update({"X-CSRF-Token": csrf.group(1), "Origin": server.url})
            clients[email] = http
        [alex_device] = (await clients[ALEX].get("/console/api/push/devices")).json()["devices"]
        assert (await clients[SAM].get("/console/api/push/devices")).json()["devices"] == []
        path = f"/console/api/push/devices/{alex_device['id']}/delete"
        assert (await clients[SAM].post(path)).status_code == 404
        assert len((await clients[ALEX].get("/console/api/push/devices")).json()["devices"]) == 1
        assert (await clients[ALEX].post(path)).status_code == 204
        assert (await clients[ALEX].get("/console/api/push/devices")).json()["devices"] == []
        bad = await clients[SAM].post(
            "/console/api/push/devices",
            json={
                "subscription": {
                    "endpoint": "https://push.example/x",
                    "keys": {"p256dh": "AA", "auth": "AA"},
                }
            },
        )
        assert bad.status_code == 400 and bad.json()["field"] == "subscription"
        for http in clients.values():
            await http.aclose()
