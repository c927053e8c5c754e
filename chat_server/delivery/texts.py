"""Text messages to operators' phones: the ring's fallback, and phone verification codes.

One small interface, :class:`TextSender`, chosen by ``DEALER_CHAT_TEXT_PROVIDER``; the one
implementation speaks Twilio's Messages API (``POST /2010-04-01/Accounts/{sid}/Messages.json``
with form fields ``To``, ``From``, ``Body`` and the account's basic auth), which several
providers copy. With no provider, ``open_text_sender`` yields None and nothing texts.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

import httpx

from chat_server.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0


class TextFailed(Exception):
    """The provider refused the text or did not answer; the message says what it said."""


class TextSender(Protocol):
    async def send(self, to: str, body: str) -> str:
        """Send ``body`` to ``to`` (E.164); the provider's id for the message."""
        ...


class TwilioTexts:
    """Twilio's Messages API (or a compatible one at ``api_url``)."""

    def __init__(self, http: httpx.AsyncClient, api_url: str, sid: str, token: str, sender: str):
        self._http = http
        self._url = f"{api_url}/2010-04-01/Accounts/{sid}/Messages.json"
        self._auth = httpx.BasicAuth(sid, token)
        self._from = sender

    async def send(self, to: str, body: str) -> str:
        try:
            response = await self._http.post(
                self._url, data={"To": to, "From": self._from, "Body": body}, auth=self._auth
            )
        except httpx.HTTPError as error:
            raise TextFailed(f"{type(error).__name__}: {error}") from None
        if response.status_code not in (200, 201):
            raise TextFailed(f"{response.status_code} {response.text[:200]}")
        try:
            return str(response.json().get("sid", ""))
        except ValueError:
            return ""


@contextlib.asynccontextmanager
async def open_text_sender(settings: Settings) -> AsyncIterator[TextSender | None]:
    """The configured sender for the app's lifespan, or None without a provider."""
    if settings.text_provider != "twilio":
        yield None
        return
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
        yield TwilioTexts(
            http,
            settings.twilio_api_url,
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_from,
        )
