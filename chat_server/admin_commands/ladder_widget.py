"""``dealer-chat admin`` commands for a dealership's ladder and widget, calling
``chat_server.administration.ladder_settings`` and ``.widget_settings`` as the console's
pages do (the same checks, the same audit entries).

``add_commands`` adds the commands that are new (remove-origin, show-ladder, widget-snippet);
``add_replacement_commands`` adds set-ladder, allow-origin and set-theme with the same flags as
the ones in cli.py they replace, for when cli.py stops defining its own.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.admin_commands.kit import Action
from chat_server.administration import ladder_settings, widget_settings
from chat_server.administration.actors import COMMAND_LINE
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.administration.scope import dealership_by_slug_for

# cli.py's --after-hours spelling -> the service's.
AFTER_HOURS = {"store-first": "store_first", "pool": "pool"}


def add_commands(sub: Any) -> None:
    """Add this module's new subcommands to ``dealer-chat admin``."""
    r = sub.add_parser("remove-origin", help="stop the widget on a website")
    r.add_argument("--dealership", required=True, help="its slug")
    r.add_argument("--origin", action="append", required=True, help="https://www.example.com")
    s = sub.add_parser("show-ladder", help="print the ladder settings and what they do")
    s.add_argument("--dealership", required=True, help="its slug")
    w = sub.add_parser("widget-snippet", help="print the tag that puts the widget on a page")
    w.add_argument("--dealership", required=True, help="its slug")
    w.add_argument(
        "--server-url", required=True, help="where pages load the widget: https://chat.example.com"
    )


def add_replacement_commands(sub: Any) -> None:
    """set-ladder, allow-origin and set-theme through the service layer (checked, audited)."""
    lad = sub.add_parser("set-ladder", help="ring strategy, timings and after-hours behaviour")
    lad.add_argument("--dealership", required=True)
    group = lad.add_argument_group("ladder timings (seconds)")
    group.add_argument("--sticky", type=float, help="ring the shopper's earlier salesperson alone")
    group.add_argument("--store-window", type=float, help="how long the store is rung")
    group.add_argument("--pool-window", type=float, help="how long the pool is rung")
    group.add_argument("--round-robin-step", type=float, help="ring time per salesperson")
    group.add_argument("--grace", type=float, help="a shopper who left keeps their place")
    group.add_argument("--capture-window", type=float, help="how long the contact form waits")
    group.add_argument(
        "--text-after", type=float, help="an unaccepted ring is also texted after this long"
    )
    group.add_argument("--strategy", choices=["ring_all", "round_robin"])
    group.add_argument(
        "--after-hours",
        choices=tuple(AFTER_HOURS),
        help="outside sales hours, ring on-shift salespeople before the pool (store-first, "
        "the default) or only the pool",
    )
    ao = sub.add_parser("allow-origin", help="let the widget run on another website")
    ao.add_argument("--dealership", required=True)
    ao.add_argument("--origin", action="append", required=True, help="https://www.example.com")
    t = sub.add_parser("set-theme", help="the widget's colour, logo, side, language, greeting")
    t.add_argument("--dealership", required=True)
    t.add_argument("--color", help="accent colour #rrggbb (white text must read on it)")
    t.add_argument("--logo-url", help="https:// URL of a logo or avatar ('' for none)")
    t.add_argument("--position", choices=["left", "right"], help="launcher side")
    t.add_argument("--language", choices=["en", "es"], help="the widget's language")
    t.add_argument("--greeting", help="first line the shopper sees")


def action(args: argparse.Namespace) -> Action | None:
    """The action for ``args.admin_command`` if it is one of this module's, else None."""
    make = ACTIONS.get(args.admin_command)
    return make(args) if make is not None else None


async def _dealership(session: AsyncSession, slug: str) -> tuple[int, str]:
    try:
        row = await dealership_by_slug_for(session, COMMAND_LINE, slug)
    except NotInScope:
        raise SettingsError(f"no dealership with slug {slug!r}", "dealership") from None
    return row.id, row.slug


def _set_ladder(args: argparse.Namespace) -> Action:
    after_hours = getattr(args, "after_hours", None)
    changes: dict[str, object] = {
        "strategy": args.strategy,
        "sticky_s": args.sticky,
        "store_window_s": args.store_window,
        "pool_window_s": args.pool_window,
        "round_robin_step_s": args.round_robin_step,
        "grace_s": args.grace,
        "capture_window_s": args.capture_window,
        "text_after_s": args.text_after,
        "after_hours": AFTER_HOURS.get(after_hours) if after_hours else None,
    }

    async def run(session: AsyncSession) -> None:
        dealership_id, slug = await _dealership(session, args.dealership)
        await ladder_settings.set_ladder(session, COMMAND_LINE, dealership_id, changes)
        print(f"{slug} ladder updated")

    return run


def _show_ladder(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        dealership_id, _ = await _dealership(session, args.dealership)
        saved = await ladder_settings.ladder_settings(session, COMMAND_LINE, dealership_id)
        for name, value in saved.as_dict().items():
            print(f"{name} = {value}")
        now = datetime.now(UTC)
        previews = await ladder_settings.ladder_previews(session, COMMAND_LINE, dealership_id, now)
        for moment in previews.moments:
            print(f"{moment.label} ({moment.when}; {moment.situation}): {moment.sentence}")
        print(previews.texts)

    return run


def _allow_origin(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        dealership_id, slug = await _dealership(session, args.dealership)
        added = [
            await widget_settings.add_origin(session, COMMAND_LINE, dealership_id, origin)
            for origin in args.origin
        ]
        print(f"{slug} now allows {', '.join(added)}")

    return run


def _remove_origin(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        dealership_id, slug = await _dealership(session, args.dealership)
        removed = [
            await widget_settings.remove_origin(session, COMMAND_LINE, dealership_id, origin)
            for origin in args.origin
        ]
        print(f"{slug} no longer allows {', '.join(removed)}")

    return run


def _set_theme(args: argparse.Namespace) -> Action:
    changes = {
        "color": args.color,
        "logo_url": args.logo_url,
        "side": args.position,
        "language": args.language,
        "greeting": args.greeting,
    }

    async def run(session: AsyncSession) -> None:
        dealership_id, slug = await _dealership(session, args.dealership)
        await widget_settings.set_look(session, COMMAND_LINE, dealership_id, changes)
        print(f"{slug} widget theme updated")

    return run


def _widget_snippet(args: argparse.Namespace) -> Action:
    if not args.server_url.startswith(("https://", "http://")):
        raise SettingsError("--server-url must start with https:// (or http://)", "server_url")

    async def run(session: AsyncSession) -> None:
        dealership_id, _ = await _dealership(session, args.dealership)
        key = await widget_settings.site_key(session, COMMAND_LINE, dealership_id)
        print(widget_settings.embed_snippet(args.server_url, key))

    return run


ACTIONS: dict[str, Callable[[argparse.Namespace], Action]] = {
    "set-ladder": _set_ladder,
    "show-ladder": _show_ladder,
    "allow-origin": _allow_origin,
    "remove-origin": _remove_origin,
    "set-theme": _set_theme,
    "widget-snippet": _widget_snippet,
}
