"""A real server at DEBUG with JSON logs never writes what shoppers said, who they are, or a
secret: chats are answered and missed, an operator signs in (once wrongly), the API is used
with a token, and a lead is delivered by webhook (after a failure) while SMTP keeps failing.
Every line it writes is one JSON object, and the ladder's lines carry the conversation id."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from websockets.asyncio.client import connect

from chat_server.store.models import LeadDelivery
from tests.leads.chats import FAST_RETRIES, eventually, rows, unanswered_chat
from tests.leads.receivers import SmtpServer, WebhookReceiver, smtp_server
from tests.support.clients import FrameClient, new_client_id, sign_in_cookie, visitor
from tests.support.server_process import ServerProcess

SHOPPER = {
    "name": "Zebulon Quixotewright",
    "phone": "(312) 555-0187",
    "email": "zebulon.q7@example.org",
    "preferred_time": "evening",
}
BODY = "PURPLE-OCTOPUS-7731 my trade-in is a 2015 Civic"
REPLY = "MANGO-REPLY-5512 we can look at it today"
OPERATOR_EMAIL = "quinn@demo-motors.test"
PASSWORD = "Tangerine-Lamp-9931!"
WRONG_PASSWORD = "Wrong-Kumquat-4417"
SMTP_PASSWORD = "Smtp-Walrus-6620"
WEBHOOK_SECRET = "whsec-Narwhal-0123456789"
URL_TOKEN = "URLTOKEN-Ibis-5309"
BANNER = ("dealer-chat demo", "  ")  # the demo's own stdout, printed before it serves

# Any of these in the log is a leak. The phone is also checked as the CRM formats it.
NEVER_LOGGED = [
    "Quixotewright",
    "555-0187",
    "5550187",
    "zebulon.q7",
    "PURPLE-OCTOPUS",
    "MANGO-REPLY",
    PASSWORD,
    WRONG_PASSWORD,
    SMTP_PASSWORD,
    WEBHOOK_SECRET,
    URL_TOKEN,
]


class DebugServer(ServerProcess):
    """The demo at DEBUG (the shared fixture starts it at INFO)."""

    def _command(self) -> list[str]:
        command = super()._command()
        command[command.index("--log-level") + 1] = "debug"
        return command


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver([500, 200]) as receiver:
        yield receiver


@pytest.fixture
def server(
    tmp_path: Path, database_url: str, broker_url: str, smtp: SmtpServer
) -> Iterator[DebugServer]:
    env = {
        "DEALER_CHAT_LOG_FORMAT": "json",
        "DEALER_CHAT_SMTP_HOST": "127.0.0.1",
        "DEALER_CHAT_SMTP_PORT": str(smtp.port),
        "DEALER_CHAT_SMTP_TLS": "none",
        # The test SMTP server offers no AUTH: every send fails after the password is used.
        "DEALER_CHAT_SMTP_USER": "leadbot",
        "DEALER_CHAT_SMTP_PASSWORD": SMTP_PASSWORD,
        **FAST_RETRIES,
    }
    process = DebugServer(
        tmp_path / "node",
        database_url=database_url,
        broker_url=broker_url,
        ladder={"store_window": 30, "pool_window": 0.3},
        env=env,
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def operator_console(server: ServerProcess, cookie: str) -> FrameClient:
    socket = await connect(
        server.ws_url + "/ws/console",
        origin=server.url,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
    )
    client = FrameClient(socket)
    await client.expect("welcome")
    return client


async def wrong_sign_in(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/console/sign-in")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match
        form = {"email": OPERATOR_EMAIL, "password": WRONG_PASSWORD, "csrf_token": match[1]}
        response = await http.post("/console/sign-in", data=form)
        assert response.status_code == 400


async def test_nothing_personal_or_secret_reaches_the_log(
    server: DebugServer, webhook: WebhookReceiver
) -> None:
    server.admin("set-hours", "--dealership", "demo-motors", "--always-open")
    server.admin(
        "set-crm",
        "--dealership",
        "demo-motors",
        "--email",
        "leads@crm.example",
        "--webhook-url",
        f"{webhook.url}?token={URL_TOKEN}",
        "--webhook-secret",
        WEBHOOK_SECRET,
    )
    server.admin(
        "create-operator",
        "--email",
        OPERATOR_EMAIL,
        "--name",
        "Quinn Observer",
        "--role",
        "salesperson",
        "--dealership",
        "demo-motors",
        "--password",
        PASSWORD,
    )
    api_token = server.admin("create-api-token", "--dealership", "demo-motors", "--name", "t")
    api_token = api_token.strip().split()[-1]

    await wrong_sign_in(server)
    cookie = await sign_in_cookie(server.url, OPERATOR_EMAIL, PASSWORD)
    quinn = await operator_console(server, cookie)
    await quinn.send({"type": "presence", "status": "available"})
    await quinn.expect("presence", status="available")

    # An Up: the shopper's words and the operator's reply.
    shopper, _ = await visitor(server.ws_url, server.url)
    await shopper.send({"type": "message", "client_id": new_client_id(), "body": BODY})
    answered = (await shopper.expect_keeping("ack"))["conversation"]
    await quinn.expect("ring", conversation=answered)
    await quinn.send({"type": "accept", "conversation": answered})
    await quinn.expect("conversation", id=answered, state="connected")
    await quinn.send(
        {"type": "message", "conversation": answered, "client_id": "q1", "body": REPLY}
    )
    await shopper.expect("message", seq=2)
    await quinn.send({"type": "close", "conversation": answered})
    await quinn.expect("conversation", id=answered, state="closed")
    await shopper.close()

    # A missed chat: contact details, a lead, an SMTP failure and a webhook retried to success.
    await quinn.send({"type": "presence", "status": "away"})
    await quinn.expect("presence", status="away")
    missed = await unanswered_chat(server, SHOPPER)

    async def webhook_delivered_and_smtp_failed() -> bool:
        deliveries = await rows(server, LeadDelivery)
        by_channel = {d.channel: d for d in deliveries}
        return (
            by_channel.get("webhook") is not None
            and by_channel["webhook"].state == "delivered"
            and by_channel.get("email") is not None
            and by_channel["email"].attempts >= 1
        )

    await eventually(webhook_delivered_and_smtp_failed)
    async with httpx.AsyncClient(base_url=server.url) as http:
        listed = await http.get("/api/v1/leads", headers={"Authorization": f"Bearer {api_token}"})
        assert listed.status_code == 200
        assert "Quixotewright" in listed.text  # the API does return it: it is just not logged
    await quinn.close()
    server.stop()  # flushes the log and adds the shutdown lines

    text = server.log_path.read_text()
    secrets = [*NEVER_LOGGED, api_token, cookie.split("=", 1)[1]]
    password = make_url(server.database_url).password
    if password:
        secrets.append(str(password))
    leaked = [s for s in secrets if s.lower() in text.lower()]
    assert not leaked, f"in the log: {leaked}"

    entries = []
    for line in text.splitlines():
        if not line.startswith("{"):
            assert line.startswith(BANNER), f"not a JSON log line: {line!r}"
            continue
        entry = json.loads(line)
        assert {"ts", "level", "logger", "msg", "node"} <= entry.keys(), entry
        entries.append(entry)
    assert any(e["level"] == "warning" and "lead delivery" in e["msg"] for e in entries)
    conversations = {e.get("conversation") for e in entries if e["logger"].startswith("chat_")}
    assert {answered, missed} <= conversations


async def test_a_lead_email_with_no_smtp_host_is_not_copied_into_the_log(
    start_server: Callable[..., ServerProcess],
) -> None:
    """The embedded default sends no e-mail; the log says so without the ADF (contact, chat)."""
    server = start_server(
        {"store_window": 0.3, "pool_window": 0.3},
        env={"DEALER_CHAT_LOG_FORMAT": "json", **FAST_RETRIES},
    )
    server.admin("set-crm", "--dealership", "demo-motors", "--email", "leads@crm.example")
    await unanswered_chat(server, SHOPPER)

    async def delivered() -> bool:
        return [d.state for d in await rows(server, LeadDelivery)] == ["delivered"]

    await eventually(delivered)
    server.stop()
    text = server.log_path.read_text()
    assert "no SMTP host: lead e-mail to leads@crm.example not sent" in text
    leaked = [s for s in NEVER_LOGGED if s.lower() in text.lower()]
    assert not leaked, f"in the log: {leaked}"
