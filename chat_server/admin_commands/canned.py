"""``dealer-chat admin`` commands for canned replies: canned-list, canned-add, canned-edit,
canned-remove and canned-move, calling ``chat_server.administration.canned_replies`` as the
console's page does (same checks, same audit entries).

A reply is named by ``--reply``: its id (``canned-list`` shows it) or its exact title.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.admin import AdminError
from chat_server.admin_commands.kit import Action
from chat_server.administration import canned_replies as canned
from chat_server.administration.actors import COMMAND_LINE
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.administration.scope import dealership_by_slug_for


def add_commands(sub: Any) -> None:
    """Add this module's subcommands to ``dealer-chat admin``."""
    ls = sub.add_parser("canned-list", help="a dealership's canned replies, in console order")
    ls.add_argument("--dealership", required=True, help="its slug")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    add = sub.add_parser("canned-add", help="add a canned reply (listed last)")
    add.add_argument("--dealership", required=True, help="its slug")
    add.add_argument("--title", required=True, help=f"up to {canned.TITLE_MAX} characters")
    add.add_argument(
        "--body",
        required=True,
        help="the text, up to 2000 characters; may use {dealership}, {agent}, {vehicle}",
    )
    edit = sub.add_parser("canned-edit", help="change a canned reply's title or text")
    edit.add_argument("--dealership", required=True, help="its slug")
    edit.add_argument("--reply", required=True, help="its id or its exact title")
    edit.add_argument("--title", help="the new title")
    edit.add_argument("--body", help="the new text")
    rm = sub.add_parser("canned-remove", help="delete a canned reply")
    rm.add_argument("--dealership", required=True, help="its slug")
    rm.add_argument("--reply", required=True, help="its id or its exact title")
    mv = sub.add_parser("canned-move", help="move a canned reply up or down the list")
    mv.add_argument("--dealership", required=True, help="its slug")
    mv.add_argument("--reply", required=True, help="its id or its exact title")
    way = mv.add_mutually_exclusive_group(required=True)
    way.add_argument("--up", dest="direction", action="store_const", const="up")
    way.add_argument("--down", dest="direction", action="store_const", const="down")


async def _reply_id(session: AsyncSession, dealership_id: int, reply: str) -> int:
    if reply.strip().isdigit():
        return int(reply)
    return await canned.find_reply_id(session, COMMAND_LINE, dealership_id, reply)


def _list(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        row = await dealership_by_slug_for(session, COMMAND_LINE, args.dealership)
        replies = await canned.list_replies(session, COMMAND_LINE, row.id)
        for number, reply in enumerate(replies, 1):
            if args.json:
                print(
                    json.dumps({"id": reply["id"], "title": reply["title"], "body": reply["body"]})
                )
            else:
                print(f"{number}. [{reply['id']}] {reply['title']}: {reply['body']}")
        if not replies and not args.json:
            print(f"{args.dealership} has no canned replies")

    return run


def _add(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        row = await dealership_by_slug_for(session, COMMAND_LINE, args.dealership)
        added = await canned.add_reply(
            session, COMMAND_LINE, row.id, title=args.title, body=args.body
        )
        print(f"added canned reply {added['id']} {added['title']!r} to {args.dealership}")

    return run


def _edit(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        if args.title is None and args.body is None:
            raise SettingsError("give --title, --body or both")
        row = await dealership_by_slug_for(session, COMMAND_LINE, args.dealership)
        reply_id = await _reply_id(session, row.id, args.reply)
        current = {r["id"]: r for r in await canned.list_replies(session, COMMAND_LINE, row.id)}
        if reply_id not in current:
            raise NotInScope(f"{args.dealership} has no canned reply {args.reply!r}")
        saved = await canned.edit_reply(
            session,
            COMMAND_LINE,
            row.id,
            reply_id,
            title=current[reply_id]["title"] if args.title is None else args.title,
            body=current[reply_id]["body"] if args.body is None else args.body,
        )
        print(f"saved canned reply {saved['id']} {saved['title']!r}")

    return run


def _remove(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        row = await dealership_by_slug_for(session, COMMAND_LINE, args.dealership)
        gone = await canned.remove_reply(
            session, COMMAND_LINE, row.id, await _reply_id(session, row.id, args.reply)
        )
        print(f"removed canned reply {gone['id']} {gone['title']!r}")

    return run


def _move(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        row = await dealership_by_slug_for(session, COMMAND_LINE, args.dealership)
        reply_id = await _reply_id(session, row.id, args.reply)
        order = await canned.move_reply(session, COMMAND_LINE, row.id, reply_id, args.direction)
        place = next(n for n, r in enumerate(order, 1) if r["id"] == reply_id)
        print(f"canned reply {reply_id} is number {place} of {len(order)}")

    return run


ACTIONS: dict[str, Callable[[argparse.Namespace], Action]] = {
    "canned-list": _list,
    "canned-add": _add,
    "canned-edit": _edit,
    "canned-remove": _remove,
    "canned-move": _move,
}


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
