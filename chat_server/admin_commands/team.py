"""``dealer-chat admin`` commands for the team settings (issue 14), calling
``chat_server.administration`` as the console's pages do:

- ``invite-operator``: add a person with a one-time link to choose their password (printed);
- ``deactivate-operator`` / ``reactivate-operator``;
- ``reset-password``: a one-time link for a new password (printed; the old one stops now);
- ``set-operator``: their role and capacity.

And what ``dealer-chat serve`` prints on an empty database: the first admin's setup link.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.admin import AdminError
from chat_server.admin_commands.kit import Action
from chat_server.administration import team
from chat_server.administration.account_links import first_admin_link, link_path
from chat_server.administration.actors import COMMAND_LINE
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.administration.team import Invitation, Workplace
from chat_server.settings import Settings, load_settings
from chat_server.store.database import open_database
from chat_server.store.models import Dealership, Pool

COMMANDS = (
    "invite-operator",
    "deactivate-operator",
    "reactivate-operator",
    "reset-password",
    "set-operator",
)


def public_base(settings: Settings) -> str:
    """The address people reach the console at: ``DEALER_CHAT_PUBLIC_URL``, else the host
    and port the server listens on (a wildcard address read as this machine)."""
    if settings.public_url:
        return settings.public_url
    host = "127.0.0.1" if settings.host in ("", "0.0.0.0", "::") else settings.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def add_commands(sub: Any) -> None:
    """Add this module's subcommands to ``dealer-chat admin``."""
    invite = sub.add_parser(
        "invite-operator",
        help="add a person; prints their one-time link to choose a password (valid 7 days)",
    )
    invite.add_argument("--email", required=True)
    invite.add_argument("--name", required=True)
    invite.add_argument("--role", required=True, choices=list(team.ROLE_NAMES))
    where = invite.add_mutually_exclusive_group()
    where.add_argument("--dealership", help="the store's slug (salesperson, manager)")
    where.add_argument("--pool", help="the pool's name (receptionist, pool_manager)")
    invite.add_argument("--capacity", type=int, help="chats at once, 1 to 20")
    for name, text in (
        ("deactivate-operator", "sign them out everywhere now; never rung; history kept"),
        ("reactivate-operator", "let a deactivated person sign in again"),
        ("reset-password", "prints a one-time link for a new password; the old one stops now"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("--email", required=True)
    person = sub.add_parser("set-operator", help="change a person's role or capacity")
    person.add_argument("--email", required=True)
    person.add_argument("--role", choices=list(team.ROLE_NAMES))
    person.add_argument("--capacity", type=int, help="chats at once, 1 to 20")


async def _workplace(session: AsyncSession, args: argparse.Namespace) -> Workplace:
    if args.dealership:
        found = await session.scalar(
            select(Dealership.id).where(Dealership.slug == args.dealership)
        )
        if found is None:
            raise AdminError(f"no dealership with slug {args.dealership!r}")
        return team.dealership(found)
    if args.pool:
        found = await session.scalar(select(Pool.id).where(Pool.name == args.pool))
        if found is None:
            raise AdminError(f"no pool named {args.pool!r}")
        return team.pool(found)
    if args.role == "admin":
        return team.PLATFORM
    raise AdminError(f"a {args.role} needs --dealership or --pool")


def _print_link(invitation: Invitation) -> None:
    what = "invited" if invitation.link.purpose == "invite" else "password reset for"
    url = public_base(load_settings()) + link_path(invitation.link.purpose, invitation.link.token)
    until = invitation.link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    print(f"{what} {invitation.name} <{invitation.email}>")
    print(f"  one-time link (until {until}; give it to them, it is not shown again):")
    print(f"  {url}")


def _refusals(run: Callable[[AsyncSession], Awaitable[None]]) -> Action:
    """The service's refusals as the CLI's: one line on stderr, exit status 2."""

    async def action(session: AsyncSession) -> None:
        try:
            await run(session)
        except SettingsError as error:
            raise AdminError(f"{error.field}: {error}" if error.field else str(error)) from None
        except NotInScope as error:
            raise AdminError(f"not found: {error}") from None

    return action


def action(args: argparse.Namespace) -> Action | None:
    """The action for ``args.admin_command`` if it is one of this module's, else None."""
    command = args.admin_command
    if command not in COMMANDS:
        return None

    async def run(session: AsyncSession) -> None:
        now = datetime.now(UTC)
        if command == "invite-operator":
            where = await _workplace(session, args)
            invitation = await team.invite(
                session,
                COMMAND_LINE,
                where,
                name=args.name,
                email=args.email,
                role=args.role,
                capacity=args.capacity,
                now=now,
            )
            _print_link(invitation)
            return
        where, operator_id = await team.workplace_of(session, args.email)
        if command == "reset-password":
            _print_link(await team.reset_password(session, COMMAND_LINE, where, operator_id, now))
        elif command == "set-operator":
            changed = await team.set_role_and_capacity(
                session, COMMAND_LINE, where, operator_id, role=args.role, capacity=args.capacity
            )
            print(f"{changed.name}: saved")
        else:
            change = team.deactivate if command == "deactivate-operator" else team.reactivate
            changed = await change(session, COMMAND_LINE, where, operator_id, now)
            print(f"{changed.name}: {command.removesuffix('-operator')}d")

    return _refusals(run)


# --- the first admin ------------------------------------------------------------------------


async def announce_first_admin(settings: Settings) -> str | None:
    """On a database with no operators, make a one-time setup link for the first admin and
    print it (``dealer-chat serve``); returns the link, or None when there is nothing to do.
    Every start on an empty database prints a new link; each works once, for a day."""
    async with open_database(settings.database_url) as db:
        async with db.engine.connect() as connection:
            migrated = await connection.run_sync(lambda sync: inspect(sync).has_table("operators"))
        if not migrated:
            print("dealer-chat: the database has no tables yet; run `dealer-chat migrate`.")
            return None
        async with db.sessions() as session, session.begin():
            link = await first_admin_link(session)
    if link is None:
        return None
    url = public_base(settings) + link_path(link.purpose, link.token)
    until = link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    print("No operators yet. Create the first admin here (works once, until " + until + "):")
    print(f"  {url}")
    if not settings.public_url:
        print("  (set DEALER_CHAT_PUBLIC_URL if people reach this server at another address)")
    return url
