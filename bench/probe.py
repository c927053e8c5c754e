"""``python -m bench.probe``: server CPU per stored message at one fixed T2 rate.

Latency on a shared machine is noisy; the server's own CPU seconds per message are not (much).
This starts one dealer-chat target the way ``bench/run`` does (server pinned to its core, load
generator on the other), sets up the T2 chat pairs, holds one rate for a while and prints the
server's CPU per message, the latency summary and, with ``--profile``, a py-spy summary of the
held rate alone (set-up excluded).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import tempfile
from pathlib import Path

import uvloop

from bench.peer import Dialer
from bench.profiler import sampling, summarise
from bench.scenarios.chat import run_chat
from bench.system import CLIENT_CORE, cpu_seconds, pin, raise_open_file_limit
from bench.targets import TARGETS, running


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.probe", description=__doc__)
    parser.add_argument("--target", choices=[t.key for t in TARGETS], default="dc-sqlite")
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--rate", type=int, default=250)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--profile", type=Path, help="write py-spy collapsed stacks here")
    parser.add_argument("--keep", action="store_true", help="keep the server's log and data")
    return parser.parse_args(argv)


async def probe(args: argparse.Namespace) -> dict[str, object]:
    spec = next(t for t in TARGETS if t.key == args.target)
    workdir = Path(tempfile.mkdtemp(prefix="dealer-chat-probe-"))
    try:
        with running(spec, workdir) as target:
            driver = target.driver(Dialer(100))
            pid = target.pid
            sampler = sampling(pid, args.profile) if args.profile else contextlib.nullcontext()
            # A warm-up step at a low rate sets up the pairs and warms caches; the profile and
            # the CPU figure cover the held rate only.
            outcome = await run_chat(
                driver,
                args.conversations,
                (min(50, args.rate), args.rate),
                args.seconds,
                drain_s=3.0,
                server_cpu=lambda: cpu_seconds(pid),
                around_step=lambda index: sampler if index == 1 else contextlib.nullcontext(),
            )
    finally:
        if args.keep:
            print(f"server log and data kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    steps = outcome["steps"]
    assert isinstance(steps, list)
    held = steps[-1] if len(steps) == 2 else {}
    if held and held.get("server_cpu") is not None:
        held["server_cpu_ms_per_message"] = round(1000 * held["server_cpu"] / held["send_rate"], 3)
    return {
        "target": args.target,
        "conversations": outcome["conversations"],
        "sockets_closed_by_server": outcome.get("sockets_closed_by_server"),
        "errors": outcome.get("errors"),
        **held,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_open_file_limit()
    pin(CLIENT_CORE)
    result = uvloop.run(probe(args))
    print(json.dumps(result, indent=2))
    if args.profile and args.profile.exists():
        args.profile.with_suffix(".md").write_text(summarise(args.profile, top=40))
        print(f"profile: {args.profile.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
