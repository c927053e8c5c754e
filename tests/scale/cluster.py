"""Several real dealer-chat nodes on one PostgreSQL and one Redis, behind Debian's nginx.

Each node is a ``dealer-chat demo`` subprocess (uvicorn) on its own loopback port; they share
nothing but the database and the broker. nginx runs ``deploy/nginx/dealer-chat.conf``
unchanged, so the chaos test also exercises the deployment file.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from chat_server import admin
from chat_server.demo_world import DEMO_PASSWORD, DEMO_POOL, DEMO_SLUG
from chat_server.ladder.hours import ALWAYS_OPEN
from chat_server.store.database import open_database
from tests.support.nginx_server import NginxServer, nginx_server
from tests.support.server_process import ServerProcess

# A node's start (imports, migrations, seeding, a reconnect storm when revived) took over a
# minute on a busy machine (DEALER_CHAT_CHAOS_HOG=1 beside other work on two cores).
START_TIMEOUT_S = 150


@dataclass
class Cluster:
    nodes: list[ServerProcess]
    nginx: NginxServer
    database_url: str
    kills: int = 0
    log: list[str] = field(default_factory=list)

    def kill(self, index: int) -> None:
        """``kill -9`` one node: no shutdown, no goodbye frames, leases left behind."""
        node = self.nodes[index]
        assert node.process is not None
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(timeout=10)
        node.process = None
        self.kills += 1
        self.log.append(f"{time.strftime('%X')} kill -9 node {index} (port {node.port})")

    def revive(self, index: int) -> None:
        self.nodes[index].start(timeout=START_TIMEOUT_S)
        self.log.append(f"{time.strftime('%X')} node {index} back")


async def seed_operators(database_url: str, salespeople: int, receptionists: int) -> list[str]:
    """Create operators (capacity 5 each) and keep the store open around the clock."""
    emails: list[str] = []
    async with open_database(database_url) as db, db.sessions() as session, session.begin():
        await admin.set_hours(session, DEMO_SLUG, "sales", ALWAYS_OPEN)
        for i in range(salespeople + receptionists):
            store = i < salespeople
            email = f"{'sales' if store else 'bdc'}{i}@chaos.test"
            operator = await admin.create_operator(
                session,
                email=email,
                name=f"{'Sales' if store else 'Bdc'} {i}",
                role="salesperson" if store else "receptionist",
                password=DEMO_PASSWORD,
                dealership=DEMO_SLUG if store else None,
                pool=None if store else DEMO_POOL,
                presence="available",
            )
            operator.capacity = 5
            emails.append(email)
    return emails


async def allow_origin(database_url: str, origin: str) -> None:
    async with open_database(database_url) as db, db.sessions() as session, session.begin():
        await admin.allow_origin(session, DEMO_SLUG, origin)


@contextmanager
def cluster(
    root: Path,
    database_url: str,
    broker_url: str,
    count: int,
    ladder: dict[str, float | str],
    env: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """Start ``count`` nodes (one after the other: each start migrates and seeds) and nginx."""
    shared_env = {"DEALER_CHAT_SECRET_KEY": secrets.token_urlsafe(48), **(env or {})}
    nodes = [
        ServerProcess(
            root / f"node{i}",
            database_url=database_url,
            broker_url=broker_url,
            ladder=ladder,
            env=shared_env,
        )
        for i in range(count)
    ]
    with ExitStack() as stack:
        for node in nodes:
            node.start(timeout=START_TIMEOUT_S)
            stack.callback(node.stop)
        proxy = stack.enter_context(nginx_server([node.port for node in nodes]))
        asyncio.run(allow_origin(database_url, proxy.url))
        yield Cluster(nodes=nodes, nginx=proxy, database_url=database_url)


# What uvicorn and asyncio log when an exception escaped a handler or a task.
CRASH_MARKERS = ("Exception in ASGI application", "Task exception was never retrieved")
TRACEBACK_LINES = (" ", "Traceback", "During handling", "The above")
LOG_RECORD = re.compile(r"^(\d{4}-\d\d-\d\d |\{)")  # text or JSON log format


def unhandled_errors(log_path: Path) -> list[str]:
    """Each crash a node logged, as "marker: the exception's last line"."""
    lines = log_path.read_text(errors="replace").splitlines()
    found = []
    for index, line in enumerate(lines):
        marker = next((m for m in CRASH_MARKERS if m in line), None)
        if marker is None:
            continue
        # The traceback runs until the next log record; its last unindented line is the
        # exception that escaped (earlier ones are the chained exceptions it replaced).
        last = "?"
        for following in lines[index + 1 : index + 400]:
            if LOG_RECORD.match(following):
                break
            if following and not following.startswith(TRACEBACK_LINES):
                last = following
        found.append(f"{marker}: {last}")
    return found
