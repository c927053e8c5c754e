"""Optional py-spy sampling of the server under test while a scenario runs (``--profile``).

py-spy (``pip install -e ".[bench]"``) runs beside the load generator on the client core, in
``--nonblocking`` mode so the server is never paused. It writes collapsed stacks (one line
per distinct stack: ``frame;frame;frame count``), which ``summarise`` ranks by the time each
function is on the stack (inclusive) and at the top of it (self).
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def sampling(pid: int, output: Path, rate: int = 200) -> Iterator[None]:
    """Sample ``pid`` for the duration of the block into ``output`` (collapsed stacks)."""
    binary = py_spy()
    if binary is None:
        raise RuntimeError('py-spy is not installed: .venv/bin/pip install -e ".[bench]"')
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [binary, "record", "--pid", str(pid), "--rate", str(rate), "--nonblocking"]
    command += ["--format", "raw", "--output", str(output)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def summarise(collapsed: Path, top: int = 25) -> str:
    """A Markdown summary: the functions holding the most samples, inclusive and self."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[_short(frames[-1])] += count
        for frame in {_short(f) for f in frames}:
            inclusive[frame] += count
    if total == 0:
        return f"no samples in {collapsed.name}\n"
    lines = [f"{total:,} samples from `{collapsed.name}`", "", "| inclusive | self | function |"]
    lines.append("|---|---|---|")
    for frame, count in inclusive.most_common(top):
        lines.append(f"| {count / total:.0%} | {own[frame] / total:.0%} | `{frame}` |")
    lines += ["", "Top self time:", "", "| self | function |", "|---|---|"]
    for frame, count in own.most_common(top):
        lines.append(f"| {count / total:.1%} | `{frame}` |")
    return "\n".join(lines) + "\n"


def _short(frame: str) -> str:
    """``func (path/to/site-packages/pkg/mod.py:12)`` → ``func (pkg/mod.py)``."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})" if path else name
