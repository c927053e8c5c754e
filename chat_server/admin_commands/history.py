"""``dealer-chat admin`` commands for conversation history: seed-history (realistic closed
conversations for trying the Conversations page and measuring search) and reindex-history
(build every missing or stale search document now rather than at the server's next start)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.admin import AdminError, dealership_by_slug
from chat_server.admin_commands.kit import Action
from chat_server.clock import SystemClock
from chat_server.history.indexer import reindex_all
from chat_server.history.seed import seed_history
from chat_server.store.models import Dealership

MAX_COUNT = 1_000_000


def add_commands(sub: Any) -> None:
    """Add this module's subcommands to ``dealer-chat admin``."""
    seed = sub.add_parser(
        "seed-history",
        help="write realistic closed conversations (shoppers, vehicles, messages, rings, leads)",
    )
    seed.add_argument("--count", type=int, default=10_000, help="how many (10000)")
    seed.add_argument("--dealership", help="its slug (the first dealership when left out)")
    seed.add_argument("--days", type=int, default=90, help="spread over this many days (90)")
    seed.add_argument("--seed", type=int, help="a number that makes the data repeatable")
    sub.add_parser("reindex-history", help="build every missing or stale search document now")


def _seed(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        if not 1 <= args.count <= MAX_COUNT:
            raise AdminError(f"--count must be between 1 and {MAX_COUNT}")
        if args.days < 1:
            raise AdminError("--days must be at least 1")
        if args.dealership:
            dealership = await dealership_by_slug(session, args.dealership)
        else:
            dealership = await session.scalar(select(Dealership).order_by(Dealership.id))
            if dealership is None:
                raise AdminError("no dealership yet: create one first (or run the demo once)")
        started = time.perf_counter()
        written = await seed_history(
            session, dealership, args.count, SystemClock().now(), days=args.days, seed=args.seed
        )
        print(
            f"seeded {written} conversations for {dealership.slug} "
            f"in {time.perf_counter() - started:.1f} s (written and indexed)"
        )

    return run


def _reindex(args: argparse.Namespace) -> Action:
    async def run(session: AsyncSession) -> None:
        started = time.perf_counter()
        written = await reindex_all(session, SystemClock().now())
        print(f"indexed {written} conversations in {time.perf_counter() - started:.1f} s")

    return run


ACTIONS: dict[str, Callable[[argparse.Namespace], Action]] = {
    "seed-history": _seed,
    "reindex-history": _reindex,
}


def action(args: argparse.Namespace) -> Action | None:
    """The action for ``args.admin_command`` if it is one of this module's, else None."""
    if args.admin_command not in ACTIONS:
        return None
    return ACTIONS[args.admin_command](args)
