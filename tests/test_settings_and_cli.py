"""Settings come from DEALER_CHAT_*; bad ones fail at start with a message naming the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from chat_server import cli
from chat_server.settings import SettingsError, load_settings, require_secret


def test_defaults_run_embedded() -> None:
    settings = load_settings({})
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.broker_url == "memory://"


def test_environment_is_read_and_libpq_urls_get_the_async_driver() -> None:
    settings = load_settings(
        {
            "DEALER_CHAT_DATABASE_URL": "postgresql://u:p@db/chat",
            "DEALER_CHAT_REDIS_URL": "redis://127.0.0.1:6379/0",
            "DEALER_CHAT_PORT": "9000",
            "DEALER_CHAT_SECURE_COOKIES": "true",
        }
    )
    assert settings.database_url == "postgresql+asyncpg://u:p@db/chat"
    assert settings.broker_url == "redis://127.0.0.1:6379/0"
    assert settings.port == 9000 and settings.secure_cookies is True


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"DEALER_CHAT_DATABASE_URL": "mysql://x"}, "DEALER_CHAT_DATABASE_URL must start with"),
        ({"DEALER_CHAT_BROKER_URL": "kafka://x"}, "DEALER_CHAT_BROKER_URL must be memory://"),
        ({"DEALER_CHAT_PORT": "eighty"}, "DEALER_CHAT_PORT must be a whole number"),
        ({"DEALER_CHAT_PORT": "70000"}, "between 1 and 65535"),
        ({"DEALER_CHAT_SECURE_COOKIES": "maybe"}, "must be true or false"),
        ({"DEALER_CHAT_LOG_LEVEL": "loud"}, "LOG_LEVEL must be"),
    ],
)
def test_bad_settings_say_what_to_fix(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(SettingsError, match=fragment):
        load_settings(env)


def test_serve_needs_a_real_secret_key() -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY must be set"):
        require_secret(load_settings({"DEALER_CHAT_SECRET_KEY": "short"}))


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEALER_CHAT_")}
    return subprocess.run(
        [sys.executable, "-m", "chat_server.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
    )


def test_serve_refuses_to_start_without_a_secret_and_says_why() -> None:
    result = run_cli("serve", env={"DEALER_CHAT_DATABASE_URL": "sqlite+aiosqlite:///x.db"})
    assert result.returncode == 2
    assert "DEALER_CHAT_SECRET_KEY must be set" in result.stderr


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli_here(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> CliResult:
    """``dealer-chat ARGS`` in this process: the same ``main`` as the console script, without
    a Python start-up per command (run_cli above proves the entry point itself)."""
    for name in [k for k in os.environ if k.startswith("DEALER_CHAT_")]:
        monkeypatch.delenv(name)
    capsys.readouterr()
    try:
        code = cli.main(list(args))
    except SystemExit as exit_:  # argparse refusing its arguments
        code = exit_.code if isinstance(exit_.code, int) else 2
    out, err = capsys.readouterr()
    return CliResult(code, out, err)


def test_admin_commands_build_a_world_and_reject_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}"

    def run_cli(*args: str) -> CliResult:
        return run_cli_here(capsys, monkeypatch, *args)

    assert run_cli("migrate", "--database-url", url).returncode == 0
    ok = [
        (
            "create-dealership",
            "--slug",
            "lake",
            "--name",
            "Lake Ford",
            "--time-zone",
            "America/Chicago",
            "--origin",
            "https://lakeford.example",
        ),
        ("set-hours", "--dealership", "lake", "--hours", '{"mon": [["09:00", "18:00"]]}'),
        ("set-ladder", "--dealership", "lake", "--store-window", "15", "--strategy", "round_robin"),
        ("create-pool", "--name", "Midwest BDC"),
        ("cover", "--pool", "Midwest BDC", "--dealership", "lake"),
        (
            "create-operator",
            "--email",
            "pat@lakeford.example",
            "--name",
            "Pat",
            "--role",
            "salesperson",
            "--dealership",
            "lake",
            "--password",
            "long-enough",
        ),
    ]
    for args in ok:
        result = run_cli("admin", "--database-url", url, *args)
        assert result.returncode == 0, (args, result.stderr)
    listing = run_cli("admin", "--database-url", url, "list").stdout
    assert "Lake Ford" in listing and "round_robin" in listing and "pat@lakeford.example" in listing
    bad = [
        (
            ("create-dealership", "--slug", "x", "--name", "X", "--time-zone", "Mars/Olympus"),
            "unknown time zone",
        ),
        (("set-hours", "--dealership", "lake", "--hours", '{"funday": []}'), "funday"),
        (("set-hours", "--dealership", "nope", "--closed"), "no dealership 'nope'"),
        (
            (
                "create-operator",
                "--email",
                "a@b.c",
                "--name",
                "A",
                "--role",
                "receptionist",
                "--password",
                "long-enough",
            ),
            "needs --pool",
        ),
        (
            (
                "create-operator",
                "--email",
                "q@b.c",
                "--name",
                "Q",
                "--role",
                "salesperson",
                "--dealership",
                "lake",
                "--password",
                "short",
            ),
            "at least 8",
        ),
    ]
    for args, fragment in bad:
        result = run_cli("admin", "--database-url", url, *args)
        assert result.returncode == 2 and fragment in result.stderr, (args, result.stderr)
