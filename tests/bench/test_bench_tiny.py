"""``bench/run --tiny`` end to end: real servers, real sockets, a report and its raw JSON.

No timing thresholds: only that every target ran every scenario and produced sane figures.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARGETS = ("b0", "p1", "dc-sqlite", "dc-pg")

def test_tiny_bench_writes_report_and_json(tmp_path: Path) -> None:
    markdown, raw = tmp_path / "benchmarks.md", tmp_path / "latest.json"
    done = subprocess.run(
        [str(REPO / "bench" / "run"), "--tiny", "--markdown", str(markdown), "--json", str(raw)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        env=os.environ.copy(),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads(raw.read_text())
    assert results["machine"]["nproc"] >= 1
    assert set(results["targets"]) == set(TARGETS)
    for key, target in results["targets"].items():
        assert "error" not in target, (key, target)
        assert target["command"], key

        idle = target["t1"]
        assert not idle["errors"], (key, idle)
        assert idle["idle_server_pss_kib"] > 0
        assert [s["connections"] for s in idle["steps"]] == list(results["sizes"]["idle"])

        storm = target["t4"]
        assert storm["reconnected"] == storm["sockets"] == results["sizes"]["storm"], key
        assert storm["handshakes_per_s"] > 0 and storm["time_to_recover_s"] > 0

        chat = target["t2"]
        assert chat["conversations"] == results["sizes"]["conversations"], (key, chat)
        assert chat["steps"], key
        for step in chat["steps"]:
            assert step["sent"] > 0 and step["delivered"] > 0, (key, step)
            assert 0 < step["p50_ms"] <= step["p99_ms"] <= step["p999_ms"] <= step["max_ms"]

        ring = target["t3"]
        assert ring["consoles"] == results["sizes"]["consoles"], (key, ring)
        assert ring["count"] > 0 and 0 < ring["p50_ms"] <= ring["p99_ms"], (key, ring)

        if key.startswith("dc-"):  # T5, rings on phones, is dealer-chat's alone
            push = target["t5"]
            assert push["phones"] == results["sizes"]["consoles"] and push["missed"] == 0, (
                key,
                push,
            )
            assert push["count"] > 0 and 0 < push["p50_ms"] <= push["p99_ms"], (key, push)

    report = markdown.read_text()
    for heading in ("# Benchmarks", "## Machine", "## Results", "## Commands", "÷ B0", "÷ P1"):
        assert heading in report
    for target in results["targets"].values():
        assert target["command"] in report
