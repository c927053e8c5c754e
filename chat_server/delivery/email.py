"""One plain-text e-mail to one person over SMTP (an invitation, a password reset), with the
same ``DEALER_CHAT_SMTP_*`` settings lead e-mail uses (chat_server/leads/smtp.py).

Sent at once rather than through an outbox: the person who asked for it is waiting on the
page, which always shows the link as well, so a failed send costs nothing but a copy-paste.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

import aiosmtplib

from chat_server.settings import Settings

log = logging.getLogger(__name__)

# The person is waiting on the page: give up well before a browser would.
SEND_TIMEOUT_S = 15


class EmailNotSent(Exception):
    """The SMTP server could not be reached or refused the message; the text says why."""


def email_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def plain_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body, subtype="plain", charset="utf-8")
    return message


async def send_plain_email(settings: Settings, to: str, subject: str, body: str) -> bool:
    """Send one message; False (nothing sent) when no SMTP host is configured.

    :class:`EmailNotSent` when the server is unreachable or refuses it. The body is never
    logged: it holds a one-time link.
    """
    if not email_configured(settings):
        log.info("no SMTP host: e-mail to %s not sent", to)
        return False
    try:
        await aiosmtplib.send(
            plain_message(settings, to, subject, body),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user or None,
            password=settings.smtp_password or None,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            timeout=SEND_TIMEOUT_S,
        )
    except (aiosmtplib.SMTPException, OSError) as error:
        log.warning("e-mail to %s not sent: %s", to, error)
        raise EmailNotSent(str(error) or type(error).__name__) from error
    return True
