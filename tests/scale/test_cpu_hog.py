"""The chaos test's CPU hog: one busy loop per core while the block runs, none after it."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.scale.cpu_hog import HOG_ENV, cpu_hog, hog_from_env


def test_the_hog_runs_while_the_block_does_and_is_stopped_when_it_fails() -> None:
    kept: list[subprocess.Popen[bytes]] = []
    with pytest.raises(RuntimeError, match="a failed assertion"), cpu_hog(2) as hogs:
        kept = hogs
        assert len(hogs) == 2
        assert all(hog.poll() is None for hog in hogs)  # busy, not exited
        raise RuntimeError("a failed assertion")
    assert all(hog.returncode is not None for hog in kept)


def test_the_environment_switches_it_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HOG_ENV, raising=False)
    with hog_from_env() as count:
        assert count == 0
    monkeypatch.setenv(HOG_ENV, "1")
    with hog_from_env() as count:
        assert count == (os.cpu_count() or 1)
