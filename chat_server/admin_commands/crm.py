"""``dealer-chat admin`` commands for CRM delivery, API access and the receptionist's card,
calling ``chat_server.administration`` (crm_settings, card) as the console's pages do.

``add_commands`` adds set-card and send-test-lead. ``add_replacement_commands`` adds set-crm,
create-api-token and revoke-api-token with the flags of chat_server/crm_admin.py's (plus
``--webhook-events`` and ``revoke-api-token --id``), for when cli.py stops adding those.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.admin import AdminError
from chat_server.admin_commands.kit import Action
from chat_server.administration import card, crm_settings
from chat_server.administration.actors import COMMAND_LINE
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.administration.scope import dealership_by_slug_for
from chat_server.leads.test_lead import plan_test_lead, send_test_lead
from chat_server.settings import load_settings


def add_commands(sub: Any) -> None:
    """Add this module's new subcommands to ``dealer-chat admin``."""
    c = sub.add_parser("set-card", help="the receptionist's card: address, phone, notes")
    c.add_argument("--dealership", required=True, help="its slug")
    c.add_argument("--address", help="street, city and postcode ('' for none)")
    c.add_argument("--phone", help="the store's number, with its area code ('' for none)")
    notes = c.add_mutually_exclusive_group()
    notes.add_argument("--notes", help="the dealer's notes or script ('' for none)")
    notes.add_argument("--notes-file", type=Path, help="read the notes from this UTF-8 file")
    t = sub.add_parser(
        "send-test-lead",
        help="send a sample lead marked as a test to the CRM addresses and webhook now",
    )
    t.add_argument("--dealership", required=True, help="its slug")


def add_replacement_commands(sub: Any) -> None:
    """set-crm, create-api-token and revoke-api-token through the service layer (audited)."""
    crm = sub.add_parser("set-crm", help="CRM intake addresses, webhook, Up logging, cadence")
    crm.add_argument("--dealership", required=True)
    crm.add_argument(
        "--email", action="append", help="CRM intake address (repeat for several; '' for none)"
    )
    crm.add_argument("--attachment", action=argparse.BooleanOptionalAction, default=None)
    crm.add_argument("--webhook-url", help="JSON webhook, https:// ('' to turn off)")
    crm.add_argument(
        "--webhook-events",
        help="events the webhook receives, comma-separated: lead.new,lead.resend ('' for none)",
    )
    secret = crm.add_mutually_exclusive_group()
    secret.add_argument("--webhook-secret", help="HMAC secret (16+ characters)")
    secret.add_argument(
        "--new-webhook-secret", action="store_true", help="generate one and print it"
    )
    crm.add_argument("--log-ups", action=argparse.BooleanOptionalAction, default=None)
    crm.add_argument("--cadence", help="follow-up days after the lead, e.g. 1,3,7,14")
    token = sub.add_parser("create-api-token", help="a bearer token for /api/v1 (shown once)")
    token.add_argument("--dealership", required=True)
    token.add_argument("--name", required=True, help="what uses it, e.g. 'crm sync'")
    revoke = sub.add_parser("revoke-api-token", help="revoke a dealership's tokens")
    revoke.add_argument("--dealership", required=True)
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--name", help="every live token with this name")
    which.add_argument("--id", type=int, help="the token with this id")


def _set_card(args: argparse.Namespace) -> Action:
    notes = args.notes
    if args.notes_file is not None:
        try:
            notes = args.notes_file.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as error:
            raise AdminError(f"cannot read {args.notes_file}: {error}") from None

    async def run(session: AsyncSession) -> None:
        if args.address is None and args.phone is None and notes is None:
            raise SettingsError("give --address, --phone, --notes or --notes-file")
        row = await dealership_by_slug_for(session, COMMAND_LINE, args.dealership)
        saved = await card.set_card(
            session, COMMAND_LINE, row.id, address=args.address, phone=args.phone, notes=notes
        )
        print(
            f"{args.dealership} card: address {saved['address']!r}, phone "
            f"{saved['phone_display']!r}, notes {len(saved['notes'])} characters"
        )

    return run


def _send_test_lead(args: argparse.Namespace) -> Action:
    settings = load_settings()  # SMTP as the server is configured (DEALER_CHAT_SMTP_*)

    async def run(session: AsyncSession) -> None:
        row = await dealership_by_slug_for(session, COMMAND_LINE, args.dealership)
        now = datetime.now(UTC)
        plan = await plan_test_lead(session, row.id, at=now, requested_by=COMMAND_LINE.name)
        if not plan.has_targets:
            raise SettingsError(f"{args.dealership} has no CRM address and no webhook to test")
        # Read before the send and written after it: no write lock is held while waiting.
        results = await send_test_lead(settings, plan)
        await crm_settings.record_test_lead(
            session,
            COMMAND_LINE,
            row.id,
            addresses=list(plan.addresses),
            webhook_url=plan.webhook_url,
            at=now,
        )
        for result in results:
            print(f"{result.channel} {result.target}: {result.outcome}: {result.detail}")
        if not any(r.outcome in ("delivered", "logged") for r in results):
            raise AdminError("the test lead reached no target")

    return run


def _split(raw: str | None) -> list[str] | None:
    return None if raw is None else [part.strip() for part in raw.split(",") if part.strip()]


def _set_crm(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        row = await dealership_by_slug_for(session, COMMAND_LINE, args.dealership)
        secret = None
        if args.new_webhook_secret or args.webhook_secret is not None:
            # First, so that a first webhook URL below does not make a secret of its own.
            made = await crm_settings.new_webhook_secret(
                session, COMMAND_LINE, row.id, given=args.webhook_secret
            )
            secret = made if args.new_webhook_secret else None
        saved = await crm_settings.set_crm(
            session,
            COMMAND_LINE,
            row.id,
            addresses=None if args.email is None else [e for e in args.email if e.strip()],
            attachment=args.attachment,
            log_ups=args.log_ups,
            cadence_days=None if args.cadence is None else crm_settings.parse_cadence(args.cadence),
            webhook_url=args.webhook_url,
            webhook_events=_split(args.webhook_events),
        )
        secret = saved.pop("new_webhook_secret") or secret
        print(f"{args.dealership} CRM settings: {json.dumps(saved)}")
        if secret:
            print(f"webhook secret (store it in the receiver; it is not shown again): {secret}")

    return run


def _create_api_token(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        row = await dealership_by_slug_for(session, COMMAND_LINE, args.dealership)
        made = await crm_settings.create_api_token(session, COMMAND_LINE, row.id, args.name)
        print(made["token"])

    return run


def _revoke_api_token(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        row = await dealership_by_slug_for(session, COMMAND_LINE, args.dealership)
        if args.id is not None:
            done = await crm_settings.revoke_api_token(session, COMMAND_LINE, row.id, args.id)
            print(f"revoked token {args.id}" if done else f"token {args.id} was already revoked")
            return
        count = await crm_settings.revoke_api_tokens_named(session, COMMAND_LINE, row.id, args.name)
        print(f"revoked {count} token(s) named {args.name!r}")

    return run


ACTIONS: dict[str, Callable[[argparse.Namespace], Action]] = {
    "set-card": _set_card,
    "send-test-lead": _send_test_lead,
    "set-crm": _set_crm,
    "create-api-token": _create_api_token,
    "revoke-api-token": _revoke_api_token,
}


def action(args: argparse.Namespace) -> Action | None:
    """The action for ``args.admin_command`` if it is one of this module's, else None."""
    if args.admin_command not in ACTIONS:
        return None
    try:
        run = ACTIONS[args.admin_command](args)
    except SettingsError as error:
        raise AdminError(str(error)) from error

    async def told(session: AsyncSession) -> None:
        # cli.main prints an AdminError as one line (exit status 2), not as a traceback.
        try:
            await run(session)
        except (SettingsError, NotInScope) as error:
            raise AdminError(str(error)) from error

    return told
