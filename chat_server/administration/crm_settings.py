"""A dealership's CRM delivery and API access: ADF intake addresses, the attachment option,
logging Ups, the follow-up cadence, the webhook (URL, events, secret) and API tokens.

The rules the ``set-crm``, ``create-api-token`` and ``revoke-api-token`` commands of
chat_server/crm_admin.py had live here now, with two stricter ones: a webhook URL is
``https://`` (``http://`` only for a receiver on this machine), and a webhook secret is
generated here, returned once, and never shown again (only the fact that one is set).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.api_tokens import create_token, token_hash
from chat_server.administration import audit
from chat_server.administration.actors import Actor
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.administration.scope import dealership_for
from chat_server.contact_details import normalise_email
from chat_server.observability.redact import safe_url
from chat_server.store.models import ApiToken, Dealership

# The lead events a webhook may receive (Dealership.webhook_events; leads/outbox.py honours
# them): value and what the page calls it.
WEBHOOK_EVENTS = (
    ("lead.new", "A new lead"),
    ("lead.resend", "A lead resent from the console"),
)
EVENT_NAMES = tuple(name for name, _ in WEBHOOK_EVENTS)
MAX_ADDRESSES = 10
CADENCE_MIN_DAYS, CADENCE_MAX_DAYS = 1, 365
MAX_CADENCE_STEPS = 30
URL_MAX = 500
SECRET_BYTES = 32  # secrets.token_urlsafe(32): 43 characters
GIVEN_SECRET_MIN = 16  # a secret the command line brings must be at least this long
TOKEN_NAME_MAX = 200
LOOPBACK_NAMES = ("localhost",)

_SEPARATORS = re.compile(r"[\s,;]+")


# --- checking input (pure) -------------------------------------------------------------


def parse_addresses(text: str) -> list[str]:
    """Addresses as typed: one per line (commas and semicolons also separate them)."""
    return [part for part in _SEPARATORS.split(text) if part]


def check_addresses(raw: list[str]) -> list[str]:
    """Each address normalised (syntax only, no DNS), each once, in the order given."""
    checked: list[str] = []
    for each in raw:
        address, ok = normalise_email(each)
        if not ok:
            raise SettingsError(f"{each.strip()!r} is not an e-mail address.", "addresses")
        if address.casefold() not in (a.casefold() for a in checked):
            checked.append(address)
    if len(checked) > MAX_ADDRESSES:
        raise SettingsError(f"At most {MAX_ADDRESSES} intake addresses.", "addresses")
    return checked


def parse_cadence(text: str) -> list[int]:
    """Follow-up days as typed, e.g. "1, 3, 7, 14"; empty means the default cadence."""
    days: list[int] = []
    for part in _SEPARATORS.split(text.strip()):
        if not part:
            continue
        if not part.isdigit():
            raise SettingsError(
                f"{part!r} is not a number of days: write whole days, e.g. 1, 3, 7, 14.",
                "cadence",
            )
        days.append(int(part))
    return check_cadence(days)


def check_cadence(days: list[int]) -> list[int]:
    outside = [d for d in days if not CADENCE_MIN_DAYS <= d <= CADENCE_MAX_DAYS]
    if outside:
        raise SettingsError(
            f"Follow-up days are between {CADENCE_MIN_DAYS} and {CADENCE_MAX_DAYS} "
            f"(not {outside[0]}).",
            "cadence",
        )
    unique = sorted(set(days))
    if len(unique) > MAX_CADENCE_STEPS:
        raise SettingsError(f"At most {MAX_CADENCE_STEPS} follow-up steps.", "cadence")
    return unique


def _loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(raw: str) -> str:
    """An ``https://`` URL, or ``http://`` to a loopback host (a receiver on this machine);
    "" turns the webhook off."""
    url = raw.strip()
    if not url:
        return ""
    wrong = SettingsError(
        "The webhook URL must be a full https:// address, e.g. https://crm.example.com/leads.",
        "webhook_url",
    )
    if len(url) > URL_MAX:
        raise SettingsError(f"The webhook URL is longer than {URL_MAX} characters.", "webhook_url")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise wrong
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise wrong from None
    if parts.scheme not in ("https", "http") or not host:
        raise wrong
    if parts.scheme == "http" and not _loopback(host):
        raise SettingsError(
            "The webhook URL must start with https:// (http:// only for a receiver on this "
            "machine: localhost, 127.0.0.1 or ::1).",
            "webhook_url",
        )
    return url


def check_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EVENT_NAMES]
    if unknown:
        raise SettingsError(
            f"Unknown webhook event {unknown[0]!r}: choose from {', '.join(EVENT_NAMES)}.",
            "webhook_events",
        )
    return [e for e in EVENT_NAMES if e in events]  # in the page's order, each once


def check_token_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise SettingsError("Name the token after what will use it, e.g. CRM sync.", "token_name")
    if len(name) > TOKEN_NAME_MAX:
        raise SettingsError(f"A token name has at most {TOKEN_NAME_MAX} characters.", "token_name")
    return name


# --- reading ---------------------------------------------------------------------------


def _addresses(row: Dealership) -> list[str]:
    seen: list[str] = []
    for address in [row.crm_email, *(row.crm_addresses or [])]:
        address = str(address or "").strip()
        if address and address.casefold() not in (s.casefold() for s in seen):
            seen.append(address)
    return seen


def _settings(row: Dealership) -> dict[str, Any]:
    return {
        "addresses": _addresses(row),
        "attachment": row.crm_attachment,
        "log_ups": row.log_ups,
        "cadence_days": list(row.cadence_days or []),
        "webhook_url": row.webhook_url,
        "webhook_events": [e for e in EVENT_NAMES if e in (row.webhook_events or [])],
    }


def _token_view(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "created_at": row.created_at,
        "revoked_at": row.revoked_at,
    }


async def api_tokens(
    session: AsyncSession, actor: Actor, dealership_id: int
) -> list[dict[str, Any]]:
    """The dealership's API tokens (never the tokens themselves), newest first."""
    await dealership_for(session, actor, dealership_id)
    rows = await session.scalars(
        select(ApiToken)
        .where(ApiToken.dealership_id == dealership_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return [_token_view(row) for row in rows]


async def crm_view(session: AsyncSession, actor: Actor, dealership_id: int) -> dict[str, Any]:
    """Everything the CRM page shows: the settings, whether a webhook secret is set, and the
    API tokens. Secrets are never part of it."""
    row = await dealership_for(session, actor, dealership_id)
    return {
        **_settings(row),
        "has_webhook_secret": bool(row.webhook_secret),
        "tokens": await api_tokens(session, actor, dealership_id),
    }


# --- changing --------------------------------------------------------------------------


def _loggable(settings: dict[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of the settings: a webhook URL without its query (which may
    hold an access token) or password."""
    url = settings["webhook_url"]
    hidden = "?(hidden)" if "?" in url else ""
    return {**settings, "webhook_url": safe_url(url) + hidden if url else ""}


async def set_crm(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    *,
    addresses: list[str] | None = None,
    attachment: bool | None = None,
    log_ups: bool | None = None,
    cadence_days: list[int] | None = None,
    webhook_url: str | None = None,
    webhook_events: list[str] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Change what is given (None leaves a setting as it is), after checking all of it.

    Returns the settings after the change and ``new_webhook_secret``: the secret generated
    because a webhook was set up with none (show it once), else None.
    """
    row = await dealership_for(session, actor, dealership_id)
    checked_addresses = None if addresses is None else check_addresses(addresses)
    checked_cadence = None if cadence_days is None else check_cadence(cadence_days)
    checked_url = None if webhook_url is None else check_webhook_url(webhook_url)
    checked_events = None if webhook_events is None else check_events(webhook_events)

    before = _settings(row)
    if checked_addresses is not None:
        row.crm_email = checked_addresses[0] if checked_addresses else ""
        row.crm_addresses = checked_addresses[1:]
    if attachment is not None:
        row.crm_attachment = attachment
    if log_ups is not None:
        row.log_ups = log_ups
    if checked_cadence is not None:
        row.cadence_days = checked_cadence
    if checked_url is not None:
        row.webhook_url = checked_url
    if checked_events is not None:
        row.webhook_events = checked_events
    after = _settings(row)
    changes = audit.diff(before, after)
    if changes:
        # Compared as stored, logged masked: a new token in the URL's query is a change.
        logged = audit.diff(_loggable(before), _loggable(after))
        for field in changes:
            changes[field] = logged.get(field, {"from": "(hidden)", "to": "(hidden)"})
        await audit.record(
            session,
            actor,
            "crm.set",
            target=row.name,
            dealership_id=row.id,
            changes=changes,
            at=at,
        )
    generated = None
    if row.webhook_url and not row.webhook_secret:
        # A webhook is never left unsigned: its first secret comes with it.
        generated = await _replace_secret(session, actor, row, None, at)
    return {
        **after,
        "has_webhook_secret": bool(row.webhook_secret),
        "new_webhook_secret": generated,
    }


async def _replace_secret(
    session: AsyncSession, actor: Actor, row: Dealership, given: str | None, at: datetime | None
) -> str:
    secret = given if given is not None else secrets.token_urlsafe(SECRET_BYTES)
    before = row.webhook_secret
    row.webhook_secret = secret
    await audit.record(
        session,
        actor,
        "crm.webhook_secret",
        target=row.name,
        dealership_id=row.id,
        # Masked by audit: the log says that it changed, never what it is.
        changes={"webhook_secret": {"from": before, "to": secret}},
        at=at,
    )
    return secret


async def new_webhook_secret(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    *,
    given: str | None = None,
    at: datetime | None = None,
) -> str:
    """Replace the webhook's signing secret and return it: the only time anyone sees it.

    ``given``: a secret the command line brings (at least 16 characters) instead of a
    generated one.
    """
    row = await dealership_for(session, actor, dealership_id)
    if given is not None and len(given.strip()) < GIVEN_SECRET_MIN:
        raise SettingsError(
            f"A webhook secret needs at least {GIVEN_SECRET_MIN} characters.", "webhook_secret"
        )
    return await _replace_secret(session, actor, row, None if given is None else given.strip(), at)


async def create_api_token(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    name: str,
    *,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A new bearer token for ``/api/v1``: ``token`` is in the answer this once, and only its
    sha256 is stored."""
    row = await dealership_for(session, actor, dealership_id)
    name = check_token_name(name)
    token = await create_token(session, row.id, name, at or datetime.now(UTC))
    created = await session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    assert created is not None
    await audit.record(
        session,
        actor,
        "api_token.create",
        target=f"API token {created.id} ({name})",
        dealership_id=row.id,
        changes={"token": {"from": "", "to": token}},
        at=at,
    )
    return {**_token_view(created), "token": token}


async def revoke_api_token(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    token_id: int,
    *,
    at: datetime | None = None,
) -> bool:
    """Revoke one token at once; False when it was already revoked (nothing changes)."""
    await dealership_for(session, actor, dealership_id)
    row = await session.get(ApiToken, token_id)
    if row is None or row.dealership_id != dealership_id:
        raise NotInScope(f"API token {token_id}")
    if row.revoked_at is not None:
        return False
    row.revoked_at = at or datetime.now(UTC)
    await audit.record(
        session,
        actor,
        "api_token.revoke",
        target=f"API token {row.id} ({row.name})",
        dealership_id=dealership_id,
        changes={"revoked": {"from": False, "to": True}},
        at=at,
    )
    return True


async def revoke_api_tokens_named(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    name: str,
    *,
    at: datetime | None = None,
) -> int:
    """Revoke every live token of the dealership with this name; how many were."""
    await dealership_for(session, actor, dealership_id)
    ids = list(
        await session.scalars(
            select(ApiToken.id).where(
                ApiToken.dealership_id == dealership_id,
                ApiToken.name == " ".join(name.split()),
                ApiToken.revoked_at.is_(None),
            )
        )
    )
    for token_id in ids:
        await revoke_api_token(session, actor, dealership_id, token_id, at=at)
    return len(ids)


async def record_test_lead(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    *,
    addresses: list[str],
    webhook_url: str,
    at: datetime | None = None,
) -> None:
    """Log that ``actor`` sends a test lead (chat_server/leads/test_lead.py) to these targets.

    Not a settings change, but a sample lead in the dealer's CRM should say who sent it; and
    the scope check here is the one that lets the caller send it at all.
    """
    row = await dealership_for(session, actor, dealership_id)
    targets = [*addresses, *([safe_url(webhook_url)] if webhook_url else [])]
    await audit.record(
        session,
        actor,
        "crm.test_lead",
        target="a test lead",
        dealership_id=row.id,
        changes={"sent_to": {"from": None, "to": targets}},
        at=at,
    )
