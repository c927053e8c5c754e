"""docs/benchmarks.md from the raw results (bench/results/latest.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.figures import figures, reference_rate, targets_met
from bench.targets import TARGETS

NOTES = Path(__file__).resolve().parent / "notes.md"
BASELINES = ("b0", "p1")
DEALER = ("dc-sqlite", "dc-pg")

METHOD = """\
## Method

- **One run, one machine.** `bench/run` starts each server in turn, runs every scenario against
  it and stops it; nothing else of the benchmark runs at the same time. Each server (and for
  dealer-chat on PostgreSQL also `postgres` and `redis-server`) is pinned to core 0; the load
  generator (one asyncio process on uvloop, `websockets` client, HdrHistogram) is pinned to
  core 1. Client sockets are spread over 20 source addresses (127.0.0.2-21); open-file soft
  limits are raised to the hard limit on both sides.
- **B0** is a bare `websockets` relay (asyncio server on uvloop, compression off, in-memory
  rooms, no persistence). **P1** is the same relay on python-socketio, under uvicorn with the
  settings dealer-chat uses (websockets sans-I/O, no per-message deflate, 64 KiB frames).
  dealer-chat runs as `dealer-chat demo` with long ladder windows (nothing times out during
  the run) and `ring_all`.
- **T1** opens idle visitors (dealer-chat: `hello`/`welcome`, a visitor row; relays: join a
  room of one) after a warm-up, and reads the server's PSS from `/proc/PID/smaps_rollup`:
  (PSS - idle PSS) / connections. Only the server process is counted (not PostgreSQL/Redis).
- **T2** sets up the conversations (dealer-chat: two tabs of one shopper, tab A writes and
  tab B receives, every message stored before it is relayed; relays: two sockets in a room),
  then holds each rate for a few seconds, open loop: each message carries the time it was
  *due*, so a generator or server that falls behind shows up as latency. Messages go
  round-robin over the conversations (4 messages/s per conversation at 4,000/s, under the
  per-socket limit of 20 frames/s). A rate counts as sustained when p99 < 100 ms with
  nothing lost; stepping stops after a rate with p99 over 1 s or more than 10 % lost.
- **T3** (dealer-chat) signs in salespeople over HTTP, sets them available, opens the sales
  department around the clock, then one new shopper after another sends a first message;
  the delay to the `ring` frame is recorded at every console. For the relays the analogue is
  the first message relayed to a room holding all consoles.
- **T5** (dealer-chat only) is T3's rings reaching phones instead of consoles (as many
  salespeople and rings as T3): each salesperson registers one Web Push subscription (`POST
  /console/api/push/devices`, as the console's "Ring my phone" does), chooses "available" on
  a console socket and closes it, so a phone is their only channel. The push service is the
  benchmark's own (`bench/push_receiver.py`, on the load generator's core and clock; the
  server runs with `DEALER_CHAT_PUSH_LOOPBACK=1` to accept its `http://127.0.0.1` endpoints):
  it answers every push 201 at once and notes when it read it. From just before the shopper's
  first `message` frame is sent to that moment, over every (ring, phone) pair; a push counts
  when its `Topic` names the chat and its body, decrypted after the run, is that chat's ring.
  One untimed ring first (connections to the push service, the VAPID token).
- **T4** drops every socket at once (TCP reset) and reconnects them all, with the load
  generator keeping up to its in-flight limit of handshakes going; a handshake is the
  websocket upgrade plus the application's own (hello/welcome, join/joined).
- Ratios are dealer-chat's figure divided by the baseline's. For memory, latency and time to
  recover lower is better; for rates higher is better.
"""


def _num(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value else "0"


def _ratio(mine: float | None, base: float | None) -> str:
    if mine is None or base is None or base == 0:
        return "n/a"
    return f"{mine / base:.2f}×"


def _labels() -> dict[str, str]:
    return {t.key: t.label for t in TARGETS}


def render(results: dict[str, Any]) -> str:
    sizes = results["sizes"]
    idle_counts: list[int] = list(sizes["idle"])
    rates: list[int] = list(sizes["rates"])
    targets: dict[str, Any] = results["targets"]
    labels = _labels()
    machine = results["machine"]
    out: list[str] = [
        "# Benchmarks",
        "",
        f"Written by `{results['command']}` on {results['finished_at']} "
        f"({results['size']} size, {results['elapsed_s']:.0f} s). "
        "Raw figures: `bench/results/latest.json`. Regenerate with `bench/run`; "
        "do not edit by hand (hand-written analysis lives in `bench/notes.md`).",
        "",
        "## Machine",
        "",
        f"- {machine['nproc']} cores: {machine['cpu_model']}; {machine['memory_gib']} GiB memory",
        f"- Linux {machine['kernel']}, Python {machine['python']}, "
        f"open files hard limit {machine['open_files_limit']:,}",
        f"- load average (1, 5, 15 min) before the run {results['load_before']}, "
        f"after {results['load_after']}",
        "",
        "## Results",
        "",
    ]
    header = ["figure", labels["b0"], labels["p1"]]
    for key in DEALER:
        header += [labels[key], "÷ B0", "÷ P1"]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "---|" * len(header))
    for figure in figures(idle_counts, rates):
        picked = {key: figure.pick(targets.get(key) or {}) for key in (*BASELINES, *DEALER)}
        row = [
            f"{figure.label} ({figure.unit}, {'higher' if figure.higher_is_better else 'lower'}"
            " is better)",
            _num(picked["b0"]),
            _num(picked["p1"]),
        ]
        for key in DEALER:
            row += [_num(picked[key]), _ratio(picked[key], picked["b0"])]
            row.append(_ratio(picked[key], picked["p1"]))
        out.append("| " + " | ".join(row) + " |")
    out += ["", "### Targets (DESIGN.md, Performance; the push ring: issue 13)", ""]
    out.append("| target | " + " | ".join(labels[k] for k in DEALER) + " |")
    out.append("|---|" + "---|" * len(DEALER))
    checks = {
        key: targets_met(
            targets.get(key) or {},
            targets.get("b0") or {},
            targets.get("p1") or {},
            idle_counts,
            rates,
        )
        for key in DEALER
    }
    for index, (name, _, _) in enumerate(checks[DEALER[0]]):
        cells = []
        for key in DEALER:
            _, shown, met = checks[key][index]
            mark = "not measured" if met is None else ("met" if met else "**not met**")
            cells.append(f"{shown}: {mark}")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", *_chat_steps(targets, labels, reference_rate(rates)), *_errors(targets, labels)]
    out += [METHOD, "## Commands", "", "```", f"{results['command']}"]
    for key, result in targets.items():
        out.append(f"# {labels.get(key, key)}: the server under test")
        out.append(result.get("command", "(not started)"))
    out += ["```", ""]
    sizes_text = ", ".join(f"{k}={v}" for k, v in sizes.items())
    out += [f"Sizes: {sizes_text}.", ""]
    if NOTES.exists():
        out += ["## Analysis", "", NOTES.read_text().strip(), ""]
    return "\n".join(out)


def _chat_steps(targets: dict[str, Any], labels: dict[str, str], ref: int | None) -> list[str]:
    out = [
        "### T2 by rate",
        "",
        "| target | rate (msg/s) | sent | lost | p50 (ms) | p99 (ms) | p99.9 (ms) "
        "| max (ms) | server CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, result in targets.items():
        for step in (result.get("t2") or {}).get("steps") or []:
            cpu = step.get("server_cpu")
            out.append(
                f"| {labels.get(key, key)} | {step['rate']:,} | {step['sent']:,} | {step['lost']:,}"
                f" | {_num(step['p50_ms'])} | {_num(step['p99_ms'])} | {_num(step['p999_ms'])}"
                f" | {_num(step['max_ms'])} | {'n/a' if cpu is None else f'{cpu:.0%}'} |"
            )
    out.append("")
    return out


def _errors(targets: dict[str, Any], labels: dict[str, str]) -> list[str]:
    lines = []
    for key, result in targets.items():
        for scenario in ("t1", "t2", "t3", "t4", "t5"):
            part = result.get(scenario) or {}
            for error in part.get("errors") or []:
                lines.append(f"- {labels.get(key, key)} {scenario.upper()}: `{error}`")
        if result.get("error"):
            lines.append(f"- {labels.get(key, key)}: `{result['error']}`")
    return ["### Errors", "", *lines, ""] if lines else []
