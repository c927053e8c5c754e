"""One table of settings drives load_settings and the docs; the docs cannot drift from it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from chat_server.settings import (
    PREFIX,
    SETTINGS,
    Entry,
    Settings,
    SettingsError,
    base_url,
    load_settings,
    text,
)
from chat_server.settings_table import default_text, main, markdown_table, with_table

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "docs" / "operations.md"
# Every document with a "| variable | default | ..." table of DEALER_CHAT_* settings.
DOCUMENTED = [ROOT / "README.md", OPERATIONS, ROOT / "docs" / "crm.md"]
BY_NAME = {name: entry for entry in SETTINGS for name in entry.names}


def test_docs_operations_settings_table_is_the_generated_one() -> None:
    document = OPERATIONS.read_text()
    assert markdown_table() in document, (
        "docs/operations.md's settings table differs from chat_server/settings.py: run "
        "python -m chat_server.settings_table --write docs/operations.md"
    )
    assert with_table(document) == document
    assert main(["--check", str(OPERATIONS)]) == 0


def test_check_fails_on_a_stale_table_and_write_repairs_it(tmp_path: Path) -> None:
    stale = tmp_path / "operations.md"
    stale.write_text(OPERATIONS.read_text().replace("`memory://`", "`kafka://`", 1))
    assert main(["--check", str(stale)]) == 1
    assert main(["--write", str(stale)]) == 0
    assert main(["--check", str(stale)]) == 0
    assert stale.read_text() == OPERATIONS.read_text()
    unmarked = tmp_path / "plain.md"
    unmarked.write_text("# no table here\n")
    assert main(["--check", str(unmarked)]) == 2


def test_every_row_names_a_field_of_settings_and_its_default() -> None:
    by_field = {f.name: f for f in dataclasses.fields(Settings)}
    assert len({entry.variable for entry in SETTINGS}) == len(SETTINGS)
    for entry in SETTINGS:
        assert entry.field in by_field
        assert entry.default == by_field[entry.field].default
        assert entry.help and "|" not in entry.variable
    # The one field no variable sets: tests and the in-process server tune it directly.
    assert set(by_field) - {entry.field for entry in SETTINGS} == {"deadline_poll_s"}


@pytest.mark.parametrize("entry", SETTINGS, ids=lambda entry: entry.variable)
def test_a_default_written_as_the_docs_show_it_reads_back_as_the_default(entry: Entry) -> None:
    assert entry.parse(entry.variable, default_text(entry.default)) == entry.default


def test_setting_every_variable_to_its_default_changes_nothing() -> None:
    env = {entry.names[0]: default_text(entry.default) for entry in SETTINGS}
    env[PREFIX + "NODE_NAME"] = "node-1"
    assert load_settings(env) == load_settings({}, node_name="node-1")


@pytest.mark.parametrize(
    "entry",
    [entry for entry in SETTINGS if entry.parse not in (text, base_url)],
    ids=lambda entry: entry.variable,
)
def test_a_bad_value_is_refused_naming_the_variable(entry: Entry) -> None:
    with pytest.raises(SettingsError, match=entry.names[0]):
        load_settings({entry.names[0]: "not/a-value?"})


def test_each_variable_sets_its_field() -> None:
    settings = load_settings(
        {
            PREFIX + "PUBLIC_URL": "https://chat.example/",
            PREFIX + "AUTO_AWAY": "45",
            PREFIX + "LOG_LEVEL": "DEBUG",
            PREFIX + "SMTP_TLS": "TLS",
            PREFIX + "DELIVERY_POLL": "2.5",
            PREFIX + "LIMIT_ADDRESS_SIGN_INS": "3/2h",
        }
    )
    assert settings.public_url == "https://chat.example"
    assert settings.auto_away_s == 45.0 and settings.log_level == "debug"
    assert settings.smtp_tls == "tls" and settings.delivery_poll_s == 2.5
    assert settings.limit_address_sign_ins is not None
    assert settings.limit_address_sign_ins.window_s == 7200.0


def test_redis_url_is_read_when_broker_url_is_not_set() -> None:
    redis = "redis://127.0.0.1:6379/0"
    assert load_settings({PREFIX + "REDIS_URL": redis}).broker_url == redis
    both = {PREFIX + "REDIS_URL": redis, PREFIX + "BROKER_URL": "memory://"}
    assert load_settings(both).broker_url == "memory://"
    empty_main = {PREFIX + "BROKER_URL": "", PREFIX + "REDIS_URL": redis}
    assert load_settings(empty_main).broker_url == redis


def test_text_overrides_are_read_like_the_variable() -> None:
    url = load_settings({}, database_url="postgres://u@db/chat").database_url
    assert url == "postgresql+asyncpg://u@db/chat"
    with pytest.raises(SettingsError, match="DEALER_CHAT_LOG_LEVEL must be"):
        load_settings({}, log_level="loud")
    with pytest.raises(SettingsError, match="DEALER_CHAT_BROKER_URL must be"):
        load_settings({}, broker_url="kafka://x")
    assert load_settings({}, port=9001, auto_away_s=None).port == 9001


def _variable_rows(path: Path) -> list[tuple[list[str], list[str]]]:
    """(variables, backticked defaults) of each row of the document's variable tables."""
    rows = []
    in_table = False
    for line in path.read_text().splitlines():
        if re.match(r"^\|\s*variable\s*\|\s*default\s*\|", line):
            in_table = True
            continue
        if not line.startswith("|"):
            in_table = False
        if not in_table or line.startswith("|---"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        variables = re.findall(r"`(DEALER_CHAT_[A-Z_*]+)`", cells[0])
        # The defaults open the cell ("`127.0.0.1`, `8000`"); a parenthesis qualifies one
        # ("`json` (`demo`: `text`)") and words name none ("none: `serve` requires it").
        unqualified = re.sub(r"\s*\(.*?\)", "", cells[1])
        leading = re.match(r"`[^`]*`(?:,\s*`[^`]*`)*", unqualified)
        rows.append((variables, re.findall(r"`([^`]*)`", leading[0]) if leading else []))
    return rows


@pytest.mark.parametrize("path", DOCUMENTED, ids=lambda path: path.name)
def test_every_documented_variable_and_default_is_true(path: Path) -> None:
    rows = _variable_rows(path)
    assert rows, f"{path.name} has no settings table"
    for variables, defaults in rows:
        assert variables, f"{path.name}: a row names no variable"
        for name in variables:
            if name.endswith("*"):
                assert any(n.startswith(name[:-1]) for n in BY_NAME), f"{path.name}: {name}"
                continue
            assert name in BY_NAME, f"{path.name} documents {name}, which nothing reads"
        if not defaults or any(name.endswith("*") for name in variables):
            continue  # "none", or a family of variables pointing elsewhere: no value claimed
        # One default per variable, or one shared by all of them (a variable and its alias).
        pairs = (
            zip(variables, defaults, strict=True)
            if len(defaults) > 1
            else ((name, defaults[0]) for name in variables)
        )
        for name, written in pairs:
            entry = BY_NAME[name]
            assert entry.parse(entry.variable, written) == entry.default, (path.name, name)
