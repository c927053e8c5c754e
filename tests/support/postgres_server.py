"""A throwaway PostgreSQL cluster on a free loopback port.

PostgreSQL refuses to run as root, so when the tests run as root every server-side command
(``initdb``, ``postgres``) runs as the ``postgres`` user through ``runuser``, in a temporary
directory owned by that user. Durability is switched off (fsync, synchronous commit, full
page writes): the cluster lives for one test session.

The cluster's files live in memory (``/dev/shm``) when the machine has room there: every test
creates a database of about 9 MB, and on disk those writes cost a tenth to a quarter of a
second of kernel time each, which on a busy two-core machine is most of a test's setup.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.ports import free_port

HOST = "127.0.0.1"
DATABASE = "dealer_chat"
USER = "dealer_chat"
PASSWORD = "dealer-chat-test"
SUPERUSER = "postgres"  # the bootstrap superuser initdb creates; reached over the socket only
RUN_AS = "postgres"  # the OS user the server runs as when we are root
IN_MEMORY = Path("/dev/shm")
IN_MEMORY_ROOM = 2 << 30  # bytes free there before the cluster goes there (tests drop theirs)


def find_binaries() -> Path:
    """Return the directory holding ``initdb``, ``postgres`` and ``psql``.

    Prefers the newest ``/usr/lib/postgresql/<version>/bin`` (Debian keeps them off PATH),
    then PATH. Raises ``RuntimeError`` naming the first binary that is missing.
    """
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)] or [0],
        reverse=True,
    )
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "postgres").is_file():
            break
    else:
        found = shutil.which("initdb")
        directory = Path(found).parent if found else Path("/usr/lib/postgresql/<version>/bin")
    for name in ("initdb", "postgres", "psql"):
        if not (directory / name).is_file():
            raise RuntimeError(
                f"PostgreSQL binary {name!r} not found in {directory} "
                "(searched /usr/lib/postgresql/*/bin, then PATH; Debian package: postgresql)"
            )
    return directory


class PostgresServer:
    """A running cluster with a ``dealer_chat`` database and a password-protected superuser."""

    def __init__(self, bin_dir: Path, directory: Path, port: int) -> None:
        self.bin_dir = bin_dir
        self.directory = directory
        self.data_dir = directory / "data"
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``dealer_chat`` database."""
        return self.url_for(DATABASE)

    def url_for(self, database: str) -> str:
        return f"postgresql+asyncpg://{USER}:{PASSWORD}@{HOST}:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def initdb(self) -> None:
        """Create the cluster's files (as the server's owner)."""
        pwfile = self.directory / "superuser.pw"
        pwfile.write_text(PASSWORD + "\n")
        _chown(pwfile)
        self._run_as_owner(
            str(self.bin_dir / "initdb"),
            f"--pgdata={self.data_dir}",
            f"--username={SUPERUSER}",
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )

    def create_user_and_database(self) -> None:
        """Create the test user (a superuser with a password) and its database."""
        self.psql(f"CREATE ROLE {USER} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        self.psql(f"CREATE DATABASE {DATABASE} OWNER {USER}")

    def start(self, timeout: float = 30.0) -> None:
        """Start the server (again) on :attr:`port` and wait until it accepts connections."""
        if self.running:
            return
        settings = {
            "listen_addresses": HOST,
            "port": str(self.port),
            "unix_socket_directories": str(self.directory),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }
        command = [str(self.bin_dir / "postgres"), "-D", str(self.data_dir)]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        log = (self.directory / "postgres.log").open("ab")
        try:
            # Not through runuser: runuser does not pass SIGINT on, and the signal must
            # reach the postmaster itself for a fast shutdown. Popen switches user instead.
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.directory,
                **_owner_credentials(),
            )
        finally:
            log.close()  # the child holds its own descriptor
        deadline = time.monotonic() + timeout
        # Check our process is alive even once something answers: a stray postmaster on
        # the same port would answer while ours exits.
        while not self._accepts_connections() or self.process.poll() is not None:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"postgres exited with {self.process.returncode} on port {self.port}; "
                    f"log: {self.directory / 'postgres.log'}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"postgres did not accept connections within {timeout} s")
            time.sleep(0.05)

    def stop(self, *, immediate: bool = False) -> None:
        """Stop the server with a fast shutdown (open sessions are disconnected).

        ``immediate`` skips the shutdown checkpoint (SIGQUIT): for a cluster about to be
        deleted, whose hundreds of test databases would otherwise be flushed to disk first.
        """
        if self.process is None:
            return
        if self.process.poll() is None:
            # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for clients.
            self.process.send_signal(signal.SIGQUIT if immediate else signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, down_s: float = 0.0) -> None:
        """Fast shutdown, ``down_s`` seconds with nothing listening, then start again."""
        self.stop()
        time.sleep(down_s)
        self.start()

    def freeze(self) -> None:
        """SIGSTOP the postmaster and every backend: connections stay up, nothing answers.

        This is what a hung or partitioned database looks like to a client: no refusal,
        no reset, just silence. :meth:`thaw` resumes them.
        """
        self._signal_all(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal_all(signal.SIGCONT)

    def _signal_all(self, signum: int) -> None:
        assert self.process is not None
        pids = [self.process.pid, *_children(self.process.pid)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` owned by the test user, empty or as a copy of ``template``;
        return its URL."""
        _check_identifier(name)
        copy = ""
        if template is not None:
            _check_identifier(template)
            copy = f" TEMPLATE {template}"
        self.psql(f"CREATE DATABASE {name}{copy} OWNER {USER}")
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, ending any session still open on it."""
        _check_identifier(name)
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one SQL statement as the bootstrap superuser over the Unix socket."""
        result = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "--no-psqlrc",
                "--quiet",
                "--tuples-only",
                "--set=ON_ERROR_STOP=1",
                f"--host={self.directory}",
                f"--port={self.port}",
                f"--username={SUPERUSER}",
                f"--dbname={database}",
                f"--command={sql}",
            ],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({sql!r}): {result.stderr.strip()}")
        return result.stdout

    def _accepts_connections(self) -> bool:
        try:
            self.psql("SELECT 1")
        except RuntimeError:
            return False
        return True

    def _run_as_owner(self, *command: str) -> None:
        result = subprocess.run(
            _as_owner(list(command)),
            capture_output=True,
            text=True,
            check=False,
            cwd=self.directory,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(command[0]).name} failed: {result.stderr.strip() or result.stdout}"
            )


def _check_identifier(name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"database name must be a lower-case identifier, got {name!r}")


def _scratch_parent() -> str | None:
    """Where the cluster's directory goes: memory when there is room, else the temp folder."""
    try:
        stats = os.statvfs(IN_MEMORY)
    except OSError:
        return None
    room = stats.f_bavail * stats.f_frsize
    return str(IN_MEMORY) if room >= IN_MEMORY_ROOM and os.access(IN_MEMORY, os.W_OK) else None


def _children(parent: int) -> list[int]:
    """Direct children of ``parent`` (the postmaster's backends and workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name may hold spaces and parentheses: the ppid follows the last ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                found.append(int(stat.parent.name))
    return found


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_owner(command: list[str]) -> list[str]:
    if not _is_root():
        return command
    if shutil.which("runuser") is None:
        raise RuntimeError("runuser not found: needed to run PostgreSQL as a non-root user")
    return ["runuser", "-u", RUN_AS, "--", *command]


def _owner_credentials() -> dict[str, Any]:
    """``Popen`` keyword arguments that run the child as the cluster's owner when root."""
    if not _is_root():
        return {}
    user = pwd.getpwnam(RUN_AS)
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _chown(path: Path) -> None:
    if _is_root():
        user = pwd.getpwnam(RUN_AS)
        os.chown(path, user.pw_uid, user.pw_gid)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Run a fresh PostgreSQL cluster on a free loopback port for the ``with`` block."""
    bin_dir = find_binaries()
    if _is_root():
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            raise RuntimeError(
                f"running as root needs a {RUN_AS!r} user to run PostgreSQL as"
            ) from None
    directory = Path(tempfile.mkdtemp(prefix="dealer-chat-pg-", dir=_scratch_parent()))
    _chown(directory)
    server = PostgresServer(bin_dir, directory, free_port(HOST))
    try:
        server.initdb()
        # free_port() is racy against other processes; try a few ports before giving up.
        for attempt in range(3):
            try:
                server.start()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                server.port = free_port(HOST)
        server.create_user_and_database()
        yield server
    finally:
        server.stop(immediate=True)  # its files are deleted next: nothing to keep
        # Hundreds of test databases are a quarter of a million files: deleting them took
        # 27-45 s at the end of the pass. Nothing waits for that, so a process of its own
        # deletes them while the run goes on.
        subprocess.Popen(
            ["rm", "-rf", "--", str(directory)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
