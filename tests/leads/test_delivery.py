"""Leads reach the CRM from a real server: ADF e-mail over real SMTP, signed webhooks,
de-duplication of a returning shopper, retries across an SMTP outage and a server restart."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from chat_server.leads.signature import HEADER, verify
from chat_server.store.models import Lead, LeadDelivery
from tests.leads.adf_check import parse_adf
from tests.leads.chats import DANA, FAST_LADDER, FAST_RETRIES, eventually, rows, unanswered_chat
from tests.leads.receivers import SmtpServer, WebhookReceiver, smtp_server
from tests.support.inprocess import InProcessServer
from tests.support.server_process import ServerProcess

Serve = Callable[..., Awaitable[InProcessServer]]

SECRET = "whsec-test-0123456789abcdef"


def adf_of(message: Any) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


async def test_unanswered_chat_is_one_adf_email_and_a_returning_shopper_is_a_resend(
    start_server: Callable[..., ServerProcess],
) -> None:
    with smtp_server() as smtp:
        server = start_server(FAST_LADDER, env=_smtp_env(smtp))
        server.admin(
            "set-crm",
            "--dealership",
            "demo-motors",
            "--email",
            "leads@crm.example",
            "--email",
            "elead@crm.example",
        )
        await unanswered_chat(server, DANA)
        await eventually(lambda: _count(smtp, 2))
        assert sorted(r[0] for r in smtp.box.recipients) == [
            "elead@crm.example",
            "leads@crm.example",
        ]
        message = smtp.box.messages[0]
        assert message["Subject"] == "Lead from chat: Demo Motors, Dana Shopper"
        root = parse_adf(adf_of(message).encode())
        prospect = root.find("prospect")
        assert prospect is not None and prospect.get("status") == "new"
        assert [c.tag for c in prospect] == [
            "id",
            "requestdate",
            "vehicle",
            "customer",
            "vendor",
            "provider",
        ]
        contact = prospect.find("customer/contact")
        assert contact is not None
        assert [n.text for n in contact.findall("name")] == ["Dana", "Shopper"]
        assert contact.findtext("email") == "dana@example.com"
        assert contact.findtext("phone") == "+13125550100"
        assert contact.find("phone").get("time") == "evening"  # type: ignore[union-attr]
        # The test shopper's page said: vin, year 2024, make Toyota (and no model).
        vehicle = prospect.find("vehicle")
        assert vehicle is not None
        assert (
            vehicle.findtext("year"),
            vehicle.findtext("make"),
            vehicle.findtext("model"),
            vehicle.findtext("vin"),
        ) == ("2024", "Toyota", "", "2T3P1RFV8RC123456")
        assert "Is it there?" in prospect.findtext("customer/comments", "")
        assert prospect.findtext("provider/service", "").startswith("unanswered chat")
        first_id = prospect.findtext("id")

        # The SMTP server goes down; the same shopper comes back (same e-mail) meanwhile.
        smtp.stop()
        await unanswered_chat(server, {**DANA, "phone": "", "name": "dana shopper"})
        await eventually(lambda: _failed_once(server))
        smtp.start()
        await eventually(lambda: _count(smtp, 4))
        [lead] = await rows(server, Lead)
        assert lead.resend_count == 1
        for message in smtp.box.messages[2:]:
            resent = parse_adf(adf_of(message).encode())
            assert resent.find("prospect").get("status") == "resend"  # type: ignore[union-attr]
            assert resent.findtext("prospect/id") == first_id
            assert resent.findtext("prospect/customer/comments", "").count("Is it there?") == 2
        # Exactly once: nothing more arrives once every delivery is recorded as delivered.
        deliveries = await rows(server, LeadDelivery)
        assert [d.state for d in deliveries] == ["delivered"] * 4
        assert len(smtp.box.messages) == 4


async def _count(smtp: SmtpServer, n: int) -> bool:
    assert len(smtp.box.messages) <= n, f"too many mails: {len(smtp.box.messages)}"
    return len(smtp.box.messages) == n


async def _failed_once(server: ServerProcess) -> bool:
    return any(d.attempts >= 1 and d.last_error for d in await rows(server, LeadDelivery))


def _smtp_env(smtp: SmtpServer) -> dict[str, str]:
    return {
        "DEALER_CHAT_SMTP_HOST": "127.0.0.1",
        "DEALER_CHAT_SMTP_PORT": str(smtp.port),
        "DEALER_CHAT_SMTP_TLS": "none",
        **FAST_RETRIES,
    }


async def test_webhook_is_signed_retried_and_survives_a_restart(
    start_server: Callable[..., ServerProcess],
) -> None:
    with WebhookReceiver([500, 500, 200]) as receiver:
        env = {**FAST_RETRIES, "DEALER_CHAT_DELIVERY_RETRY_FIRST": "1"}
        server = start_server(FAST_LADDER, env=env)
        server.admin(
            "set-crm",
            "--dealership",
            "demo-motors",
            "--email",
            "",
            "--webhook-url",
            receiver.url,
            "--webhook-secret",
            SECRET,
        )
        await unanswered_chat(server, DANA)
        await eventually(lambda: _received(receiver, 1))
        server.restart()  # between the first and the second attempt
        await eventually(lambda: _received(receiver, 3))
        await eventually(lambda: _delivered(server))
        [delivery] = await rows(server, LeadDelivery)
        assert (delivery.state, delivery.attempts) == ("delivered", 3)
        keys = {headers["idempotency-key"] for headers, _ in receiver.requests}
        assert keys == {delivery.idempotency_key}
        for headers, body in receiver.requests:
            assert verify(SECRET, headers[HEADER.lower()], body, now=time.time())
        payload = json.loads(receiver.requests[-1][1])
        assert payload["event"] == "lead.created"
        assert payload["lead"]["customer"]["phone"] == "+13125550100"
        parse_adf(payload["adf"].encode())
        assert len(receiver.requests) == 3


async def _received(receiver: WebhookReceiver, n: int) -> bool:
    return len(receiver.requests) >= n


async def _delivered(server: ServerProcess) -> bool:
    return all(d.state == "delivered" for d in await rows(server, LeadDelivery))


async def test_a_node_stopped_mid_send_hands_its_claim_back(serve_inprocess: Serve) -> None:
    """A restart while a webhook is being sent must not keep the lead from the CRM for the
    whole lease (60 s): the stopping node releases its claim, so the next node sends at once."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/dealer-chat/leads"
        server = await serve_inprocess(FAST_LADDER, env=FAST_RETRIES)
        await server.admin(
            "set-crm", "--dealership", "demo-motors", "--email", "", "--webhook-url", url
        )
        await unanswered_chat(server, DANA)

        async def claimed() -> bool:
            return any(row.lease_owner for row in await rows(server, LeadDelivery))

        await eventually(claimed)  # the send hangs on the silent receiver
        await server.stop()
        [delivery] = await rows(server, LeadDelivery)
        assert (delivery.state, delivery.lease_owner, delivery.lease_until) == (
            "pending",
            None,
            None,
        )
