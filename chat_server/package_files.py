"""Folders shipped inside the installed packages, found through ``importlib.resources``.

The server reads them as real files (Jinja2 templates, Alembic scripts, the widget's
JavaScript with its modification time), so a package must be installed unzipped: a wheel
installed by pip, or the source tree itself (an editable install, or the repository on
``sys.path``).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_folder(package: str) -> Path:
    """The folder of the importable ``package`` (its package data lives beside its modules)."""
    folder = files(package)
    if not isinstance(folder, Path):  # a zip or another loader that is not the file system
        raise RuntimeError(f"{package} is not installed as files ({folder!r}): reinstall it")
    return folder
