"""Run Alembic migrations from code (``dealer-chat migrate``, and the demo at start)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from chat_server.store.database import ensure_sqlite_folder

# The migrations live at the top of the repository (``alembic/``), beside this package.
ALEMBIC_DIR = Path(__file__).resolve().parents[2] / "alembic"


def alembic_config(database_url: str) -> Config:
    if not ALEMBIC_DIR.is_dir():
        raise RuntimeError(f"Alembic migrations not found at {ALEMBIC_DIR}: install with pip -e")
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    # ConfigParser interpolation treats % specially; URL-encoded passwords contain it.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(database_url: str, revision: str = "heads") -> None:
    """Bring the database at ``database_url`` up to ``revision`` (blocking; no event loop)."""
    ensure_sqlite_folder(database_url)
    command.upgrade(alembic_config(database_url), revision)
