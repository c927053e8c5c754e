"""Admin writes for CRM delivery: intake addresses, webhook, Up logging, cadence, API tokens."""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.api_tokens import create_token
from chat_server.admin import AdminError, dealership_by_slug
from chat_server.contact_details import normalise_email
from chat_server.store.models import ApiToken

Action = Callable[[AsyncSession], Awaitable[Any]]


async def set_crm(
    session: AsyncSession,
    slug: str,
    *,
    emails: list[str] | None = None,
    attachment: bool | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    log_ups: bool | None = None,
    cadence_days: list[int] | None = None,
) -> dict[str, Any]:
    """Change only what is given; returns the dealership's CRM settings after the change."""
    row = await dealership_by_slug(session, slug)
    if emails is not None:
        checked = []
        for raw in emails:
            address, ok = normalise_email(raw)
            if not ok:
                raise AdminError(f"{raw!r} is not an e-mail address")
            checked.append(address)
        row.crm_email = checked[0] if checked else ""
        row.crm_addresses = checked[1:]
    if attachment is not None:
        row.crm_attachment = attachment
    if webhook_url is not None:
        if webhook_url and urlsplit(webhook_url).scheme not in ("http", "https"):
            raise AdminError("the webhook URL must start with https:// (or http:// for testing)")
        row.webhook_url = webhook_url
    if webhook_secret is not None:
        if webhook_secret and len(webhook_secret) < 16:
            raise AdminError("a webhook secret needs at least 16 characters")
        row.webhook_secret = webhook_secret
    if log_ups is not None:
        row.log_ups = log_ups
    if cadence_days is not None:
        if any(not 1 <= d <= 365 for d in cadence_days):
            raise AdminError("cadence days must be between 1 and 365")
        row.cadence_days = sorted(set(cadence_days))
    return {
        "crm_addresses": [a for a in [row.crm_email, *(row.crm_addresses or [])] if a],
        "attachment": row.crm_attachment,
        "webhook_url": row.webhook_url,
        "webhook_secret": bool(row.webhook_secret),
        "log_ups": row.log_ups,
        "cadence_days": row.cadence_days,
    }


async def issue_api_token(session: AsyncSession, slug: str, name: str) -> str:
    row = await dealership_by_slug(session, slug)
    return await create_token(session, row.id, name, datetime.now(UTC))


async def revoke_api_tokens(session: AsyncSession, slug: str, name: str) -> int:
    row = await dealership_by_slug(session, slug)
    result = await session.execute(
        update(ApiToken)
        .where(
            ApiToken.dealership_id == row.id,
            ApiToken.name == name,
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=datetime.now(UTC))
    )
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


def add_crm_commands(sub: Any) -> None:
    """``dealer-chat admin set-crm | create-api-token | revoke-api-token``."""
    crm = sub.add_parser("set-crm", help="CRM intake addresses, webhook, Up logging, cadence")
    crm.add_argument("--dealership", required=True)
    crm.add_argument(
        "--email", action="append", help="CRM intake address (repeat for several; '' for none)"
    )
    crm.add_argument("--attachment", action=argparse.BooleanOptionalAction, default=None)
    crm.add_argument("--webhook-url", help="JSON webhook ('' to turn off)")
    secret = crm.add_mutually_exclusive_group()
    secret.add_argument("--webhook-secret", help="HMAC secret (16+ characters)")
    secret.add_argument(
        "--new-webhook-secret", action="store_true", help="generate one and print it"
    )
    crm.add_argument("--log-ups", action=argparse.BooleanOptionalAction, default=None)
    crm.add_argument("--cadence", help="follow-up days after the first call, e.g. 1,3,7,14")
    token = sub.add_parser("create-api-token", help="a bearer token for /api/v1 (shown once)")
    token.add_argument("--dealership", required=True)
    token.add_argument("--name", required=True, help="what uses it, e.g. 'crm sync'")
    revoke = sub.add_parser("revoke-api-token", help="revoke a dealership's tokens by name")
    revoke.add_argument("--dealership", required=True)
    revoke.add_argument("--name", required=True)


def _cadence(raw: str | None) -> list[int] | None:
    if raw is None:
        return None
    try:
        return [int(p) for p in raw.split(",") if p.strip()]
    except ValueError:
        raise AdminError("--cadence takes whole days separated by commas, e.g. 1,3,7") from None


def crm_action(args: argparse.Namespace) -> Action | None:
    """The action for one of this module's commands, or None for another command."""
    match args.admin_command:
        case "set-crm":
            generated = secrets.token_urlsafe(32) if args.new_webhook_secret else None

            async def action(s: AsyncSession) -> Any:
                emails = None if args.email is None else [e for e in args.email if e]
                result = await set_crm(
                    s,
                    args.dealership,
                    emails=emails,
                    attachment=args.attachment,
                    webhook_url=args.webhook_url,
                    webhook_secret=generated or args.webhook_secret,
                    log_ups=args.log_ups,
                    cadence_days=_cadence(args.cadence),
                )
                print(f"{args.dealership} CRM settings: {result}")
                if generated:
                    print(f"webhook secret (store it in the receiver): {generated}")

            return action
        case "create-api-token":

            async def action(s: AsyncSession) -> Any:
                token = await issue_api_token(s, args.dealership, args.name)
                print(token)

            return action
        case "revoke-api-token":

            async def action(s: AsyncSession) -> Any:
                count = await revoke_api_tokens(s, args.dealership, args.name)
                print(f"revoked {count} token(s) named {args.name!r}")

            return action
    return None
