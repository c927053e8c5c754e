"""Start and stop the servers under test: B0, P1 and dealer-chat on both backends.

Each server (and, for dealer-chat on PostgreSQL, its PostgreSQL and redis-server) starts from
inside ``pinned(SERVER_CORE)`` and so inherits core 0; the load generator stays on core 1.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.drivers.base import Driver
from bench.drivers.dealer_chat import DealerChatDriver
from bench.drivers.relay import RelayDriver
from bench.drivers.socketio import SocketIODriver
from bench.peer import Dialer
from bench.system import SERVER_CORE, pinned
from tests.support.ports import free_port
from tests.support.postgres_server import postgres_server
from tests.support.redis_server import redis_server

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# Long ladder windows: nothing times out (no ladder ticks, no closing) while the load runs.
LADDER_FLAGS = [
    *("--strategy", "ring_all"),
    *("--store-window", "86400"),
    *("--pool-window", "86400"),
    *("--grace", "86400"),
    *("--capture-window", "86400"),
]


# The load generator is one "shopper site" sending thousands of messages a second: the abuse
# limits (per visitor, per site; chat_server/limits/) would refuse most of it. The benchmark
# measures capacity, so it switches them off.
NO_ABUSE_LIMITS = {
    f"DEALER_CHAT_{name}": "off"
    for name in (
        "LIMIT_VISITOR_MESSAGES",
        "LIMIT_ADDRESS_MESSAGES",
        "LIMIT_SITE_MESSAGES",
        "LIMIT_ADDRESS_CONVERSATIONS",
        "LIMIT_ADDRESS_CONNECTS",
    )
}


# T5 rings phones through a push service of the benchmark's own, on http://127.0.0.1 (a real
# one is https://); the server accepts such endpoints only with this (chat_server/settings.py).
PUSH_LOOPBACK = {"DEALER_CHAT_PUSH_LOOPBACK": "1"}


@dataclass(frozen=True)
class TargetSpec:
    key: str
    label: str
    kind: str  # "b0", "p1" or "dealer-chat"


TARGETS = (
    TargetSpec("b0", "B0 websockets relay", "b0"),
    TargetSpec("p1", "P1 python-socketio relay", "p1"),
    TargetSpec("dc-sqlite", "dealer-chat SQLite + memory", "dealer-chat"),
    TargetSpec("dc-pg", "dealer-chat PostgreSQL + Redis", "dealer-chat"),
)


@dataclass
class RunningTarget:
    spec: TargetSpec
    process: subprocess.Popen[bytes]
    port: int
    command: list[str]
    log_path: Path
    database_url: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def driver(self, dialer: Dialer) -> Driver:
        if self.spec.kind == "b0":
            return RelayDriver(self.base_url, dialer)
        if self.spec.kind == "p1":
            return SocketIODriver(self.base_url, dialer)
        return DealerChatDriver(self.base_url, dialer, self.database_url)

    def shown_command(self) -> str:
        return f"taskset -c {SERVER_CORE} " + shlex.join(
            [Path(self.command[0]).name, *self.command[1:]]
        )


def _server_command(spec: TargetSpec, port: int, data_dir: Path, urls: dict[str, str]) -> list[str]:
    python = sys.executable
    if spec.kind == "b0":
        return [python, "-m", "bench.servers.relay_websockets", "--port", str(port)]
    if spec.kind == "p1":
        return [python, "-m", "bench.servers.relay_socketio", "--port", str(port)]
    command = [
        *(python, "-m", "chat_server.cli", "demo"),
        *("--host", HOST, "--port", str(port), "--data-dir", str(data_dir)),
        *("--log-level", "warning"),
        *LADDER_FLAGS,
    ]
    if "database" in urls:
        command += ["--database-url", urls["database"], "--broker-url", urls["broker"]]
    return command


def _ready(spec: TargetSpec, port: int) -> bool:
    try:
        if spec.kind == "dealer-chat":
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1) as answer:
                return bool(answer.status == 200)
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def _wait_ready(target: RunningTarget, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.process.poll() is not None:
            raise RuntimeError(
                f"{target.spec.key} exited early:\n{target.log_path.read_text()[-3000:]}"
            )
        if _ready(target.spec, target.port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{target.spec.key} did not start:\n{target.log_path.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running(spec: TargetSpec, workdir: Path) -> Iterator[RunningTarget]:
    """Start ``spec``'s server (and its backing services) on the server core; stop on exit."""
    data_dir = workdir / spec.key
    data_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        with pinned(SERVER_CORE):
            if spec.key == "dc-pg":
                pg = stack.enter_context(postgres_server())
                redis = stack.enter_context(redis_server())
                urls = {"database": pg.url, "broker": redis.url}
            port = free_port(HOST)
            command = _server_command(spec, port, data_dir, urls)
            log_path = data_dir / "server.log"
            with log_path.open("ab") as log:
                process = subprocess.Popen(
                    command,
                    cwd=REPO,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={
                        **os.environ,
                        **NO_ABUSE_LIMITS,
                        **(PUSH_LOOPBACK if spec.kind == "dealer-chat" else {}),
                    },
                )
        stack.callback(_stop, process)
        database_url = urls.get(
            "database", f"sqlite+aiosqlite:///{data_dir / 'dealer-chat.sqlite3'}"
        )
        target = RunningTarget(spec, process, port, command, log_path, database_url)
        _wait_ready(target)
        yield target
