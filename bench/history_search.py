"""Search times of the Conversations page on 10,000 conversations, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.history_search [--count 10000] [--runs 40] [--backend both]

For each backend: a fresh database (a SQLite file in a temporary folder; a throwaway
PostgreSQL cluster started by tests/support/postgres_server.py, as the test suite does),
migrated, the demo world, ``seed_history`` (the ``dealer-chat admin seed-history`` code) of
``--count`` conversations, then each kind of query run ``--runs`` times through the page's
own ``list_conversations`` (a count and the first page of 50, as the page does), as the demo's
salesperson. Prints the median and p95 in milliseconds per query kind, and the seed's time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from chat_server.accounts.operators import operator_view
from chat_server.demo_world import seed_demo
from chat_server.history.filters import Filters
from chat_server.history.listing import list_conversations, places_for
from chat_server.history.seed import seed_history
from chat_server.store.database import open_database
from chat_server.store.migrate import migrate
from chat_server.store.models import Conversation, Dealership, Operator

ALEX = "alex@demo-motors.test"


def _formats(e164: str) -> list[str]:
    area, exchange, line = e164[2:5], e164[5:8], e164[8:]
    return [f"({area}) {exchange}-{line}", f"{area}.{exchange}.{line}",
            f"+1 {area} {exchange} {line}", f"{area}{exchange}{line}"]  # fmt: skip


async def _queries(url: str) -> dict[str, list[Filters]]:
    """Queries drawn from the seeded data itself, so each finds something."""
    async with open_database(url) as db, db.sessions() as session:
        rows = list(await session.scalars(select(Conversation).limit(400)))
    phones = [c.contact["phone"] for c in rows if c.contact and c.contact.get("phone")][:10]
    emails = [c.contact["email"] for c in rows if c.contact and c.contact.get("email")][:10]
    full = [c.contact["name"] for c in rows if c.contact and c.contact.get("name")][:5]
    names = [*full, *(n.split()[0][:3] for n in full[:3])]  # "Olivia Smith", "Oli"
    today = datetime.now(UTC).date()
    return {
        "phone (4 formats)": [Filters(query=f) for p in phones for f in _formats(p)],
        "e-mail": [Filters(query=e) for e in emails],
        "name": [Filters(query=n) for n in names],
        "vehicle": [Filters(query=q) for q in ("Camry", "2024 Tacoma", "F-150", "rav4 prime")],
        "transcript word": [Filters(query=q) for q in ("financing", "Saturday", "oil change")],
        "filtered list, no search": [
            Filters(outcome="up", start=today - timedelta(days=30), end=today),
            Filters(outcome="missed"),
            Filters(department="service", start=date(today.year, 1, 1)),
        ],
        "whole list, no filter": [Filters()],
    }


async def _measure(url: str, count: int, runs: int) -> tuple[float, dict[str, list[float]]]:
    await asyncio.to_thread(migrate, url)
    async with open_database(url) as db:
        async with db.sessions() as session, session.begin():
            await seed_demo(session, ["http://localhost"])
        started = time.perf_counter()
        async with db.sessions() as session, session.begin():
            demo = await session.scalar(select(Dealership).where(Dealership.slug == "demo-motors"))
            assert demo is not None
            await seed_history(session, demo, count, datetime.now(UTC), seed=1)
        seeded_s = time.perf_counter() - started
        queries = await _queries(url)
        times: dict[str, list[float]] = {kind: [] for kind in queries}
        async with db.sessions() as session:
            alex = await session.scalar(select(Operator).where(Operator.email == ALEX))
            assert alex is not None
            places = await places_for(session, operator_view(alex))
        for kind, filters in queries.items():
            for run in range(runs):
                chosen = filters[run % len(filters)]
                async with db.sessions() as session:
                    began = time.perf_counter()
                    page = await list_conversations(session, places, chosen)
                    times[kind].append((time.perf_counter() - began) * 1000)
                if run < len(filters):
                    assert page.total > 0, (kind, chosen)
    return seeded_s, times


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def _report(backend: str, count: int, seeded_s: float, times: dict[str, list[float]]) -> None:
    print(f"\n{backend}: {count:,} conversations seeded and indexed in {seeded_s:.1f} s")
    print(f"  {'query':<28} {'median ms':>10} {'p95 ms':>10} {'runs':>6}")
    for kind, values in times.items():
        print(f"  {kind:<28} {statistics.median(values):>10.1f} {_p95(values):>10.1f} "
              f"{len(values):>6}")  # fmt: skip


@contextmanager
def _postgres() -> Iterator[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.support.postgres_server import postgres_server

    with postgres_server() as server:
        yield server.create_database("history_bench")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args(argv)
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="history-bench-") as folder:
            url = f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
            _report("SQLite (FTS5)", args.count, *asyncio.run(_measure(url, args.count, args.runs)))
    if args.backend in ("postgres", "both"):
        with _postgres() as url:
            seeded, times = asyncio.run(_measure(url, args.count, args.runs))
            _report("PostgreSQL (tsvector + GIN)", args.count, seeded, times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
