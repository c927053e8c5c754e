"""Sending a lead e-mail: the ADF as the plain-text body, optionally attached as well."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from chat_server.settings import Settings

log = logging.getLogger(__name__)


def lead_message(
    sender: str, to: str, subject: str, adf: str, attach: bool, message_key: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    # The same Message-ID on every retry lets a receiving system drop a repeat.
    message["Message-ID"] = make_msgid(idstring=message_key, domain="dealer-chat")
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
