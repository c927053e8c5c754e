"""The layer rule of DESIGN.md, held on the code: each package imports only from layers below it.

Layers, top to bottom (docs/architecture.md draws the same picture). Packages in one layer never
import each other; a package may import any package in a lower layer, and its own modules.
Imports under ``if TYPE_CHECKING:`` are not counted: they never run, so they can neither form
an import cycle nor make a layer depend on another at run time (``runtime.py`` names the types
of the services the composition root hands it that way).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYERS: list[set[str]] = [
    {"cli"},  # the `dealer-chat` command
    {"app", "demo_world", "admin_commands"},  # composition root; `dealer-chat admin` commands
    {"admin"},  # what `dealer-chat admin` changes
    {"transport", "operator_console", "api"},  # sockets, HTTP routes: pages and the REST API
    {"chats", "leads", "reports", "administration", "history"},  # services; settings writes
    {"accounts"},  # operators, passwords, sessions, tenant scope, API tokens
    {"delivery"},  # channels, fan-out of committed frames
    {"runtime"},  # what a running node shares between requests
    {"limits", "deadlines", "protocol"},
    {"broker", "store"},
    {"observability", "background", "widget_theme", "settings_table"},  # the last renders settings
    {"contact_extraction"},  # pure: contact details found in a chat's text, validated below
    {"ladder", "settings", "clock", "security_headers", "package_files", "contact_details"},
]
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def _unit(module: str) -> str | None:
    """The layer unit of a dotted module name: a chat_server subpackage/module, or the console."""
    parts = module.split(".")
    if parts[0] == "operator_console":
        return "operator_console"
    if parts[0] == "chat_server" and len(parts) > 1:
        return parts[1]
    return None


def _runtime_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """Every absolute import outside ``if TYPE_CHECKING:`` blocks, with its line."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for orelse in child.orelse:
                    visit(orelse)
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.extend(
                    (child.lineno, f"{child.module}.{alias.name}") for alias in child.names
                )
            visit(child)

    visit(tree)
    return found


def _violations() -> list[str]:
    problems = []
    sources = [*ROOT.joinpath("chat_server").rglob("*.py")]
    sources += ROOT.joinpath("operator_console").rglob("*.py")
    for path in sources:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        unit = _unit(module)
        if unit is None or unit == "__init__":
            continue
        if unit not in RANK:
            problems.append(f"{path.relative_to(ROOT)}: '{unit}' has no layer in test_layers.py")
            continue
        for line, imported in _runtime_imports(ast.parse(path.read_text(), str(path))):
            target = _unit(imported)
            if target is None or target == unit or target == "__init__":
                continue
            if target not in RANK:
                problems.append(f"{path.relative_to(ROOT)}:{line}: unknown layer '{target}'")
            elif RANK[target] <= RANK[unit]:
                problems.append(
                    f"{path.relative_to(ROOT)}:{line}: {unit} (layer {RANK[unit]}) imports "
                    f"{imported} ({target}, layer {RANK[target]})"
                )
    return problems


def test_each_package_imports_only_from_layers_below_it() -> None:
    problems = _violations()
    assert not problems, "\n".join(problems)


def test_only_the_composition_root_imports_the_console() -> None:
    importers = sorted(
        str(path.relative_to(ROOT))
        for path in ROOT.joinpath("chat_server").rglob("*.py")
        if any(
            name.startswith("operator_console")
            for _, name in _runtime_imports(ast.parse(path.read_text()))
        )
    )
    assert importers == ["chat_server/app.py"]


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The checker itself can fail: an import from a higher layer is reported."""
    tree = ast.parse("from chat_server.chats.conversations import post_message\n")
    imported = [name for _, name in _runtime_imports(tree)]
    assert imported == ["chat_server.chats.conversations.post_message"]
    assert RANK[_unit(imported[0]) or ""] < RANK["store"]
    guarded = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import chat_server.app\n"
    )
    assert [name for _, name in _runtime_imports(guarded)] == ["typing.TYPE_CHECKING"]


# SQLAlchemy's statement builders called as functions (not ``dict.update(...)``), a session's
# execute, or opening a session.
SQL = re.compile(r"(?<![.\w])(select|insert|update|delete)\(|session\.execute|\.sessions\(\)")


def test_the_socket_and_http_shells_run_no_sql() -> None:
    """transport/ parses, authorises, calls the domain layer and sends: no query of its own."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(ROOT.joinpath("chat_server", "transport").glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SQL.search(line) and not line.lstrip().startswith("#")
    ]
    assert not found, "\n".join(found)


def test_the_sql_check_sees_a_query() -> None:
    assert SQL.search("    rows = await session.execute(select(Conversation.id))")
    assert SQL.search("    async with rt.db.sessions() as session:")
    assert not SQL.search("    headers.update(extra)")
