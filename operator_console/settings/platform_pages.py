"""Settings: the platform (the admin's): dealerships, groups and receptionist pools.

Anyone but the platform admin gets 404 here, as for a page that is not there. Each form posts
to a path of its own and comes back with 303 (post/redirect/get), or re-renders with 400 and
the message beside the field that is wrong.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.administration.platform import (
    create_dealership,
    create_group,
    create_pool,
    platform,
    rename_dealership,
    set_group,
    time_zones,
)
from operator_console.settings.page_kit import SettingsRequest, not_found, settings_request

PATH = "/console/settings/platform"
# Every field of the page's forms; each form's names are its own, so a message lands on the
# form that was sent.
FIELDS = (
    "name",
    "slug",
    "time_zone",
    "origin",
    "crm_email",
    "rename_dealership",
    "new_name",
    "group_name",
    "group_dealership",
    "group",
    "pool_name",
)


async def _admin_request(request: Request) -> SettingsRequest | Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    return ask if ask.actor.is_admin else not_found()


async def _page(ask: SettingsRequest) -> Response:
    async def read(session: AsyncSession) -> Any:
        return await platform(session, ask.actor)

    return ask.render(
        "settings/platform.html",
        {
            "platform": await ask.read(read),
            "time_zones": time_zones(),
            "values": {name: ask.value(name) for name in FIELDS},
            "notice": ask.notice(),
        },
    )


def form_id(ask: SettingsRequest, name: str) -> int:
    """A chosen id from a select; SettingsError when none was chosen, NotInScope when the
    value is no id at all (a tampered form: 404, as for an id that does not exist)."""
    raw = ask.value(name)
    if not raw:
        raise SettingsError("Choose one.", name)
    if not raw.isdigit():
        raise NotInScope(f"{name}={raw[:20]!r}")
    return int(raw)


Change = Callable[[SettingsRequest, AsyncSession], Awaitable[str]]


def _form(change: Change) -> Callable[[Request], Awaitable[Response]]:
    """A POST handler: ``change`` runs in one transaction and returns the notice to show."""

    async def handle(request: Request) -> Response:
        ask = await _admin_request(request)
        if isinstance(ask, Response):
            return ask

        async def run(session: AsyncSession) -> str:
            return await change(ask, session)

        notice = await ask.change(run)
        return await _page(ask) if notice is None else ask.back(PATH, notice)

    return handle


async def _create_dealership(ask: SettingsRequest, session: AsyncSession) -> str:
    made = await create_dealership(
        session,
        ask.actor,
        name=ask.value("name"),
        slug=ask.value("slug"),
        time_zone=ask.value("time_zone"),
        origins=[ask.value("origin")],
        crm_email=ask.value("crm_email"),
    )
    return (
        f"Created {made.name} (site key {made.site_key}). Next: add its manager on its Team "
        "page, then its hours."
    )


async def _rename(ask: SettingsRequest, session: AsyncSession) -> str:
    dealership_id = form_id(ask, "rename_dealership")
    renamed = await rename_dealership(
        session, ask.actor, dealership_id, ask.value("new_name"), field="new_name"
    )
    return f"The dealership is now called {renamed.name}."


async def _create_group(ask: SettingsRequest, session: AsyncSession) -> str:
    made = await create_group(session, ask.actor, ask.value("group_name"))
    return f"Created the group {made.name}."


async def _set_group(ask: SettingsRequest, session: AsyncSession) -> str:
    dealership_id = form_id(ask, "group_dealership")
    group_id = None if ask.value("group") == "" else form_id(ask, "group")
    changed = await set_group(session, ask.actor, dealership_id, group_id)
    if changed.group_id is None:
        return f"{changed.name} is in no group now."
    return f"{changed.name} is in the group {changed.group_name} now."


async def _create_pool(ask: SettingsRequest, session: AsyncSession) -> str:
    made = await create_pool(session, ask.actor, ask.value("pool_name"))
    return f"Created the pool {made.name}. Choose the dealerships it covers on its page."


async def platform_page(request: Request) -> Response:
    ask = await _admin_request(request)
    if isinstance(ask, Response):
        return ask
    return await _page(ask)


def routes() -> list[BaseRoute]:
    return [
        Route(PATH, platform_page),
        Route(f"{PATH}/dealerships", _form(_create_dealership), methods=["POST"]),
        Route(f"{PATH}/rename", _form(_rename), methods=["POST"]),
        Route(f"{PATH}/groups", _form(_create_group), methods=["POST"]),
        Route(f"{PATH}/groups/assign", _form(_set_group), methods=["POST"]),
        Route(f"{PATH}/pools", _form(_create_pool), methods=["POST"]),
    ]
