"""A real dealer-chat server (``dealer-chat demo``) in a subprocess on a loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.admin_cli import run_admin
from tests.support.ports import free_port
from tests.support.seeded_world import materialise_seeded

CLI = [sys.executable, "-m", "chat_server.cli"]


class ServerProcess:
    """Start, stop and restart one server; the data (database) survives restarts."""

    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None = None,
        broker_url: str | None = None,
        ladder: dict[str, float | str] | None = None,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.database_url = (
            database_url or f"sqlite+aiosqlite:///{data_dir / 'dealer-chat.sqlite3'}"
        )
        self.broker_url = broker_url or "memory://"
        self.ladder = ladder or {}
        # Extra environment for the server (e.g. DEALER_CHAT_SMTP_*), on top of os.environ.
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        command = [
            *CLI,
            "demo",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--database-url",
            self.database_url,
            "--broker-url",
            self.broker_url,
            "--log-level",
            "info",
        ]
        for name, value in self.ladder.items():
            command += [f"--{name.replace('_', '-')}", str(value)]
        return command

    def start(self, timeout: float = 30.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # A new database starts as a copy of the seeded demo world (tests/support/seeded_world.py);
        # the demo command then finds it seeded, as it would on its own second start.
        materialise_seeded(self.database_url)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self._command(), stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        # Not left running: a server that missed its start-up time (a busy machine) would
        # otherwise outlive the test and the run, and make the machine busier still.
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def admin(self, *args: str) -> str:
        """Run ``dealer-chat admin ...`` against this server's database (in this process)."""
        return run_admin(self.database_url, list(args))
