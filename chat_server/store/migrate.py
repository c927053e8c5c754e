"""Run Alembic migrations from code (``dealer-chat migrate``, and the demo at start).

The migrations live in ``alembic/`` at the top of the repository, which is where ``alembic
upgrade head`` (``alembic.ini``) finds them in a checkout. A wheel carries the same folder as
package data, ``chat_server/migrations`` (copied there by the build step in ``setup.py``).
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from chat_server.package_files import package_folder
from chat_server.store.database import ensure_sqlite_folder

PACKAGED = "migrations"  # inside the chat_server package, in a wheel
CHECKOUT = "alembic"  # beside the chat_server package, in the repository


def migrations_folder(package: Path | None = None) -> Path:
    """Alembic's script folder: the wheel's ``chat_server/migrations``, else a checkout's
    ``alembic/``. ``package`` is the folder of ``chat_server`` (found by default).

    The checkout's folder is only taken when ``alembic.ini`` stands beside it: a bare
    ``alembic/`` next to the package could be the Alembic library itself (in site-packages),
    which is how an installed server once tried to run the library as its migrations.
    """
    package = package or package_folder("chat_server")
    packaged = package / PACKAGED
    if (packaged / "env.py").is_file():
        return packaged
    root = package.parent
    checkout = root / CHECKOUT
    if (root / "alembic.ini").is_file() and (checkout / "env.py").is_file():
        return checkout
    raise RuntimeError(
        f"no migrations in {packaged} (an installed package) nor in {checkout} (a checkout): "
        "reinstall dealer-chat from a wheel built by its setup.py"
    )


def alembic_config(database_url: str) -> Config:
    """Alembic configured in code for ``database_url``: no ``alembic.ini`` is needed."""
    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    # ConfigParser interpolation treats % specially; URL-encoded passwords contain it.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(database_url: str, revision: str = "heads") -> None:
    """Bring the database at ``database_url`` up to ``revision`` (blocking; no event loop)."""
    ensure_sqlite_folder(database_url)
    command.upgrade(alembic_config(database_url), revision)
