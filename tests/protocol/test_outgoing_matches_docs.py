"""docs/protocol.md and chat_server/protocol/outgoing.py list the same server frame types.

The module's side is read from what its builders actually return (each ``*_frame`` function
called with the sample values of tests/protocol/samples.py, its ``"type"`` read back), so a
builder renamed or retyped cannot drift from a hand-kept list. The documentation's side is
read from the tables that follow a "Server → client:" or "Between nodes" line: their first
column names one frame type in backticks per row.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chat_server.protocol import outgoing
from tests.protocol.samples import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "protocol.md"

# Lines that introduce a table of frames the server sends (or publishes between nodes).
TABLE_INTROS = ("Server → client:", "Between nodes (")
TYPE_CELL = re.compile(r"`([a-z][a-z_]*)`")


@dataclass(frozen=True)
class FrameTable:
    heading: str  # the "## ..." section the table is in
    intro: str  # the line right above the table
    types: tuple[str, ...]


def _first_cell(row: str) -> str:
    cells = row.strip().strip("|").split("|")
    return cells[0].strip()


def server_frame_tables(text: str) -> list[FrameTable]:
    """Every table of server frames in ``text``, in order.

    Strict on purpose: a table that does not start with a ``type`` header, or a row whose
    first cell is not exactly one backticked frame type, raises instead of being skipped.
    """
    lines = text.splitlines()
    tables: list[FrameTable] = []
    heading = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            heading = line[3:].strip()
        if not line.startswith(TABLE_INTROS):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j + 1 >= len(lines) or _first_cell(lines[j]) != "type":
            raise ValueError(f"line {i + 1}: {line!r} is not followed by a 'type' table")
        if not re.fullmatch(r"\|[-:| ]+\|", lines[j + 1].strip()):
            raise ValueError(f"line {j + 2}: no separator row under the table header")
        types = []
        k = j + 2
        while k < len(lines) and lines[k].startswith("|"):
            match = TYPE_CELL.fullmatch(_first_cell(lines[k]))
            if match is None:
                raise ValueError(f"line {k + 1}: first cell is not one `frame_type`")
            types.append(match.group(1))
            k += 1
        if not types:
            raise ValueError(f"line {i + 1}: {line!r} introduces an empty table")
        tables.append(FrameTable(heading, line, tuple(types)))
        i = k
    return tables


def documented_types() -> set[str]:
    return {t for table in server_frame_tables(DOC.read_text()) for t in table.types}


def builders() -> dict[str, Callable[..., dict[str, Any]]]:
    """Every public ``*_frame`` function defined in the outgoing module."""
    return {
        name: function
        for name, function in inspect.getmembers(outgoing, inspect.isfunction)
        if name.endswith("_frame") and function.__module__ == outgoing.__name__
    }


def built_types() -> set[str]:
    return {SAMPLES[name]()["type"] for name in builders()}


def test_every_builder_has_a_sample() -> None:
    assert set(SAMPLES) == set(builders())


def test_module_and_docs_list_the_same_frame_types() -> None:
    built, documented = built_types(), documented_types()
    assert built == documented, (
        f"built but not documented in docs/protocol.md: {sorted(built - documented)}; "
        f"documented but built by no builder in outgoing.py: {sorted(documented - built)}"
    )


def test_the_doc_has_a_server_frame_table_per_socket() -> None:
    tables = server_frame_tables(DOC.read_text())
    headings = {table.heading.split(":")[0] for table in tables}
    assert {"Visitor socket", "Console socket"} <= headings
    # Both sockets answer a refused frame the same way, so both tables must say so.
    for socket in ("Visitor socket", "Console socket"):
        assert any(
            table.heading.startswith(socket) and "error" in table.types for table in tables
        ), socket


def test_the_doc_parser_reads_rows_and_refuses_what_it_cannot_read() -> None:
    doc = (
        "## Visitor socket: `/ws/visitor`\n\nClient → server:\n\n| type | fields |\n|---|---|\n"
        "| `hello` | x |\n\nServer → client:\n\n| type | fields | notes |\n|---|---|---|\n"
        "| `welcome` | a | b |\n| `ack` | c | |\n\nsome prose\n"
    )
    assert server_frame_tables(doc) == [
        FrameTable("Visitor socket: `/ws/visitor`", "Server → client:", ("welcome", "ack"))
    ]
    with pytest.raises(ValueError, match="first cell"):
        server_frame_tables(doc.replace("| `ack` |", "| ack, `nack` |"))
    with pytest.raises(ValueError, match="'type' table"):
        server_frame_tables("Server → client:\n\nprose instead of a table\n")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_frame_is_json_serialisable(name: str) -> None:
    frame = SAMPLES[name]()
    text = json.dumps(frame, allow_nan=False)
    # What the client parses is what was built: no tuples, datetimes or enums that the JSON
    # encoder would turn into something else (or refuse).
    assert json.loads(text) == frame
    assert next(iter(frame)) == "type"  # connection.py recognises frames by their opening


def test_the_protocol_package_imports_only_records_ladder_and_the_standard_library() -> None:
    allowed = ("chat_server.store.records", "chat_server.ladder", "chat_server.protocol")
    problems = []
    for path in ROOT.joinpath("chat_server", "protocol").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if name == "__future__" or top in sys.stdlib_module_names:
                    continue
                if not any(name == a or name.startswith(a + ".") for a in allowed):
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports {name}")
    assert not problems, "\n".join(problems)


NOT_FRAMES = {"chat_server/api/openapi.py"}  # JSON-schema "type" keys


def _frame_literals(path: Path) -> list[tuple[int, str]]:
    """Dict literals with a constant string ``"type"`` key: frames built by hand."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "type"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    found.append((node.lineno, value.value))
    return found


def test_no_frame_is_built_outside_the_outgoing_module() -> None:
    stray = []
    for path in sorted(ROOT.joinpath("chat_server").rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        if relative in NOT_FRAMES or relative.startswith("chat_server/protocol/"):
            continue
        for line, kind in _frame_literals(path):
            stray.append(f"{relative}:{line}: {kind!r} frame built by hand")
    assert not stray, "\n".join(stray)


def test_the_literal_finder_finds_a_hand_built_frame(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text('x = {"type": "ring", "conversation": c}\ny = {"type": kind}\n')
    assert _frame_literals(source) == [(1, "ring")]
