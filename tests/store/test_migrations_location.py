"""Where the migrations are found: in a checkout, in an installed wheel, and never the Alembic
library that sits beside an installed ``chat_server`` in site-packages."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import alembic
from chat_server.store.database import open_database
from chat_server.store.migrate import alembic_config, migrations_folder

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_uses_the_alembic_folder_at_the_top_of_the_repository() -> None:
    assert migrations_folder() == ROOT / "alembic"
    assert migrations_folder() != Path(alembic.__file__).parent
    # Not a package: an alembic/__init__.py would shadow the library with the repo on sys.path.
    assert not (ROOT / "alembic" / "__init__.py").exists()


def test_an_installed_package_uses_its_own_copy(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "alembic", site / "chat_server" / "migrations")
    (site / "alembic").mkdir()  # the library, as pip installs it beside chat_server
    (site / "alembic" / "__init__.py").write_text("")
    (site / "alembic.ini").write_text("")  # even a stray alembic.ini does not win over the copy
    assert migrations_folder(site / "chat_server") == site / "chat_server" / "migrations"


def test_an_installed_package_without_migrations_never_takes_the_library(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "chat_server").mkdir(parents=True)
    shutil.copytree(Path(alembic.__file__).parent, site / "alembic")
    with pytest.raises(RuntimeError, match="reinstall"):
        migrations_folder(site / "chat_server")


def test_the_configured_script_folder_has_the_whole_history() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite:///unused"))
    assert Path(script.dir) == migrations_folder()
    assert script.get_revision("0001") is not None


async def test_alembic_upgrade_head_from_a_checkout(database_url: str, tmp_path: Path) -> None:
    # As a developer runs it: alembic.ini in the current folder, python -m alembic, so the
    # repository's alembic/ is on sys.path too and must not shadow the library.
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env={"DEALER_CHAT_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    async with open_database(database_url) as db, db.engine.connect() as connection:
        version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert version == [(head,)]
    assert {"conversations", "messages", "leads", "lead_deliveries"} <= tables
