"""The settings table of docs/operations.md, rendered from ``chat_server.settings.SETTINGS``.

    python -m chat_server.settings_table                            # print the table
    python -m chat_server.settings_table --write docs/operations.md # regenerate it in place
    python -m chat_server.settings_table --check docs/operations.md # exit 1 if it is stale

The table sits between two marker comments, so the prose around it stays hand-written.
tests/test_settings_table.py fails when the document and the code disagree.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from chat_server.settings import SETTINGS, Entry, Rate

BEGIN = (
    "<!-- settings table: generated from chat_server/settings.py by "
    "`python -m chat_server.settings_table --write docs/operations.md`; edit it there -->"
)
END = "<!-- end of settings table -->"


def default_text(value: object) -> str:
    """A default written as one would set it in the variable (its parser reads it back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "off"
    if isinstance(value, Rate):
        return f"{value.count}/{_window_text(value.window_s)}"
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _window_text(window_s: float) -> str:
    for unit, size in (("hour", 3600), ("min", 60)):
        if window_s % size == 0:
            count = int(window_s // size)
            return unit if count == 1 else f"{count}{unit}"
    return f"{default_text(window_s)}s"


def shown_default(entry: Entry) -> str:
    """The default column: the entry's own wording, the value in backticks, or "none"."""
    if entry.shown_default is not None:
        return entry.shown_default
    written = default_text(entry.default)
    return f"`{written}`" if written else "none"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table(entries: Iterable[Entry] = SETTINGS) -> str:
    """The settings as a markdown table: variable (and aliases), default, meaning."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for entry in entries:
        main, *aliases = entry.names
        variable = f"`{main}`" + "".join(f" (or `{alias}`)" for alias in aliases)
        lines.append(f"| {variable} | {_cell(shown_default(entry))} | {_cell(entry.help)} |")
    return "\n".join(lines) + "\n"


def with_table(document: str, table: str | None = None) -> str:
    """``document`` with the text between the markers replaced by the generated table."""
    table = markdown_table() if table is None else table
    start = document.find(BEGIN)
    end = document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the document has no settings table markers ({BEGIN!r} ... {END!r})")
    return document[: start + len(BEGIN)] + "\n" + table + document[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chat_server.settings_table", description=__doc__.splitlines()[0]
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", metavar="DOC", help="regenerate the table inside DOC")
    action.add_argument("--check", metavar="DOC", help="exit 1 if DOC's table is not current")
    args = parser.parse_args(argv)
    if args.write is None and args.check is None:
        sys.stdout.write(markdown_table())
        return 0
    path = Path(args.write or args.check)
    document = path.read_text()
    try:
        current = with_table(document)
    except ValueError as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 2
    if args.write is not None:
        if current != document:
            path.write_text(current)
        return 0
    if current != document:
        print(
            f"{path}: the settings table differs from chat_server/settings.py; run "
            f"python -m chat_server.settings_table --write {path}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
