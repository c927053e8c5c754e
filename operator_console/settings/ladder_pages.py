"""Settings: the ladder of one dealership (strategy, timings, after hours) and what it does
with a chat at a few moments, in plain words.

GET shows the saved settings and the previews; POST saves the whole form through
``administration.ladder_settings.set_ladder`` and comes back (303), or shows the form again
with the message beside the wrong field (400) and nothing saved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chat_server.administration.ladder_settings import (
    AFTER_HOURS,
    BOUNDS,
    FIELDS,
    STRATEGIES,
    LadderSettings,
    ladder_previews,
    set_ladder,
    settings_of,
)
from chat_server.administration.scope import dealership_for
from operator_console.settings.index_pages import DEALERSHIP_SECTIONS, dealership_path
from operator_console.settings.page_kit import (
    SettingsRequest,
    settings_request,
)

SECTION = "ladder"


async def _context(ask: SettingsRequest, dealership_id: int) -> dict[str, Any]:
    rt = ask.rt

    async def read(session: AsyncSession) -> dict[str, Any]:
        row = await dealership_for(session, ask.actor, dealership_id)
        saved = settings_of(row)
        previews = await ladder_previews(
            session, ask.actor, dealership_id, rt.clock.now(), texts=rt.texts is not None
        )
        return {
            "dealership": {"id": row.id, "name": row.name, "time_zone": row.time_zone},
            "saved": saved,
            "previews": previews,
        }

    return await ask.read(read)


def _values(ask: SettingsRequest, saved: LadderSettings) -> dict[str, Any]:
    """What the form shows: what was just sent (after a refusal), else what is saved."""
    if ask.form is not None:
        return {name: ask.value(name) for name in FIELDS}
    return {name: _plain(getattr(saved, name)) for name in FIELDS}


def _plain(value: Any) -> Any:
    return f"{value:g}" if isinstance(value, float) else value


async def _show(ask: SettingsRequest, dealership_id: int) -> Response:
    context = await _context(ask, dealership_id)
    return ask.render(
        "settings/ladder.html",
        {
            **context,
            "values": _values(ask, context["saved"]),
            "bounds": BOUNDS,
            "strategies": STRATEGIES,
            "after_hours": AFTER_HOURS,
            "sections": DEALERSHIP_SECTIONS,
            "section": SECTION,
            "notice": ask.notice(),
        },
    )


async def ladder_page(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    return await _show(ask, request.path_params["dealership_id"])


async def save_ladder(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    dealership_id: int = request.path_params["dealership_id"]
    changes = {name: ask.value(name) for name in FIELDS}

    async def change(session: AsyncSession) -> LadderSettings:
        return await set_ladder(session, ask.actor, dealership_id, changes, at=ask.rt.clock.now())

    saved = await ask.change(change)
    if saved is None:
        return await _show(ask, dealership_id)
    return ask.back(dealership_path(dealership_id, SECTION), "Ladder settings saved.")


def routes() -> list[BaseRoute]:
    path = "/console/settings/dealerships/{dealership_id:int}/ladder"
    return [
        Route(path, ladder_page, methods=["GET"]),
        Route(path, save_ladder, methods=["POST"]),
    ]
