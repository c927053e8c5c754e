"""Settings: one receptionist pool's coverage, i.e. the dealerships whose chats it answers.

The platform admin adds and removes dealerships; the pool's own manager reads the list (and
runs the pool's receptionists on .../team); anyone else gets 404, as for a pool that is not
there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chat_server.administration.platform import Coverage, cover, coverage, uncover
from operator_console.settings.page_kit import (
    SettingsRequest,
    settings_request,
)
from operator_console.settings.platform_pages import form_id


def pool_path(pool_id: int) -> str:
    return f"/console/settings/pools/{pool_id}"


async def _page(ask: SettingsRequest, pool_id: int) -> Response:
    async def read(session: AsyncSession) -> Coverage:
        return await coverage(session, ask.actor, pool_id)

    found = await ask.read(read)
    return ask.render(
        "settings/pool.html",
        {
            "pool": {"id": found.pool_id, "name": found.pool_name},
            "coverage": found,
            "values": {"dealership": ask.value("dealership")},
            "notice": ask.notice(),
        },
    )


async def pool_page(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    return await _page(ask, request.path_params["pool_id"])


Change = Callable[[AsyncSession, SettingsRequest, int, int], Awaitable[str]]


def _form(change: Change) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        ask = await settings_request(request)
        if isinstance(ask, Response):
            return ask
        pool_id: int = request.path_params["pool_id"]

        async def run(session: AsyncSession) -> str:
            return await change(session, ask, pool_id, form_id(ask, "dealership"))

        notice = await ask.change(run)
        return await _page(ask, pool_id) if notice is None else ask.back(pool_path(pool_id), notice)

    return handle


async def _cover(session: AsyncSession, ask: SettingsRequest, pool_id: int, dealer: int) -> str:
    new = await cover(session, ask.actor, pool_id, dealer)
    return "Added to the coverage." if new else "The pool already covered it."


async def _uncover(session: AsyncSession, ask: SettingsRequest, pool_id: int, dealer: int) -> str:
    gone = await uncover(session, ask.actor, pool_id, dealer)
    return "Removed from the coverage." if gone else "The pool did not cover it."


def routes() -> list[BaseRoute]:
    base = "/console/settings/pools/{pool_id:int}"
    return [
        Route(base, pool_page),
        Route(f"{base}/cover", _form(_cover), methods=["POST"]),
        Route(f"{base}/uncover", _form(_uncover), methods=["POST"]),
    ]
