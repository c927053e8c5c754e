"""``bench/run``: every target, every scenario, then docs/benchmarks.md and the raw JSON."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shlex
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop

from bench.config import SIZES, Sizes
from bench.drivers.dealer_chat import DealerChatDriver
from bench.peer import Dialer
from bench.profiler import sampling, summarise
from bench.report import render
from bench.scenarios.chat import run_chat
from bench.scenarios.idle import run_idle
from bench.scenarios.push import run_push
from bench.scenarios.ring import run_ring
from bench.scenarios.storm import run_storm
from bench.system import CLIENT_CORE, cpu_seconds, load_average, machine, pin, raise_open_file_limit
from bench.targets import REPO, TARGETS, RunningTarget, TargetSpec, running

PROFILES = REPO / "bench" / "results" / "profiles"
# T2 before T3: T3 leaves 50 salespeople available. T5 last: its phones would be rung by
# every later chat (it removes them when done, but a failed T5 may not have).
SCENARIOS = ("t1", "t4", "t2", "t3", "t5")
DEALER_CHAT_ONLY = ("t5",)  # Web Push rings: the relays have nothing like them


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--tiny", action="store_const", const="tiny", dest="size")
    parser.add_argument(
        "--only", help="comma-separated targets: " + ",".join(t.key for t in TARGETS)
    )
    parser.add_argument("--scenarios", help="comma-separated subset of " + ",".join(SCENARIOS))
    parser.add_argument("--markdown", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "latest.json")
    parser.add_argument("--keep", action="store_true", help="keep the servers' logs and data")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample dealer-chat with py-spy during each scenario (bench/results/profiles/)",
    )
    return parser.parse_args(argv)


def scenario_budget_s(sizes: Sizes, name: str) -> float:
    """A hard cap per scenario, so a wedged server cannot stall the run forever.

    Each cap counts only what that scenario does (the full run once spent 7 minutes of a
    shared cap on a wedged T2 and ran past the 15-minute budget).
    """
    return {
        "t1": 60.0 + sum(sizes.idle) / 50,
        # T2 sets up its chat pairs first: on a swamped server a thousand take about a minute.
        "t2": 60.0 + sizes.conversations / 10 + sizes.step_s * len(sizes.rates) * 3,
        "t3": 90.0,
        "t4": 60.0 + sizes.storm / 50,
        # Sign-ins (argon2) and phones one at a time, then the rings; the set-up's own pushes
        # (rings for up to 50 chats already waiting, per phone) settle before the first ring.
        "t5": 120.0 + 3 * sizes.consoles,
    }[name]


def _scenario(name: str, target: RunningTarget, sizes: Sizes) -> Awaitable[dict[str, Any]]:
    """The coroutine that runs scenario ``name`` against ``target``."""
    driver = target.driver(Dialer(sizes.connect_in_flight))
    pid = target.pid
    runs: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
        "t1": lambda: run_idle(driver, pid, sizes.idle, sizes.settle_s),
        "t2": lambda: run_chat(
            driver,
            sizes.conversations,
            sizes.rates,
            sizes.step_s,
            sizes.drain_s,
            server_cpu=lambda: cpu_seconds(pid),
        ),
        "t3": lambda: run_ring(driver, sizes.consoles, sizes.ring_trials),
        "t4": lambda: run_storm(driver, sizes.storm, sizes.settle_s),
        "t5": lambda: run_push(
            _dealer_chat(driver),
            sizes.consoles,
            sizes.ring_trials,
            server_cpu=lambda: cpu_seconds(pid),
        ),
    }
    return runs[name]()


def _dealer_chat(driver: object) -> DealerChatDriver:
    if not isinstance(driver, DealerChatDriver):
        raise TypeError(f"{type(driver).__name__} has no Web Push rings")
    return driver


async def run_target(
    spec: TargetSpec, sizes: Sizes, scenarios: list[str], workdir: Path, profile: bool = False
) -> dict[str, Any]:
    result: dict[str, Any] = {"label": spec.label}
    try:
        with running(spec, workdir) as target:
            result["command"] = target.shown_command()
            for name in scenarios:
                if name in DEALER_CHAT_ONLY and spec.kind != "dealer-chat":
                    continue
                started = time.perf_counter()
                cpu_before = cpu_seconds(target.pid)
                print(f"  {spec.key} {name} ...", flush=True)
                collapsed = PROFILES / f"{spec.key}-{name}.txt"
                sampler = (
                    sampling(target.pid, collapsed)
                    if profile and spec.kind == "dealer-chat"
                    else contextlib.nullcontext()
                )
                try:
                    with sampler:
                        outcome = await asyncio.wait_for(
                            _scenario(name, target, sizes), scenario_budget_s(sizes, name)
                        )
                    if collapsed.exists() and profile:
                        collapsed.with_suffix(".md").write_text(summarise(collapsed))
                except Exception as error:  # one scenario failing must not lose the others
                    traceback.print_exc()
                    outcome = {"errors": [f"{type(error).__name__}: {error}"[:300]]}
                outcome["elapsed_s"] = round(time.perf_counter() - started, 2)
                outcome["server_cpu_s"] = round(cpu_seconds(target.pid) - cpu_before, 2)
                result[name] = outcome
                print(f"  {spec.key} {name}: {_brief(outcome)}", flush=True)
                if target.process.poll() is not None:
                    result["error"] = f"server exited with {target.process.returncode}"
                    break
    except Exception as error:
        traceback.print_exc()
        result["error"] = f"{type(error).__name__}: {error}"[:300]
    return result


def _brief(outcome: dict[str, Any]) -> str:
    text = json.dumps({k: v for k, v in outcome.items() if k != "steps"})
    return text[:300]


async def run_all(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    sizes = SIZES[args.size]
    chosen = set(args.only.split(",")) if args.only else {t.key for t in TARGETS}
    scenarios = [s for s in SCENARIOS if not args.scenarios or s in args.scenarios.split(",")]
    started = time.perf_counter()
    results: dict[str, Any] = {
        "command": shlex.join(["bench/run", *argv]),
        "size": args.size,
        "sizes": sizes.as_dict(),
        "machine": machine(),
        "load_before": list(load_average()),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "targets": {},
    }
    workdir = Path(tempfile.mkdtemp(prefix="dealer-chat-bench-"))
    try:
        for spec in TARGETS:
            if spec.key not in chosen:
                continue
            print(f"== {spec.label}", flush=True)
            results["targets"][spec.key] = await run_target(
                spec, sizes, scenarios, workdir, args.profile
            )
            _write_json(args.json, results)
    finally:
        if args.keep:
            print(f"server logs and data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["load_after"] = list(load_average())
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    return results


def _write_json(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    raise_open_file_limit()
    pin(CLIENT_CORE)  # servers are started from pinned(SERVER_CORE) in bench.targets
    results = uvloop.run(run_all(args, argv))
    _write_json(args.json, results)
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(render(results))
    print(f"wrote {args.markdown} and {args.json} in {results['elapsed_s']:.0f} s")
    failed = [k for k, r in results["targets"].items() if r.get("error")]
    return 1 if failed else 0
