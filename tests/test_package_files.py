"""Package data is found through importlib.resources, wherever the packages are installed."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import widget
from chat_server.package_files import package_folder
from chat_server.transport.site_routes import WIDGET_DIR


def test_the_widget_files_are_the_widget_packages_data() -> None:
    assert Path(widget.__file__).parent == WIDGET_DIR
    assert {"loader.js", "chat-ui.js", "demo_site.html"} <= {p.name for p in WIDGET_DIR.iterdir()}


def test_a_package_folder_is_where_the_package_is_imported_from() -> None:
    import operator_console

    assert package_folder("operator_console") == Path(operator_console.__file__).parent


def test_a_zipped_package_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "zipped.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("zipped_dealer_pkg/__init__.py", "")
    monkeypatch.syspath_prepend(str(archive))
    with pytest.raises(RuntimeError, match="zipped_dealer_pkg is not installed as files"):
        package_folder("zipped_dealer_pkg")
