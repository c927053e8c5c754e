"""``dealer-chat admin`` commands for the platform: dealerships, groups, pools, coverage and
the audit log, calling ``chat_server.administration.platform`` as the console's pages do.

``add_commands`` adds the commands that are new; ``add_replacement_commands`` adds
create-dealership, create-pool and cover (same flags as the ones in cli.py they replace), for
when cli.py stops defining its own.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.admin import AdminError
from chat_server.admin_commands.kit import Action
from chat_server.administration import platform
from chat_server.administration.actors import COMMAND_LINE
from chat_server.administration.errors import NotInScope, SettingsError


def add_commands(sub: Any) -> None:
    """Add this module's subcommands to ``dealer-chat admin``."""
    r = sub.add_parser("rename-dealership", help="give a dealership a new name (slug stays)")
    r.add_argument("--dealership", required=True, help="its slug")
    r.add_argument("--name", required=True)
    g = sub.add_parser("create-group", help="a group of dealerships under one owner")
    g.add_argument("--name", required=True)
    s = sub.add_parser("set-group", help="put a dealership in a group, or take it out")
    s.add_argument("--dealership", required=True, help="its slug")
    which = s.add_mutually_exclusive_group(required=True)
    which.add_argument("--group", help="the group's name")
    which.add_argument("--none", action="store_true", help="take it out of its group")
    u = sub.add_parser("uncover", help="a pool stops covering a dealership")
    u.add_argument("--pool", required=True, help="the pool's name")
    u.add_argument("--dealership", required=True, help="its slug")
    a = sub.add_parser("audit-log", help="print recent audit entries, newest first")
    a.add_argument("--dealership", help="only this dealership's (its slug)")
    a.add_argument("--limit", type=int, default=50, help="how many (50)")
    a.add_argument("--before", type=int, help="only entries older than this id")
    a.add_argument("--json", action="store_true", help="one JSON object per line")


def add_replacement_commands(sub: Any) -> None:
    """create-dealership, create-pool and cover, through the service layer (audited)."""
    d = sub.add_parser("create-dealership")
    d.add_argument("--slug", required=True)
    d.add_argument("--name", required=True)
    d.add_argument("--time-zone", required=True)
    d.add_argument("--origin", action="append", default=[], help="allowed website origin")
    d.add_argument("--crm-email")
    p = sub.add_parser("create-pool")
    p.add_argument("--name", required=True)
    c = sub.add_parser("cover")
    c.add_argument("--pool", required=True)
    c.add_argument("--dealership", required=True)


def action(args: argparse.Namespace) -> Action | None:
    """The action for ``args.admin_command`` if it is one of this module's, else None."""
    if args.admin_command not in ACTIONS:
        return None
    run = ACTIONS[args.admin_command](args)

    async def told(session: AsyncSession) -> None:
        # cli.main prints an AdminError as one line (exit status 2), not as a traceback.
        try:
            await run(session)
        except (SettingsError, NotInScope) as error:
            raise AdminError(str(error)) from error

    return told


def _create_dealership(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        made = await platform.create_dealership(
            session,
            COMMAND_LINE,
            name=args.name,
            slug=args.slug,
            time_zone=args.time_zone,
            origins=args.origin,
            crm_email=args.crm_email or "",
        )
        print(f"created dealership {made.slug} with site key {made.site_key}")

    return run


def _rename_dealership(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        dealership_id = await platform.dealership_id_by_slug(session, COMMAND_LINE, args.dealership)
        renamed = await platform.rename_dealership(session, COMMAND_LINE, dealership_id, args.name)
        print(f"{renamed.slug} is now called {renamed.name}")

    return run


def _create_group(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        made = await platform.create_group(session, COMMAND_LINE, args.name)
        print(f"created group {made.name}")

    return run


def _set_group(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        dealership_id = await platform.dealership_id_by_slug(session, COMMAND_LINE, args.dealership)
        group_id = (
            None
            if args.none
            else await platform.group_id_by_name(session, COMMAND_LINE, args.group)
        )
        changed = await platform.set_group(session, COMMAND_LINE, dealership_id, group_id)
        where = f"in group {changed.group_name}" if changed.group_name else "in no group"
        print(f"{changed.slug} is {where}")

    return run


def _create_pool(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        made = await platform.create_pool(session, COMMAND_LINE, args.name)
        print(f"created pool {made.name}")

    return run


def _coverage(args: argparse.Namespace, *, covered: bool) -> Action:
    async def run(session: AsyncSession) -> None:
        pool_id = await platform.pool_id_by_name(session, COMMAND_LINE, args.pool)
        dealership_id = await platform.dealership_id_by_slug(session, COMMAND_LINE, args.dealership)
        change = platform.cover if covered else platform.uncover
        changed = await change(session, COMMAND_LINE, pool_id, dealership_id)
        state = "now covers" if covered else "no longer covers"
        note = "" if changed else " (no change)"
        print(f"pool {args.pool} {state} {args.dealership}{note}")

    return run


def _audit_log(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        dealership_id = (
            await platform.dealership_id_by_slug(session, COMMAND_LINE, args.dealership)
            if args.dealership
            else None
        )
        log = await platform.audit_log(
            session,
            COMMAND_LINE,
            before_id=args.before,
            dealership_id=dealership_id,
            limit=max(1, args.limit),
        )
        for entry in log.entries:
            print(_audit_line(entry, log, as_json=args.json))

    return run


def _audit_line(entry: dict[str, Any], log: platform.AuditLog, *, as_json: bool) -> str:
    """One entry: its time in the dealership's own zone (UTC for the installation's)."""
    dealership = log.dealerships.get(entry["dealership_id"] or 0)
    zone = dealership.time_zone if dealership else "UTC"
    at = entry["at"].astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")
    if as_json:
        return json.dumps(
            {**entry, "at": at, "time_zone": zone, "dealership": dealership and dealership.slug},
            default=str,
        )
    changes = "; ".join(
        f"{field}: {_json(c.get('from'))} -> {_json(c.get('to'))}"
        for field, c in (entry["changes"] or {}).items()
    )
    who, what = entry["actor"], entry["action"]
    return f"#{entry['id']} {at} {zone} {who} {what} {entry['target']!r} {changes}".rstrip()


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


ACTIONS: dict[str, Callable[[argparse.Namespace], Action]] = {
    "create-dealership": _create_dealership,
    "rename-dealership": _rename_dealership,
    "create-group": _create_group,
    "set-group": _set_group,
    "create-pool": _create_pool,
    "cover": lambda args: _coverage(args, covered=True),
    "uncover": lambda args: _coverage(args, covered=False),
    "audit-log": _audit_log,
}
