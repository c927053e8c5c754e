"""The console's settings pages (issue 14): one module per page, all calling
``chat_server.administration``; :func:`settings_routes` lists every one of their routes."""

from __future__ import annotations

from starlette.routing import BaseRoute

from operator_console.settings import (
    audit_pages,
    canned_pages,
    card_pages,
    crm_pages,
    hours_pages,
    index_pages,
    ladder_pages,
    platform_pages,
    pools_pages,
    team_pages,
    widget_pages,
)

PAGES = (
    index_pages,
    team_pages,
    hours_pages,
    ladder_pages,
    widget_pages,
    canned_pages,
    crm_pages,
    card_pages,
    pools_pages,
    platform_pages,
    audit_pages,
)


def settings_routes() -> list[BaseRoute]:
    return [route for page in PAGES for route in page.routes()]
