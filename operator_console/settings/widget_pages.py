"""Settings: one dealership's widget. Its look (colour, greeting, language, side, logo), the
websites it may run on (allowed origins), the snippet to paste into the dealer's site, and a
live preview that follows the form as the manager types (settings-widget.js).

Each form posts to its own path and comes back with 303, or shows the page again with the
message beside the wrong field (400) and nothing saved.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chat_server.administration.scope import dealership_for
from chat_server.administration.widget_settings import (
    FIELDS,
    GREETING_MAX,
    LANGUAGE_NAMES,
    SIDE_NAMES,
    add_origin,
    embed_snippet,
    remove_origin,
    set_look,
    settings_of,
)
from chat_server.widget_theme import LANGUAGES, MIN_CONTRAST_ON_WHITE, POSITIONS
from operator_console.settings.index_pages import DEALERSHIP_SECTIONS, dealership_path
from operator_console.settings.page_kit import (
    SettingsRequest,
    settings_request,
)

SECTION = "widget"


def server_url(ask: SettingsRequest) -> str:
    """Where dealer pages load the widget from: the configured public URL, else the address
    this page was reached at (right for a loopback demo, and for most single-host setups)."""
    return ask.rt.settings.public_url or str(ask.request.base_url).rstrip("/")


async def _show(ask: SettingsRequest, dealership_id: int, form: str = "") -> Response:
    async def read(session: AsyncSession) -> dict[str, Any]:
        row = await dealership_for(session, ask.actor, dealership_id)
        return {
            "dealership": {"id": row.id, "name": row.name},
            "saved": settings_of(row),
            "snippet": embed_snippet(server_url(ask), row.site_key),
        }

    context = await ask.read(read)
    saved = context["saved"]
    look = {name: getattr(saved, name) for name in FIELDS}
    if form == "look":  # a refused look: show what was sent, so nothing typed is lost
        look = {name: ask.value(name) for name in FIELDS}
    return ask.render(
        "settings/widget.html",
        {
            **context,
            "look": look,
            "new_origin": ask.value("origin") if form == "add-origin" else "",
            "languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES],
            "sides": [(side, SIDE_NAMES.get(side, side)) for side in POSITIONS],
            "greeting_max": GREETING_MAX,
            "min_contrast": MIN_CONTRAST_ON_WHITE,
            "sections": DEALERSHIP_SECTIONS,
            "section": SECTION,
            "notice": ask.notice(),
        },
    )


async def widget_page(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    return await _show(ask, request.path_params["dealership_id"])


Change = Callable[[AsyncSession, SettingsRequest, int], Awaitable[str]]


def _form(name: str, change: Change) -> Callable[[Request], Awaitable[Response]]:
    """A POST handler: run ``change`` (which returns the notice) in one transaction."""

    async def handle(request: Request) -> Response:
        ask = await settings_request(request)
        if isinstance(ask, Response):
            return ask
        dealership_id: int = request.path_params["dealership_id"]

        async def run(session: AsyncSession) -> str:
            return await change(session, ask, dealership_id)

        notice = await ask.change(run)
        if notice is None:
            return await _show(ask, dealership_id, name)
        return ask.back(dealership_path(dealership_id, SECTION), notice)

    return handle


async def _save_look(session: AsyncSession, ask: SettingsRequest, dealership_id: int) -> str:
    changes = {name: ask.value(name) for name in FIELDS}
    await set_look(session, ask.actor, dealership_id, changes, at=ask.rt.clock.now())
    return "Widget saved. Open websites pick it up within a minute."


async def _add_origin(session: AsyncSession, ask: SettingsRequest, dealership_id: int) -> str:
    origin = await add_origin(
        session, ask.actor, dealership_id, ask.value("origin"), at=ask.rt.clock.now()
    )
    return f"The widget may now run on {origin}."


async def _remove_origin(session: AsyncSession, ask: SettingsRequest, dealership_id: int) -> str:
    origin = await remove_origin(
        session, ask.actor, dealership_id, ask.value("origin"), at=ask.rt.clock.now()
    )
    return f"The widget no longer runs on {origin}."


def routes() -> list[BaseRoute]:
    base = "/console/settings/dealerships/{dealership_id:int}/widget"
    return [
        Route(base, widget_page, methods=["GET"]),
        Route(base, _form("look", _save_look), methods=["POST"]),
        Route(f"{base}/origins", _form("add-origin", _add_origin), methods=["POST"]),
        Route(f"{base}/origins/remove", _form("remove-origin", _remove_origin), methods=["POST"]),
    ]
