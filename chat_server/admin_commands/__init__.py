"""``dealer-chat admin`` subcommands, one module per settings page (issue 14). Each module has
``add_commands(sub)`` and ``action(args)``; cli.py asks them in this order."""

from __future__ import annotations

from chat_server.admin_commands import canned, crm, history, hours, ladder_widget, platform, team

MODULES = (team, hours, ladder_widget, canned, crm, platform, history)
