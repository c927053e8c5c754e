"""Settings: the receptionist's card of one dealership (address, phone, departments, notes).

The dealership's managers edit it (POST saves and comes back with 303, or shows the form
again with the message beside the wrong field, 400). The manager of a pool that covers the
store reads it, without the form. Receptionists read the same card beside every chat in
the console (chat_server/chats/context.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chat_server.administration.card import (
    ADDRESS_MAX,
    NOTES_MAX,
    read_card,
    set_card,
)
from operator_console.settings.index_pages import DEALERSHIP_SECTIONS, dealership_path
from operator_console.settings.page_kit import (
    SettingsRequest,
    settings_request,
)

SECTION = "card"


async def _show(ask: SettingsRequest, dealership_id: int) -> Response:
    async def read(session: AsyncSession) -> dict[str, Any]:
        return await read_card(session, ask.actor, dealership_id)

    card = await ask.read(read)
    typed = ask.form is not None
    values = {
        "address": ask.value("address") if typed else card["address"],
        "phone": ask.value("phone") if typed else card["phone_display"],
        "notes": ask.value("notes") if typed else card["notes"],
    }
    context = {
        "card": card,
        "dealership": card["dealership"],
        "values": values,
        "address_max": ADDRESS_MAX,
        "notes_max": NOTES_MAX,
        "section": SECTION,
        "notice": ask.notice(),
    }
    if card["editable"]:
        # The store's other pages in the menu; a pool manager reads this one card only.
        context["sections"] = DEALERSHIP_SECTIONS
    return ask.render("settings/card.html", context)


async def card_page(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    return await _show(ask, request.path_params["dealership_id"])


async def save_card(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    dealership_id: int = request.path_params["dealership_id"]

    async def change(session: AsyncSession) -> dict[str, Any]:
        return await set_card(
            session,
            ask.actor,
            dealership_id,
            address=ask.value("address"),
            phone=ask.value("phone"),
            notes=ask.value("notes"),
            at=ask.rt.clock.now(),
        )

    saved = await ask.change(change)
    if saved is None:
        return await _show(ask, dealership_id)
    return ask.back(dealership_path(dealership_id, SECTION), "The receptionist's card is saved.")


def routes() -> list[BaseRoute]:
    path = "/console/settings/dealerships/{dealership_id:int}/card"
    return [
        Route(path, card_page, methods=["GET"]),
        Route(path, save_card, methods=["POST"]),
    ]
