"""The ``dealer-chat`` command: demo, serve, migrate and admin subcommands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server import admin
from chat_server.admin_commands import MODULES as ADMIN_COMMAND_MODULES
from chat_server.admin_commands.team import announce_first_admin
from chat_server.administration.errors import NotInScope
from chat_server.administration.errors import SettingsError as AdministrationError
from chat_server.app import create_app
from chat_server.demo_world import DEMO_LOGINS, DEMO_PASSWORD, DEMO_SLUG, seed_demo
from chat_server.observability.logs import configure_logging
from chat_server.observability.redact import safe_url
from chat_server.protocol.incoming import MAX_FRAME_BYTES
from chat_server.settings import (
    Settings,
    SettingsError,
    delivery_env,
    demo_secret,
    limit_env,
    load_settings,
    require_secret,
)
from chat_server.store.database import open_database
from chat_server.store.migrate import migrate
from chat_server.store.models import Dealership, Operator, Pool
from chat_server.transport.ws_protocol import AbortableWebSocketProtocol


def raise_open_file_limit() -> None:
    """Many idle sockets need many descriptors: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run_server(settings: Settings) -> None:
    raise_open_file_limit()
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        # The sans-I/O implementation without per-message deflate costs far less memory per
        # idle socket than the default (which keeps a compressor per connection); ours adds
        # an abort for peers that stop reading (transport/ws_protocol.py).
        ws=AbortableWebSocketProtocol,
        ws_per_message_deflate=False,
        ws_max_size=MAX_FRAME_BYTES,
        # Our own configuration (JSON or text, library floors); uvicorn applies it as given.
        log_config=configure_logging(settings),
        log_level=None,
        lifespan="on",
        proxy_headers=True,
        # X-Forwarded-For is believed from these peers only (chat_server/limits/addresses.py).
        forwarded_allow_ips=list(settings.trusted_proxies),
    )
    logging.getLogger("chat_server").info(
        "node %s starting on %s:%s; database %s, broker %s",
        settings.node_name,
        settings.host,
        settings.port,
        safe_url(settings.database_url),
        safe_url(settings.broker_url),
    )
    uvicorn.Server(config).run()


async def with_session(url: str, action: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    async with open_database(url) as db, db.sessions() as session, session.begin():
        return await action(session)


# --- demo ---------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = load_settings(
        {**delivery_env(), **limit_env()},
        database_url=args.database_url or f"sqlite+aiosqlite:///{data_dir / 'dealer-chat.sqlite3'}",
        broker_url=args.broker_url or "memory://",
        # Several demo nodes sharing one database must sign cookies with one key.
        secret_key=os.environ.get("DEALER_CHAT_SECRET_KEY") or demo_secret(data_dir),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        # Text suits the demo's terminal; DEALER_CHAT_LOG_FORMAT=json asks for JSON lines.
        log_format=args.log_format or os.environ.get("DEALER_CHAT_LOG_FORMAT") or "text",
        auto_away_s=args.auto_away,
    )
    configure_logging(settings)  # before migrating, so every line has the chosen format
    migrate(settings.database_url)
    origins = [f"http://{args.host}:{args.port}", f"http://127.0.0.1:{args.port}"]
    origins.append(f"http://localhost:{args.port}")

    async def seed(session: AsyncSession) -> bool:
        created = await seed_demo(session, origins)
        await admin.set_ladder(
            session,
            DEMO_SLUG,
            strategy=args.strategy,
            after_hours_store_first=_after_hours(args),
            sticky_s=args.sticky,
            store_window_s=args.store_window,
            pool_window_s=args.pool_window,
            round_robin_step_s=args.round_robin_step,
            grace_s=args.grace,
            capture_window_s=args.capture_window,
            text_after_s=args.text_after,
        )
        return created

    created = asyncio.run(with_session(settings.database_url, seed))
    base = f"http://{args.host}:{args.port}"
    print(f"dealer-chat demo ({'new' if created else 'existing'} data in {data_dir})")
    print(f"  dealer website with the widget: {base}/")
    print(f"  operator console:               {base}/console")
    print(f"  demo logins (password {DEMO_PASSWORD!r}):")
    for login in DEMO_LOGINS:
        print(f"    {login.role:<13} {login.name:<12} {login.email}")
    sys.stdout.flush()
    run_server(settings)
    return 0


# --- serve / migrate ----------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    settings = require_secret(load_settings(**overrides))
    # An empty database: the one-time link that creates the first admin (no default password).
    asyncio.run(announce_first_admin(settings))
    sys.stdout.flush()
    run_server(settings)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = load_settings(**({"database_url": args.database_url} if args.database_url else {}))
    migrate(settings.database_url)
    print("database is up to date")
    return 0


# --- admin --------------------------------------------------------------------------


async def _list(session: AsyncSession) -> None:
    for d in await session.scalars(select(Dealership).order_by(Dealership.id)):
        print(f"dealership {d.slug}: {d.name} tz={d.time_zone} site_key={d.site_key}")
        print(f"  origins={d.allowed_origins} strategy={d.ring_strategy}")
    for p in await session.scalars(select(Pool).order_by(Pool.id)):
        print(f"pool {p.name}")
    for o in await session.scalars(select(Operator).order_by(Operator.id)):
        print(f"operator {o.email}: {o.name} role={o.role} presence={o.presence}")


def cmd_admin(args: argparse.Namespace) -> int:
    url = load_settings(
        **({"database_url": args.database_url} if args.database_url else {})
    ).database_url
    action: Callable[[AsyncSession], Awaitable[Any]]
    match args.admin_command:
        case "create-operator":
            password = args.password or os.environ.get("DEALER_CHAT_NEW_PASSWORD", "")

            async def action(s: AsyncSession) -> Any:
                row = await admin.create_operator(
                    s,
                    email=args.email,
                    name=args.name,
                    role=args.role,
                    password=password,
                    dealership=args.dealership,
                    pool=args.pool,
                )
                print(f"created {row.role} {row.email}")

        case "list":
            action = _list
        case _:
            # Every other command calls the settings service layer (chat_server/administration)
            # through its module in chat_server/admin_commands, as the console's pages do.
            found = None
            for module in ADMIN_COMMAND_MODULES:
                found = found or module.action(args)
            if found is None:
                raise admin.AdminError("choose an admin command; see dealer-chat admin --help")
            action = found
    asyncio.run(with_session(url, action))
    return 0


# --- parser -------------------------------------------------------------------------


def _ladder_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("ladder timings (seconds)")
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
        choices=AFTER_HOURS,
        help="outside sales hours, ring on-shift salespeople before the pool (store-first, "
        "the default) or only the pool",
    )


AFTER_HOURS = ("store-first", "pool")


def _after_hours(args: argparse.Namespace) -> bool | None:
    return None if args.after_hours is None else args.after_hours == "store-first"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dealer-chat", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the embedded demo (SQLite, in-memory broker)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--data-dir", default="data", help="folder for the SQLite file (./data)")
    demo.add_argument("--database-url", help="use this database instead of the SQLite file")
    demo.add_argument("--broker-url", help="use this broker instead of memory://")
    demo.add_argument("--log-level", default="info")
    demo.add_argument("--log-format", choices=["json", "text"], help="text unless set")
    demo.add_argument(
        "--auto-away", type=float, help="seconds after the last console closes to set away (30)"
    )
    _ladder_flags(demo)
    demo.set_defaults(run=cmd_demo)

    serve = commands.add_parser("serve", help="run the server; settings from DEALER_CHAT_*")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(run=cmd_serve)

    mig = commands.add_parser("migrate", help="upgrade the database schema to the latest")
    mig.add_argument("--database-url")
    mig.set_defaults(run=cmd_migrate)

    adm = commands.add_parser("admin", help="create dealerships, pools and operators")
    adm.add_argument("--database-url")
    adm.set_defaults(run=cmd_admin)
    sub = adm.add_subparsers(dest="admin_command", required=True)
    for module in ADMIN_COMMAND_MODULES:
        module.add_commands(sub)
        replacements = getattr(module, "add_replacement_commands", None)
        if replacements is not None:  # the commands scripts used before the settings pages
            replacements(sub)
    o = sub.add_parser("create-operator")
    o.add_argument("--email", required=True)
    o.add_argument("--name", required=True)
    o.add_argument("--role", required=True, choices=admin.ROLES)
    o.add_argument("--dealership")
    o.add_argument("--pool")
    o.add_argument("--password", help="or set DEALER_CHAT_NEW_PASSWORD")
    sub.add_parser("list")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (SettingsError, admin.AdminError, AdministrationError, NotInScope) as error:
        print(f"dealer-chat: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
