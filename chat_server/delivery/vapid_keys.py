"""The server's VAPID key pair (RFC 8292): set by the operator, or generated once and shared.

Every node must sign pushes with the same key, because a browser's subscription is bound to
the public key it was created with (its ``applicationServerKey``). So a generated key is
stored in the database (``server_keys``), and the first node to start writes it: a node that
loses that race reads the winner's key instead.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid
from sqlalchemy.exc import IntegrityError

from chat_server.clock import Clock
from chat_server.settings import Settings
from chat_server.store.database import Database
from chat_server.store.models import ServerKey

log = logging.getLogger(__name__)

KEY_NAME = "vapid_private_key"
DEFAULT_SUBJECT = "mailto:push@dealer-chat.invalid"


@dataclass(frozen=True)
class VapidKeys:
    """The signing key, the public key a browser subscribes with, and the contact claim."""

    signer: Vapid
    public_key: str  # base64url of the uncompressed P-256 point: the applicationServerKey
    subject: str


def subject_of(settings: Settings) -> str:
    return settings.vapid_subject or settings.public_url or DEFAULT_SUBJECT


def keys_from_private(private_key: str, subject: str) -> VapidKeys:
    """Keys from a PEM or base64url private key; ValueError when it is not a P-256 key."""
    text = private_key.strip()
    try:
        signer = (
            Vapid.from_pem(text.encode()) if text.startswith("-----") else Vapid.from_string(text)
        )
    except Exception as error:  # py_vapid raises several kinds for a malformed key
        raise ValueError(f"not a VAPID (P-256) private key: {error}") from None
    point = signer.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    public = base64.urlsafe_b64encode(point).rstrip(b"=").decode()
    return VapidKeys(signer=signer, public_key=public, subject=subject)


async def load_vapid_keys(db: Database, settings: Settings, clock: Clock) -> VapidKeys:
    """The configured key, else the stored one, else a new one stored for every node."""
    subject = subject_of(settings)
    if settings.vapid_private_key:
        return keys_from_private(settings.vapid_private_key, subject)
    async with db.sessions() as session:
        stored = await session.get(ServerKey, KEY_NAME)
        if stored is not None:
            return keys_from_private(stored.value, subject)
    fresh = Vapid()
    fresh.generate_keys()
    pem = fresh.private_pem().decode()
    try:
        async with db.sessions() as session, session.begin():
            session.add(ServerKey(name=KEY_NAME, value=pem, created_at=clock.now()))
        log.info("generated the Web Push (VAPID) key pair and stored it in the database")
    except IntegrityError:  # another node stored one first: use theirs
        async with db.sessions() as session:
            pem = (await session.get_one(ServerKey, KEY_NAME)).value
    return keys_from_private(pem, subject)
