"""A throwaway ``redis-server`` on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.ports import free_port

HOST = "127.0.0.1"


class RedisServer:
    """A ``redis-server`` process without persistence, restartable on the same port."""

    def __init__(self, binary: str, directory: Path, port: int) -> None:
        self.binary = binary
        self.directory = directory
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://{HOST}:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _arguments(self) -> list[str]:
        return [
            *("--save", ""),
            *("--appendonly", "no"),
            *("--port", str(self.port)),
            *("--bind", HOST),
            *("--dir", str(self.directory)),
        ]

    def start(self, timeout: float = 10.0) -> None:
        """Start the server (again) on :attr:`port` and wait until it answers PING."""
        if self.running:
            return
        log = (self.directory / "redis.log").open("ab")
        try:
            self.process = subprocess.Popen(
                [self.binary, *self._arguments()],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.directory,
            )
        finally:
            log.close()  # the child holds its own descriptor
        deadline = time.monotonic() + timeout
        while not _answers_ping(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited with {self.process.returncode} on port {self.port}; "
                    f"log: {self.directory / 'redis.log'}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"redis-server did not answer PING within {timeout} s")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server (all data is lost: there is no persistence)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """Run Debian's ``redis-server`` on a free loopback port for the ``with`` block."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found on PATH (Debian package: redis-server)")
    directory = Path(tempfile.mkdtemp(prefix="dealer-chat-redis-"))
    server: RedisServer | None = None
    try:
        # free_port() is racy against other processes; try a few ports before giving up.
        for attempt in range(3):
            server = RedisServer(binary, directory, free_port(HOST))
            try:
                server.start()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        assert server is not None
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)
