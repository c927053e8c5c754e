"""Fixtures shared by the whole suite.

``DEALER_CHAT_TEST_BACKEND`` picks the backends every server and store test runs on:
``embedded`` (SQLite file + memory broker, the default) or ``pg-redis`` (a real PostgreSQL
cluster and a real redis-server, both started here on free loopback ports).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from chat_server.store.database import Database, open_database
from chat_server.store.migrate import migrate
from tests.support.heavy import deselect_outside
from tests.support.inprocess import InProcessServer
from tests.support.postgres_server import PostgresServer, postgres_server
from tests.support.redis_server import RedisServer, redis_server
from tests.support.seeded_world import (
    defer_creation,
    ensure_created,
    forget_deferred,
    materialise_migrated,
)
from tests.support.server_process import ServerProcess
from tests.support.tls_context import share_default_tls_context

share_default_tls_context()

BACKEND = os.environ.get("DEALER_CHAT_TEST_BACKEND", "embedded")
if BACKEND not in ("embedded", "pg-redis"):
    raise SystemExit(f"DEALER_CHAT_TEST_BACKEND must be embedded or pg-redis, got {BACKEND!r}")


def pytest_report_header() -> str:
    return f"dealer-chat backend: {BACKEND}"


TESTS = Path(__file__).parent
# Their subject does not depend on the storage or the broker, so they run in the embedded
# pass only (tests/support/heavy.py): path -> why.
ONCE_EMBEDDED = {
    "ladder": "the ladder is a pure state machine",
    "protocol": "frames are built and parsed by pure functions",
    "test_layers.py": "the import rule reads the source",
    "test_settings_and_cli.py": "settings and the CLI's arguments (its own SQLite file)",
    "test_settings_table.py": "the settings table and its generated docs",
    "test_contact_details.py": "contact validation is pure",
    "test_package_files.py": "package files are found the same way whatever the backend",
    "e2e/test_widget_accessible_spanish.py": "accessibility and language, in the browser",
    "e2e/test_console_csp.py": "the console's content policy, in the browser",
    "e2e/test_widget_hostile_page.py": "the widget's isolation from a hostile page",
    # Rings by push and by text, stored and sent, are tested on both backends in tests/delivery;
    # these are the browser's side of them.
    "e2e/test_installable_console.py": "the installable console and its service worker",
    "e2e/test_text_my_phone.py": "the 'Text me too' card in the browser",
    "e2e/test_shift_end.py": "the end-of-shift control in the browser",
    "delivery/test_loopback_push_service.py": "the tests' own push service",
    # The ladder on PostgreSQL + Redis is tested in-process (tests/chats, tests/transport,
    # tests/delivery) and under failures (tests/scale); this is the same ladder in Chromium.
    "e2e/test_ladder_in_browser.py": "the ladder's flows in the browser",
    # The settings pages' look, phone layout and accessibility; what they store is tested on
    # both backends in tests/administration and tests/security.
    "e2e/test_settings_platform.py": "the platform settings pages in the browser",
    "e2e/test_settings_ladder_widget.py": "the ladder and widget pages in the browser",
    "e2e/test_settings_hours.py": "the hours page in the browser",
    "e2e/test_settings_team.py": "the team pages in the browser",
    "e2e/test_settings_canned_crm.py": "the canned-reply, CRM and card pages in the browser",
    "e2e/test_settings_journey.py": "issue 14's journey from an empty `serve`, in the browser",
    # Issue 15's phone-first console. What these pages read and store is tested on both backends
    # over HTTP and on the sockets (tests/leads/test_lead_pages.py, tests/transport).
    "e2e/test_console_layout.py": "every console page's layout at 360/390/414 px, in the browser",
    "e2e/test_leads_dashboard.py": "the lead and dashboard pages on a phone, in the browser",
    "e2e/test_console_workspace_phone.py": "the workspace on a phone, in the browser",
    "e2e/test_conversations.py": "the Conversations pages in the browser (search and scope on "
    "both backends are in tests/history)",
    "history/test_words.py": "words and query terms are pure",
    "e2e/test_console_end_retry.py": "the console's retries of details and an End in the "
    "browser (the refusal naming the chat is tested on PostgreSQL in "
    "tests/scale/test_postgres_restart.py)",
    "e2e/test_widget_after_details.py": "the shopper's side in the browser (the same chat after "
    "details is tested on both backends in tests/transport/test_visitor_after_details.py)",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for path, why in ONCE_EMBEDDED.items():
        deselect_outside(config, items, TESTS / path, f"{path} ({why})", "embedded")


FIGURES = pytest.StashKey[list[str]]()


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Record a measured figure (chaos, failures, fuzz): printed now (``-s``) and again in one
    block at the end of the run, so CI's output carries the numbers a note reports."""
    lines = request.config.stash.setdefault(FIGURES, [])

    def record(line: str) -> None:
        lines.append(f"{request.node.name}: {line}")
        print(f"\n[figure] {line}")

    return record


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.write_sep("-", "measured figures (tests/scale, tests/fuzz)")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
def new_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The test's own database on the selected backend, made when first needed: the
    ``database`` fixture and the test servers make it as a copy of a template
    (tests/support/seeded_world.py); ``database_url`` makes it empty. PostgreSQL's is dropped
    after the test (hundreds of them would otherwise fill the cluster's memory)."""
    if BACKEND != "pg-redis":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("pg")
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = server.url_for(name)
    defer_creation(url, lambda template: server.create_database(name, template))
    yield url
    if not forget_deferred(url) and server.running:
        server.drop_database(name)


@pytest.fixture
def database_url(new_database_url: str) -> str:
    """A fresh, empty database on the selected backend, for a test that opens it itself."""
    ensure_created(new_database_url)
    return new_database_url


@pytest.fixture
def broker_url(request: pytest.FixtureRequest) -> str:
    if BACKEND == "pg-redis":
        server: RedisServer = request.getfixturevalue("redis_srv")
        return server.url
    return "memory://"


@pytest.fixture
async def database(new_database_url: str) -> AsyncIterator[Database]:
    """A migrated database, opened in-process: a copy of one migrated once per run
    (tests/support/seeded_world.py); tests/store migrates its own to test the migrations."""
    # Alembic's env runs its own event loop, so it gets a thread of its own here.
    if not await asyncio.to_thread(materialise_migrated, new_database_url):
        await asyncio.to_thread(migrate, new_database_url)
    async with open_database(new_database_url) as db:
        yield db


@pytest.fixture
def start_server(
    tmp_path: Path, new_database_url: str, broker_url: str
) -> Iterator[Callable[..., ServerProcess]]:
    """Start real servers (``dealer-chat demo`` subprocesses) sharing this test's backend."""
    started: list[ServerProcess] = []

    def start(
        ladder: dict[str, float | str] | None = None,
        name: str = "node",
        env: dict[str, str] | None = None,
    ) -> ServerProcess:
        server = ServerProcess(
            tmp_path / name,
            database_url=new_database_url,
            broker_url=broker_url,
            ladder=ladder,
            env=env,
        )
        # Listed before it starts, so one that fails to start is stopped all the same.
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
async def serve_inprocess(
    tmp_path: Path, new_database_url: str, broker_url: str
) -> AsyncIterator[Callable[..., Awaitable[InProcessServer]]]:
    """Start servers in the test's own event loop, on a clock the test moves
    (tests/support/inprocess.py), sharing this test's backend. Takes the same ``ladder`` and
    ``env`` as ``start_server``; use it wherever a test needs no process of its own."""
    started: list[InProcessServer] = []

    async def start(
        ladder: dict[str, float | str] | None = None,
        name: str = "node",
        env: dict[str, str] | None = None,
    ) -> InProcessServer:
        server = InProcessServer(
            tmp_path / name,
            database_url=new_database_url,
            broker_url=broker_url,
            ladder=ladder,
            env=env,
        )
        started.append(server)
        await server.start()
        return server

    yield start
    for server in started:
        await server.stop()
