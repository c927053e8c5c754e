"""Where an idle visitor socket's memory goes: tracemalloc and object counts, diffed.

Starts ``dealer-chat demo`` under tracemalloc in a child process, warms it up, then opens
``--visitors`` idle visitors and diffs two snapshots taken inside the server (on SIGUSR1):
bytes per socket by allocation site, objects per socket by type and asyncio tasks per socket.

    .venv/bin/python -m bench.memtrace --visitors 1000
    .venv/bin/python -m bench.memtrace --visitors 1000 --pg      # PostgreSQL + Redis

tracemalloc itself inflates the process, so read PSS from T1 (``bench/run``); this tool is
for *where*, not *how much in total*.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

DUMP_ENV = "DEALER_CHAT_MEMTRACE_DIR"


# --- inside the server ------------------------------------------------------------------


def _dump(_signum: int, _frame: Any) -> None:
    """Write a tracemalloc snapshot, object counts and task coroutines to the dump folder."""
    folder = Path(os.environ[DUMP_ENV])
    gc.collect()
    types = Counter(type(o).__qualname__ for o in gc.get_objects())
    tasks: Counter[str] = Counter()
    with contextlib.suppress(RuntimeError):
        for task in asyncio.all_tasks():
            coro = task.get_coro()
            tasks[getattr(coro, "__qualname__", type(coro).__name__)] += 1
    n = len(list(folder.glob("snap*.pickle")))
    tracemalloc.take_snapshot().dump(str(folder / f"snap{n}.pickle"))
    (folder / f"counts{n}.pickle").write_bytes(pickle.dumps({"types": types, "tasks": tasks}))


def serve(argv: list[str]) -> int:
    tracemalloc.start(12)
    signal.signal(signal.SIGUSR1, _dump)
    from chat_server.cli import main

    return main(argv)


# --- the driver -------------------------------------------------------------------------


async def _open_visitors(base_url: str, count: int, database_url: str) -> list[Any]:
    from bench.drivers.dealer_chat import DealerChatDriver
    from bench.peer import Dialer
    from bench.scenarios.common import many

    driver = DealerChatDriver(base_url, Dialer(100), database_url)
    peers, errors = await many(count, lambda n: driver.visitor(f"m{n}"))
    if errors:
        print("errors:", errors, file=sys.stderr)
    return peers


def _signal_and_wait(pid: int, folder: Path, n: int) -> None:
    os.kill(pid, signal.SIGUSR1)
    target = folder / f"counts{n}.pickle"
    deadline = time.monotonic() + 120
    while not target.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the server wrote no snapshot")
        time.sleep(0.2)
    time.sleep(0.5)


def report(folder: Path, count: int, top: int) -> str:
    before = tracemalloc.Snapshot.load(str(folder / "snap0.pickle"))
    after = tracemalloc.Snapshot.load(str(folder / "snap1.pickle"))
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    before, after = before.filter_traces(ignore), after.filter_traces(ignore)
    lines = []
    total = sum(s.size_diff for s in after.compare_to(before, "filename"))
    lines.append(f"traced bytes per socket: {total / count:,.0f} ({count} sockets)")
    lines.append("\n## by line (bytes / socket, count / socket)")
    for stat in after.compare_to(before, "lineno")[:top]:
        frame = stat.traceback[0]
        lines.append(
            f"{stat.size_diff / count:8.0f} B {stat.count_diff / count:6.2f}  "
            f"{_short(frame.filename)}:{frame.lineno}"
        )
    lines.append("\n## by traceback (innermost frame first)")
    for stat in after.compare_to(before, "traceback")[:top]:
        frames = list(stat.traceback)[::-1][:8]  # stored oldest first
        where = " < ".join(f"{_short(f.filename)}:{f.lineno}" for f in frames)
        lines.append(f"{stat.size_diff / count:8.0f} B {stat.count_diff / count:6.2f}  {where}")
    c0 = pickle.loads((folder / "counts0.pickle").read_bytes())
    c1 = pickle.loads((folder / "counts1.pickle").read_bytes())
    lines.append("\n## objects per socket (gc-tracked), by type")
    diff = c1["types"].copy()
    diff.subtract(c0["types"])
    for name, n in diff.most_common(top):
        lines.append(f"{n / count:7.2f}  {name}")
    lines.append("\n## asyncio tasks per socket, by coroutine")
    tasks = c1["tasks"].copy()
    tasks.subtract(c0["tasks"])
    for name, n in tasks.most_common(10):
        lines.append(f"{n / count:7.2f}  {name}")
    return "\n".join(lines)


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memtrace", description=__doc__)
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    parser.add_argument("serve", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve and args.serve[0] == "serve":
        return serve(args.serve[1:])

    from bench.system import raise_open_file_limit
    from bench.targets import HOST, LADDER_FLAGS, REPO, TARGETS, _ready
    from tests.support.ports import free_port

    raise_open_file_limit()
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="memtrace-")))
        port = free_port(HOST)
        command = [sys.executable, "-m", "bench.memtrace", "serve", "demo"]
        command += ["--host", HOST, "--port", str(port), "--data-dir", str(work)]
        command += ["--log-level", "warning", *LADDER_FLAGS]
        database_url = f"sqlite+aiosqlite:///{work / 'dealer-chat.sqlite3'}"
        if args.pg:
            from tests.support.postgres_server import postgres_server
            from tests.support.redis_server import redis_server

            pg = stack.enter_context(postgres_server())
            redis = stack.enter_context(redis_server())
            database_url = pg.url
            command += ["--database-url", pg.url, "--broker-url", redis.url]
        process = subprocess.Popen(
            command, cwd=REPO, env={**os.environ, DUMP_ENV: str(work)}, stdout=subprocess.DEVNULL
        )
        stack.callback(process.wait)
        stack.callback(process.terminate)
        spec = next(t for t in TARGETS if t.key == "dc-sqlite")
        while not _ready(spec, port):
            if process.poll() is not None:
                raise RuntimeError("the server exited early")
            time.sleep(0.2)
        base_url = f"http://{HOST}:{port}"

        async def drive() -> None:
            from bench.peer import close_all

            warm = await _open_visitors(base_url, 50, database_url)
            await close_all(warm)
            await asyncio.sleep(1.0)
            _signal_and_wait(process.pid, work, 0)
            peers = await _open_visitors(base_url, args.visitors, database_url)
            await asyncio.sleep(1.0)
            _signal_and_wait(process.pid, work, 1)
            await close_all(peers)

        asyncio.run(drive())
        print(report(work, args.visitors, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
