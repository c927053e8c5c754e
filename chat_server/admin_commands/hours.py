"""``dealer-chat admin`` commands for a dealership's hours, calling
``chat_server.administration.hours`` as the console's Hours page does.

``add_commands`` adds the commands that are new (add-closure, add-special-hours,
remove-dated-hours, set-time-zone, show-hours); ``add_replacement_commands`` adds set-hours
(the same flags as the one in cli.py it replaces, now validated and audited), for when cli.py
stops defining its own.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.admin_commands.kit import Action
from chat_server.administration import hours
from chat_server.administration.actors import COMMAND_LINE
from chat_server.administration.errors import SettingsError
from chat_server.administration.platform import dealership_id_by_slug
from chat_server.ladder.hours import ALWAYS_OPEN, DEPARTMENTS


def add_commands(sub: Any) -> None:
    """Add this module's subcommands to ``dealer-chat admin``."""
    c = sub.add_parser("add-closure", help="close departments on a date (a holiday)")
    _dated_flags(c)
    s = sub.add_parser("add-special-hours", help="other hours than the weekday's on a date")
    _dated_flags(s)
    s.add_argument(
        "--ranges",
        required=True,
        help='that day\'s hours, like "10:00-14:00" or "9:00-12:00,13:00-17:00"',
    )
    r = sub.add_parser("remove-dated-hours", help="a date keeps its weekly hours again")
    r.add_argument("--dealership", required=True, help="its slug")
    r.add_argument("--date", required=True, help="YYYY-MM-DD")
    r.add_argument(
        "--department",
        action="append",
        choices=DEPARTMENTS,
        help="only this one (repeat); default: all",
    )
    z = sub.add_parser("set-time-zone", help="the IANA zone a dealership's hours are read in")
    z.add_argument("--dealership", required=True, help="its slug")
    z.add_argument("--time-zone", required=True, help="like America/Chicago")
    w = sub.add_parser("show-hours", help="each department's status, week and dated hours")
    w.add_argument("--dealership", required=True, help="its slug")
    w.add_argument("--json", action="store_true", help="one JSON object")


def add_replacement_commands(sub: Any) -> None:
    """set-hours, through the service layer (validated the page's way, and audited)."""
    h = sub.add_parser("set-hours", help="one department's weekly hours")
    h.add_argument("--dealership", required=True, help="its slug")
    h.add_argument("--department", default="sales", choices=DEPARTMENTS)
    which = h.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--hours", help='JSON, e.g. {"mon": [["09:00", "18:00"]]}; a day left out is closed'
    )
    which.add_argument("--always-open", action="store_true")
    which.add_argument("--closed", action="store_true")


def _dated_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dealership", required=True, help="its slug")
    parser.add_argument("--date", required=True, help="YYYY-MM-DD, in the dealership's zone")
    parser.add_argument(
        "--department",
        action="append",
        choices=DEPARTMENTS,
        help="repeat for several; default: all",
    )
    parser.add_argument("--label", default="", help="like Christmas Day")


def action(args: argparse.Namespace) -> Action | None:
    """The action for ``args.admin_command`` if it is one of this module's, else None."""
    return ACTIONS[args.admin_command](args) if args.admin_command in ACTIONS else None


def _add_dated(args: argparse.Namespace) -> Action:
    special = args.admin_command == "add-special-hours"

    async def run(session: AsyncSession) -> None:
        dealership_id = await dealership_id_by_slug(session, COMMAND_LINE, args.dealership)
        item = await hours.add_exception(
            session,
            COMMAND_LINE,
            dealership_id,
            day=args.date,
            departments=args.department or DEPARTMENTS,
            closed=not special,
            ranges=hours.parse_range_text(args.ranges) if special else (),
            label=args.label,
        )
        row = hours.exception_row(item)
        what = "closed all day" if row.closed else row.hours_text
        print(f"{args.dealership} {row.date}: {row.department_titles} {what}")

    return run


def _remove_dated(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        dealership_id = await dealership_id_by_slug(session, COMMAND_LINE, args.dealership)
        count = await hours.remove_exception(
            session, COMMAND_LINE, dealership_id, day=args.date, departments=args.department or ()
        )
        print(f"{args.dealership} {args.date}: " + ("removed" if count else "nothing to remove"))

    return run


def _set_time_zone(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        dealership_id = await dealership_id_by_slug(session, COMMAND_LINE, args.dealership)
        name = await hours.set_time_zone(session, COMMAND_LINE, dealership_id, args.time_zone)
        print(f"{args.dealership} hours are read in {name}")

    return run


def _set_hours(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        dealership_id = await dealership_id_by_slug(session, COMMAND_LINE, args.dealership)
        if args.always_open:
            raw: Any = ALWAYS_OPEN
        elif args.closed:
            raw = {}
        else:
            try:
                raw = json.loads(args.hours)
            except ValueError:
                raise SettingsError(
                    'give --hours as JSON, like {"mon": [["09:00", "18:00"]]}', "hours"
                ) from None
        week = hours.stored_week(raw)
        await hours.set_week(session, COMMAND_LINE, dealership_id, args.department, week)
        print(f"{args.dealership} {args.department} hours updated")

    return run


def _show(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        dealership_id = await dealership_id_by_slug(session, COMMAND_LINE, args.dealership)
        shown = await hours.hours_settings(session, COMMAND_LINE, dealership_id, datetime.now(UTC))
        if args.json:
            print(json.dumps(_as_json(shown)))
            return
        print(f"{args.dealership}: time zone {shown.time_zone}, now {shown.local_time}")
        for d in shown.departments:
            print(f"  {d.title}: {d.status}")
            for day in d.days:
                times = "24 hours" if day.all_day else ", ".join(f"{o}-{c}" for o, c in day.ranges)
                print(f"    {day.title:<9} {times or 'closed'}")
        for e in shown.exceptions:
            label = f" ({e.label})" if e.label else ""
            print(f"  {e.date} {e.department_titles}: {e.hours_text}{label}")

    return run


def _as_json(shown: hours.HoursSettings) -> dict[str, Any]:
    return {
        "time_zone": shown.time_zone,
        "departments": {
            d.department: {"open_now": d.open_now, "status": d.status} for d in shown.departments
        },
        "dated_hours": [
            {
                "date": e.date,
                "departments": list(e.departments),
                "hours": e.hours_text,
                "label": e.label,
            }
            for e in shown.exceptions
        ],
    }


ACTIONS: dict[str, Callable[[argparse.Namespace], Action]] = {
    "add-closure": _add_dated,
    "add-special-hours": _add_dated,
    "remove-dated-hours": _remove_dated,
    "set-time-zone": _set_time_zone,
    "set-hours": _set_hours,
    "show-hours": _show,
}
