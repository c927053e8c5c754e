"""Build step: the wheel carries the top-level ``alembic/`` folder as ``chat_server/migrations``.

Everything else about the package is declared in ``pyproject.toml``. The migrations stay at
the top of the repository, where ``alembic upgrade head`` (``alembic.ini``) finds them, and
where they cannot be a package: an ``alembic/__init__.py`` would shadow the Alembic library
whenever the repository is on ``sys.path``. ``chat_server/store/migrate.py`` looks for the
copy first and for the checkout's folder second.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent / "alembic"
TARGET = ("chat_server", "migrations")
SHIPPED = ("*.py", "*.mako")  # env.py, versions/*.py and the template of new revisions


def migration_files() -> list[Path]:
    """The migration files to ship, relative to ``alembic/``."""
    found = sorted({p.relative_to(SOURCE) for g in SHIPPED for p in SOURCE.rglob(g)})
    if not any(p.as_posix() == "env.py" for p in found):
        # An sdist without alembic/ (MANIFEST.in) would otherwise build a server that
        # cannot create its tables.
        raise SystemExit(f"no Alembic migrations at {SOURCE}: cannot build dealer-chat")
    return [p for p in found if "__pycache__" not in p.parts]


class BuildPyWithMigrations(build_py):
    """``build_py`` that also copies ``alembic/`` into the built ``chat_server`` package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # the source tree is used as is: migrate.py finds alembic/
            return
        for relative in migration_files():
            target = Path(self.build_lib, *TARGET, relative)
            self.mkpath(str(target.parent))
            self.copy_file(str(SOURCE / relative), str(target))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            outputs += [str(Path(self.build_lib, *TARGET, p)) for p in migration_files()]
        return outputs


setup(cmdclass={"build_py": BuildPyWithMigrations})
