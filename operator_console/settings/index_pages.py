"""Settings: the index, which lists what the signed-in manager or admin may change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chat_server.administration.scope import managed_dealerships, managed_pool_ids
from chat_server.store.models import Pool
from operator_console.settings.page_kit import SettingsRequest, settings_request

# The pages of one dealership, in the order the settings menu lists them: (slug, title).
DEALERSHIP_SECTIONS = (
    ("team", "Team"),
    ("hours", "Hours"),
    ("ladder", "Ladder"),
    ("widget", "Widget"),
    ("canned", "Canned replies"),
    ("crm", "CRM and API"),
    ("card", "Receptionist's card"),
)


def dealership_path(dealership_id: int, section: str) -> str:
    return f"/console/settings/dealerships/{dealership_id}/{section}"


async def _overview(ask: SettingsRequest) -> dict[str, Any]:
    async def read(session: AsyncSession) -> dict[str, Any]:
        dealerships = await managed_dealerships(session, ask.actor)
        pools = [await session.get_one(Pool, i) for i in await managed_pool_ids(session, ask.actor)]
        return {
            "dealerships": [{"id": d.id, "name": d.name, "slug": d.slug} for d in dealerships],
            "pools": [{"id": p.id, "name": p.name} for p in pools],
        }

    return await ask.read(read)


async def settings_index(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    context = await _overview(ask)
    return ask.render(
        "settings/index.html",
        {**context, "sections": DEALERSHIP_SECTIONS, "notice": ask.notice()},
    )


def routes() -> list[BaseRoute]:
    return [Route("/console/settings", settings_index)]
