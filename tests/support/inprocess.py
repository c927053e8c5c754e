"""A dealer-chat server inside the test's own event loop, on a clock the test moves.

``create_app(settings, clock=FakeClock())`` served by ``uvicorn.Server`` on a free loopback
port, seeded like ``dealer-chat demo``. It speaks the same HTTP and websocket protocol as
``ServerProcess`` (same ``url``, ``ws_url``, ``database_url``), but starts in a fraction of
the time and lets a ladder window of a minute pass in an instant: ``advance`` moves the clock
and fires every deadline that falls due on the way, in order, as the deadline runner would.

Keep real subprocess servers (``start_server``) for what needs a process of its own: the
browser tests, several nodes, killed or restarted nodes, and the server's own logging.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import func, or_, select
from starlette.applications import Starlette

from chat_server import admin as admin_commands
from chat_server.app import create_app, ladder_deadline_handler
from chat_server.chats.presence import set_online
from chat_server.clock import FakeClock
from chat_server.deadlines import DeadlineRunner
from chat_server.demo_world import DEMO_SLUG, seed_demo
from chat_server.protocol.incoming import MAX_FRAME_BYTES
from chat_server.runtime import Runtime
from chat_server.settings import Settings, delivery_env, limit_env, load_settings
from chat_server.store.database import open_database
from chat_server.store.migrate import migrate
from chat_server.store.models import Deadline
from chat_server.transport.ws_protocol import AbortableWebSocketProtocol
from tests.support.admin_cli import run_admin
from tests.support.seeded_world import materialise_seeded

# The presence heartbeat renews open consoles every 10 s of real time; a jump of the clock
# renews them at each step instead, so an operator with a console open stays on shift.
STEP_S = 10.0
# The background deadline runner's poll: in effect never (see ``settings``).
IDLE_POLL_S = 24 * 3600.0
# The admin CLI prints to stdout; one admin command at a time may borrow it.
_ADMIN_OUTPUT = asyncio.Lock()


class InProcessServer:
    """Start and stop one in-process server; see the module docstring."""

    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str,
        broker_url: str,
        ladder: dict[str, float | str] | None = None,
        env: dict[str, str] | None = None,
        clock: FakeClock | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.broker_url = broker_url
        self.ladder = ladder or {}
        self.env = env or {}
        self.clock = clock or FakeClock()
        self.port = 0
        self.app: Starlette | None = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._secret = secrets.token_urlsafe(48)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def runtime(self) -> Runtime:
        assert self.app is not None, "the server is not running"
        return self.app.state.runtime  # type: ignore[no-any-return]

    def settings(self) -> Settings:
        """What ``dealer-chat demo`` would run with, given ``env`` on top of os.environ."""
        env = {**os.environ, **self.env}
        auto_away = self.ladder.get("auto_away")
        return load_settings(
            {**delivery_env(env), **limit_env(env)},
            database_url=self.database_url,
            broker_url=self.broker_url,
            secret_key=self._secret,
            host="127.0.0.1",
            port=self.port,
            log_level="info",
            log_format="text",
            auto_away_s=float(auto_away) if auto_away is not None else None,
            node_name=f"inprocess-{self.port}",
            # Deadlines fire when the test moves the clock (``advance``), never behind its
            # back: a poll that claimed a deadline while ``advance`` moved on would fire it
            # late, at whatever time the clock had reached by then.
            deadline_poll_s=IDLE_POLL_S,
        )

    async def start(self, timeout: float = 30.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Bound here and handed to uvicorn: the port is known before the demo world is
        # seeded with it as an allowed origin, and nobody can take it in between.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = int(sock.getsockname()[1])
        try:
            await self._seed()
            await self._serve(sock, timeout)
        except BaseException:
            sock.close()
            raise

    async def _seed(self) -> None:
        if not await asyncio.to_thread(materialise_seeded, self.database_url):
            # Alembic's env runs its own event loop, so it gets a thread of its own.
            await asyncio.to_thread(migrate, self.database_url)
        origins = [self.url, f"http://localhost:{self.port}"]
        # The demo's flags (--store-window 20) name the dealership's fields (store_window_s).
        timings = {
            f"{name}_s": float(value)
            for name, value in self.ladder.items()
            if f"{name}_s" in admin_commands.LADDER_FIELDS
        }
        strategy = self.ladder.get("strategy")
        after_hours = self.ladder.get("after_hours")  # store-first or pool, as the CLI flag
        async with (
            open_database(self.database_url) as db,
            db.sessions() as session,
            session.begin(),
        ):
            # On a copy of the seeded world this only adds this server's origins.
            await seed_demo(session, origins)
            await admin_commands.set_ladder(
                session,
                DEMO_SLUG,
                strategy=str(strategy) if strategy else None,
                after_hours_store_first=(
                    None if after_hours is None else after_hours == "store-first"
                ),
                **timings,
            )

    async def _serve(self, sock: socket.socket, timeout: float) -> None:
        settings = self.settings()
        self.app = create_app(settings, clock=self.clock)
        config = uvicorn.Config(
            self.app,
            ws=AbortableWebSocketProtocol,
            ws_per_message_deflate=False,
            ws_max_size=MAX_FRAME_BYTES,
            # The test's logging stays as pytest set it (caplog sees the server's records).
            log_config=None,
            lifespan="on",
            proxy_headers=True,
            forwarded_allow_ips=list(settings.trusted_proxies),
            # A socket the test left open must not hold the teardown for long.
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        # uvicorn would take SIGINT/SIGTERM while it runs: leave them to pytest.
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        task = asyncio.create_task(server.serve([sock]), name=f"inprocess-server-{self.port}")
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not server.started:
            if task.done() or loop.time() > end:
                server.should_exit = True
                await task
                raise RuntimeError("in-process server did not start")
            await asyncio.sleep(0.01)
        self._server, self._task = server, task
        # The site-key cache times its entries on a monotonic clock of its own; here it
        # follows the fake one, so a test lets an entry expire by advancing, not waiting.
        sites = self.runtime.sites
        sites._now = lambda: self.clock.now().timestamp()

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = self._task = None

    async def admin(self, *args: str) -> str:
        """Run ``dealer-chat admin ...`` against this server's database (in a thread)."""
        async with _ADMIN_OUTPUT:
            return await asyncio.to_thread(run_admin, self.database_url, list(args))

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass: every deadline due on the way fires at its own time, in order.

        Each fired deadline may set the next (store window → pool window → lead capture), so
        the clock moves from one due deadline to the next rather than jumping at once; the
        open consoles' heartbeat is renewed at least every ``STEP_S`` of the way.
        """
        rt = self.runtime
        target = self.clock.now().timestamp() + seconds
        runner = DeadlineRunner(
            rt.db, self.clock, rt.settings.node_name, ladder_deadline_handler(rt)
        )
        while True:
            due = await self._next_deadline()
            now = self.clock.now().timestamp()
            step_end = min(target, now + STEP_S)
            if due is not None and due <= step_end:
                step_end = due
            self.clock.advance(max(0.0, step_end - now))
            await set_online(rt, list(rt.sockets.operators))
            await runner.fire_due()
            if step_end >= target:
                return

    async def _next_deadline(self) -> float | None:
        now = self.clock.now()
        async with self.runtime.db.sessions() as session:
            # The runner's own condition: no lease, or one that has run out.
            free = or_(Deadline.lease_until.is_(None), Deadline.lease_until < now)
            when = await session.scalar(select(func.min(Deadline.fire_at)).where(free))
        if when is None:
            return None
        return float(when.timestamp())


async def start_inprocess(data_dir: Path, **kwargs: Any) -> InProcessServer:
    """Start an ``InProcessServer`` (see its arguments) and return it running."""
    server = InProcessServer(data_dir, **kwargs)
    await server.start()
    return server
