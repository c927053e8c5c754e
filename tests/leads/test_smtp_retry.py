"""One lead e-mail keeps its Message-ID across SMTP retries, even when another node retries it.

A real aiosmtpd server refuses the first two DATA commands with a temporary 451 and accepts
the third. The lead comes from a real unanswered chat on a real server (``dealer-chat demo``),
and the outbox worker of that server makes the first attempt, then a second node (another
process) the two others.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

from sqlalchemy import update

from chat_server.store.database import open_database
from chat_server.store.models import LeadDelivery
from tests.leads.chats import DANA, FAST_LADDER, FAST_RETRIES, eventually, rows, unanswered_chat
from tests.leads.receivers import MailBox, SmtpServer
from tests.support.server_process import ServerProcess

REFUSALS = 2


class RefusingMailBox(MailBox):
    """Answers ``451`` to the first ``refusals`` DATA commands, then accepts like ``MailBox``;
    keeps the Message-ID of every attempt, refused or not."""

    def __init__(self, refusals: int) -> None:
        super().__init__()
        self.refusals = refusals
        self.attempt_ids: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.attempt_ids.append(str(message["Message-ID"]))
        if len(self.attempt_ids) <= self.refusals:
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)


async def test_every_retry_of_one_send_has_the_same_message_id_across_nodes(
    start_server: Callable[..., ServerProcess],
) -> None:
    smtp = SmtpServer()
    box = smtp.box = RefusingMailBox(REFUSALS)
    smtp.start()
    try:
        smtp_env = {
            "DEALER_CHAT_SMTP_HOST": "127.0.0.1",
            "DEALER_CHAT_SMTP_PORT": str(smtp.port),
            "DEALER_CHAT_SMTP_TLS": "none",
            "DEALER_CHAT_SMTP_FROM": "leads@chat.lake-ford.example",
            **FAST_RETRIES,
        }
        # The first node would wait an hour before its retry: it makes the first attempt only.
        hour = {
            "DEALER_CHAT_DELIVERY_RETRY_FIRST": "3600",
            "DEALER_CHAT_DELIVERY_RETRY_CAP": "3600",
        }
        first = start_server(FAST_LADDER, name="a", env={**smtp_env, **hour})
        first.admin("set-crm", "--dealership", "demo-motors", "--email", "leads@crm.example")
        await unanswered_chat(first, DANA)
        await eventually(lambda: _attempts_recorded(first, 1))
        first.stop()
        assert len(box.attempt_ids) == 1
        # The hour has passed: the second node makes the other attempts from the same row.
        await _retry_now(first)
        second = start_server(FAST_LADDER, name="b", env=smtp_env)
        await eventually(lambda: _delivered(second), timeout=30)

        [delivery] = await rows(second, LeadDelivery)
        assert (delivery.state, delivery.attempts) == ("delivered", REFUSALS + 1)
        assert len(box.attempt_ids) == REFUSALS + 1
        assert len(set(box.attempt_ids)) == 1, box.attempt_ids
        message_id = box.attempt_ids[0]
        assert message_id.startswith(f"<{delivery.idempotency_key}.")
        assert message_id.endswith("@chat.lake-ford.example>")
        # Exactly one e-mail arrived, carrying that Message-ID.
        assert [str(m["Message-ID"]) for m in box.messages] == [message_id]
        assert box.recipients == [["leads@crm.example"]]
    finally:
        smtp.stop()


async def _attempts_recorded(server: ServerProcess, n: int) -> bool:
    return any(d.attempts >= n for d in await rows(server, LeadDelivery))


async def _retry_now(server: ServerProcess) -> None:
    async with open_database(server.database_url) as db, db.sessions() as session:
        await session.execute(update(LeadDelivery).values(next_attempt_at=datetime.now(UTC)))
        await session.commit()


async def _delivered(server: ServerProcess) -> bool:
    deliveries = await rows(server, LeadDelivery)
    return bool(deliveries) and all(d.state == "delivered" for d in deliveries)
