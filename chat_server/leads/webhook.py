"""Posting a lead to a dealership's webhook: signed JSON with an idempotency key."""

from __future__ import annotations

import time

import httpx

from chat_server.leads.signature import HEADER, sign


class WebhookRefused(RuntimeError):
    """The receiver answered with something other than 2xx; the outbox tries again later."""


async def post_lead(
    client: httpx.AsyncClient, url: str, secret: str, body: str, idempotency_key: str
) -> str:
    data = body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": idempotency_key,
        "User-Agent": "dealer-chat-webhook/1",
    }
    if secret:
        headers[HEADER] = sign(secret, timestamp, data)
    response = await client.post(url, content=data, headers=headers)
    if not 200 <= response.status_code < 300:
        raise WebhookRefused(f"HTTP {response.status_code} from {url}")
    return f"HTTP {response.status_code}"
