"""``dealer-chat admin`` commands for the crm settings (issue 14), calling
``chat_server.administration`` as the console's pages do."""

from __future__ import annotations

import argparse
from typing import Any

from chat_server.admin_commands.kit import Action


def add_commands(sub: Any) -> None:
    """Add this module's subcommands to ``dealer-chat admin``."""


def action(args: argparse.Namespace) -> Action | None:
    """The action for ``args.admin_command`` if it is one of this module's, else None."""
    return None
