"""The loopback push service (tests/support/push_service.py) against pywebpush as the sender.

The delivery tests trust this service to refuse what a real push service refuses, so its
own checks are tested here with a real client: a push it accepts is one pywebpush really
encrypted and signed, and each kind of bad push is refused with the status RFC 8030 and
RFC 8292 give.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid
from pywebpush import WebPusher, WebPushException, webpush

from tests.support.push_service import PushService, Subscription, b64url

CLAIMS = {"sub": "mailto:ops@dealer-chat.example"}


def new_vapid() -> Vapid:
    vapid = Vapid()
    vapid.generate_keys()
    return vapid


@pytest.fixture(scope="module")
def vapid() -> Vapid:
    return new_vapid()


@pytest.fixture(scope="module")
def service(vapid: Vapid) -> Iterator[PushService]:
    public = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    with PushService(expected_public_key=b64url(public)) as service:
        yield service


def push(
    subscription: Subscription,
    vapid: Vapid | None,
    claims: dict[str, Any] | None = None,
    **headers: str,
) -> int:
    """Send ``{"ring": 1}`` with pywebpush; the push service's status."""
    try:
        response = webpush(
            subscription.info,
            data='{"ring": 1}',
            vapid_private_key=vapid,
            vapid_claims=dict(claims or CLAIMS) if vapid else None,
            ttl=30,
            headers=headers,
            timeout=5,
        )
    except WebPushException as error:
        assert error.response is not None
        return int(error.response.status_code)
    return int(response.status_code)


def test_a_push_is_decrypted_and_its_headers_recorded(service: PushService, vapid: Vapid) -> None:
    subscription = service.subscribe()
    assert push(subscription, vapid, Urgency="high", Topic="conversation-42") == 201

    delivery = service.wait_for(lambda d: d.token == subscription.token)
    assert delivery.json() == {"ring": 1}
    assert (delivery.ttl, delivery.urgency, delivery.topic) == (30, "high", "conversation-42")
    assert delivery.headers["content-encoding"] == "aes128gcm"
    assert delivery.headers["authorization"].startswith("vapid t=")
    assert subscription.endpoint.startswith(f"{service.url}/push/")
    assert set(subscription.info["keys"]) == {"p256dh", "auth"}


def test_another_vapid_key_is_refused(service: PushService) -> None:
    subscription = service.subscribe()
    assert push(subscription, new_vapid()) == 403
    assert not [d for d in service.deliveries if d.token == subscription.token]
    assert any(
        a.token == subscription.token and "application server's key" in a.reason
        for a in service.rejected
    )


def test_a_token_for_another_origin_is_refused(service: PushService, vapid: Vapid) -> None:
    subscription = service.subscribe()
    claims = {**CLAIMS, "aud": "https://fcm.googleapis.com"}
    assert push(subscription, vapid, claims) == 403
    assert [a.reason for a in service.rejected if a.token == subscription.token] == [
        f"aud 'https://fcm.googleapis.com' is not {service.url}"
    ]


def test_a_push_without_vapid_is_refused(service: PushService) -> None:
    subscription = service.subscribe()
    assert push(subscription, None) == 401
    assert not [d for d in service.deliveries if d.token == subscription.token]


def test_respond_with_gone_records_the_attempt_only(service: PushService, vapid: Vapid) -> None:
    subscription = service.subscribe()
    service.respond_with(subscription, 410)
    assert push(subscription, vapid) == 410
    assert [a.status for a in service.attempts if a.token == subscription.token] == [410]
    assert not [d for d in service.deliveries if d.token == subscription.token]


def test_an_unknown_token_is_not_found(service: PushService, vapid: Vapid) -> None:
    subscription = service.subscribe()
    unknown = Subscription(
        "unknown",
        {**subscription.info, "endpoint": f"{service.url}/push/unknown"},
        subscription.private_key,
        subscription.auth,
    )
    assert push(unknown, vapid) == 404


async def test_an_aiohttp_push_is_delivered(service: PushService, vapid: Vapid) -> None:
    """The server sends with ``WebPusher.send_async`` over aiohttp: that path too."""
    subscription = service.subscribe()
    claims = {**CLAIMS, "aud": service.url, "exp": int(time.time()) + 3600}
    headers = {**vapid.sign(claims), "Urgency": "normal"}
    async with aiohttp.ClientSession() as http:
        response = await WebPusher(subscription.info, aiohttp_session=http).send_async(
            '{"ring": 2}', headers, ttl=5, content_encoding="aes128gcm"
        )
    assert response.status == 201
    assert response.headers["Location"].startswith(f"{service.url}/message/")
    delivery = await service.wait_for_async(lambda d: d.token == subscription.token)
    assert (delivery.json(), delivery.ttl, delivery.urgency) == ({"ring": 2}, 5, "normal")


def test_a_payload_for_other_keys_is_refused(service: PushService, vapid: Vapid) -> None:
    subscription, other = service.subscribe(), service.subscribe()
    misaddressed = Subscription(
        subscription.token,
        {**other.info, "endpoint": subscription.endpoint},
        other.private_key,
        other.auth,
    )
    assert push(misaddressed, vapid) == 400
    assert [a.reason[:26] for a in service.rejected if a.token == subscription.token] == [
        "payload does not decrypt: "
    ]


def test_a_forged_signature_is_refused(service: PushService, vapid: Vapid) -> None:
    subscription = service.subscribe()
    claims = {**CLAIMS, "aud": service.url, "exp": int(time.time()) + 3600}
    token, key = vapid.sign(claims)["Authorization"].removeprefix("vapid t=").split(",k=")
    head, body, _ = token.split(".")
    forged = f"vapid t={head}.{body}.{b64url(bytes(64))}, k={key}"
    headers = {"TTL": "0", "Content-Encoding": "aes128gcm", "Authorization": forged}
    assert httpx.post(subscription.endpoint, headers=headers, content=b"x").status_code == 403
    assert [a.reason for a in service.rejected if a.token == subscription.token] == [
        "JWT signature does not verify with k"
    ]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Encoding": "aes128gcm"}, 400),  # no TTL (RFC 8030 5.2)
        ({"TTL": "-1", "Content-Encoding": "aes128gcm"}, 400),
        ({"TTL": "30", "Content-Encoding": "aesgcm"}, 415),  # the pre-RFC 8291 draft
        ({"TTL": "30", "Content-Encoding": "aes128gcm", "Urgency": "urgent"}, 400),
        ({"TTL": "30", "Content-Encoding": "aes128gcm", "Topic": "x" * 33}, 400),
        ({"TTL": "30", "Content-Encoding": "aes128gcm", "Topic": "a.b"}, 400),
    ],
)
def test_rfc_8030_headers_are_checked(
    service: PushService, headers: dict[str, str], status: int
) -> None:
    subscription = service.subscribe()
    assert httpx.post(subscription.endpoint, headers=headers, content=b"x").status_code == status


def test_a_token_valid_for_more_than_a_day_is_refused(service: PushService, vapid: Vapid) -> None:
    subscription = service.subscribe()
    assert push(subscription, vapid, {**CLAIMS, "exp": int(time.time()) + 25 * 3600}) == 403


async def test_wait_for_async_sees_a_delayed_push(service: PushService, vapid: Vapid) -> None:
    subscription = service.subscribe()
    service.delay(subscription, 0.2)
    sending = asyncio.create_task(asyncio.to_thread(push, subscription, vapid))
    delivery = await service.wait_for_async(lambda d: d.token == subscription.token)
    assert delivery.json() == {"ring": 1}
    assert await sending == 201


def test_wait_for_names_what_arrived(service: PushService, vapid: Vapid) -> None:
    subscription = service.subscribe()
    assert push(subscription, vapid) == 201
    with pytest.raises(AssertionError, match=subscription.token):
        service.wait_for(lambda d: d.topic == "never", timeout=0.05)


def test_stopping_does_not_wait_out_a_delay(vapid: Vapid) -> None:
    answers: list[int | Exception] = []

    def send(subscription: Subscription) -> None:
        try:
            answers.append(push(subscription, vapid))
        except Exception as error:  # the connection may close under it: also fine
            answers.append(error)

    with PushService() as service:
        subscription = service.subscribe()
        service.delay(subscription, 60)
        sender = threading.Thread(target=send, args=(subscription,), daemon=True)
        sender.start()
        deadline = time.monotonic() + 5
        while service.in_flight == 0:  # until the push is held by the service
            assert time.monotonic() < deadline, "the push never reached the service"
            time.sleep(0.01)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 3
    sender.join(timeout=5)
    assert answers, "the delayed push never got an answer"
