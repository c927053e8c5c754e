"""Sending a lead e-mail: the ADF as the plain-text body, optionally attached as well."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr

import aiosmtplib

from chat_server.settings import Settings

log = logging.getLogger(__name__)

# For a sender address without a usable domain; .invalid can never be someone else's.
FALLBACK_DOMAIN = "dealer-chat.invalid"
_LABEL = re.compile(r"[a-z0-9-]+")


def lead_message_id(idempotency_key: str, created_at: datetime, sender: str) -> str:
    """The Message-ID of one outbox row: the same on every attempt, from any node.

    It is derived from the row alone (never ``make_msgid``, which mixes in the time, the
    process id and a random number), so a CRM that saw a send whose reply got lost recognises
    the retry as the same e-mail. The row's key names the lead, the resend and the target; its
    creation time (UTC, to the microsecond) keeps two installations, or one whose database was
    recreated, from reusing an id; the domain is the sender's, as RFC 5322 asks.
    """
    stamp = created_at.strftime("%Y%m%d%H%M%S%f")
    return f"<{idempotency_key}.{stamp}@{_domain_of(sender)}>"


def _domain_of(sender: str) -> str:
    # The sender may be "Name <leads@example.com>" or a bare address.
    _, at, domain = parseaddr(sender)[1].rpartition("@")
    domain = domain.strip().lower()
    # Only an ASCII dot-atom may stand on the right of a Message-ID's @.
    labels = domain.split(".")
    if not at or not domain.isascii() or not all(_LABEL.fullmatch(label) for label in labels):
        return FALLBACK_DOMAIN
    return domain


def lead_message(
    sender: str, to: str, subject: str, adf: str, attach: bool, message_id: str
) -> EmailMessage:
    """The lead e-mail of one outbox row; ``message_id`` comes from ``lead_message_id``."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    # The same Message-ID on every retry lets a receiving system drop a repeat.
    message["Message-ID"] = message_id
    message.set_content(adf, subtype="plain", charset="utf-8")
    if attach:
        message.add_attachment(
            adf.encode(), maintype="application", subtype="xml", filename="lead.adf.xml"
        )
    return message


async def send_lead_email(settings: Settings, message: EmailMessage) -> str:
    """Send, or only log that it was not sent when no SMTP host is configured; returns what
    happened."""
    if not settings.smtp_host:
        # Not the message itself: it holds the shopper's name, phone, e-mail and transcript,
        # which never go to the logs. The lead and its ADF are in the console.
        log.info("no SMTP host: lead e-mail to %s not sent", message["To"])
        return "logged (no SMTP host configured)"  # shown in the console's delivery log
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_user or None,
        password=settings.smtp_password or None,
        use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls == "starttls",
        timeout=30,
    )
    return f"sent via {settings.smtp_host}:{settings.smtp_port}"
