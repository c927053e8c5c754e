"""Settings: a dealership's canned replies, in the order the console lists them.

GET lists them, each with what the shopper would read (the placeholders filled with this
dealership, the signed-in person and a sample vehicle), its edit, delete and move forms, and
a form to add one. Every form is a plain POST that comes back (303), or shows the page again
with the message beside the wrong field (400) and nothing saved. No script needed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chat_server.administration.canned_replies import (
    BODY_MAX,
    PLACEHOLDERS,
    TITLE_MAX,
    add_reply,
    edit_reply,
    list_replies,
    move_reply,
    remove_reply,
)
from chat_server.administration.scope import dealership_for
from chat_server.chats.canned import fill
from operator_console.settings.index_pages import DEALERSHIP_SECTIONS, dealership_path
from operator_console.settings.page_kit import (
    SettingsRequest,
    settings_request,
)

SECTION = "canned"
# What {vehicle} becomes in the preview: a shopper on a vehicle page.
SAMPLE_VEHICLE = {"year": 2024, "make": "Toyota", "model": "RAV4", "trim": "XLE"}


async def _context(ask: SettingsRequest, dealership_id: int) -> dict[str, Any]:
    async def read(session: AsyncSession) -> dict[str, Any]:
        row = await dealership_for(session, ask.actor, dealership_id)
        replies = await list_replies(session, ask.actor, dealership_id)
        for reply in replies:
            reply["preview"] = fill(
                reply["body"], dealership=row.name, agent=ask.operator.name, vehicle=SAMPLE_VEHICLE
            )
        return {"dealership": {"id": row.id, "name": row.name}, "replies": replies}

    return await ask.read(read)


async def _show(
    ask: SettingsRequest, dealership_id: int, *, editing: int | None = None
) -> Response:
    """The page; after a refused form, that form shows what was typed and why it was refused
    (an edit's messages beside that reply's fields, not the add form's)."""
    context = await _context(ask, dealership_id)
    typed = {"title": ask.value("title"), "body": ask.value("body")}
    edit_errors: dict[str, str] = {}
    if editing is not None:
        edit_errors = {k: v for k, v in ask.errors.items() if k}
        for field in edit_errors:
            del ask.errors[field]
    return ask.render(
        "settings/canned.html",
        {
            **context,
            "draft": typed if ask.form is not None and editing is None else {},
            "editing": editing,
            "edit_draft": typed if editing is not None else {},
            "edit_errors": edit_errors,
            "placeholders": PLACEHOLDERS,
            "title_max": TITLE_MAX,
            "body_max": BODY_MAX,
            "sections": DEALERSHIP_SECTIONS,
            "section": SECTION,
            "notice": ask.notice(),
        },
        status=400 if edit_errors or ask.errors else None,
    )


async def canned_page(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    return await _show(ask, request.path_params["dealership_id"])


async def _post(
    request: Request,
    action: Callable[[SettingsRequest, AsyncSession, int], Awaitable[str]],
    *,
    editing: bool = False,
    keep_place: bool = True,
) -> Response:
    """Run one change; 303 back with its notice, the page again when refused, 404 when the
    dealership or the reply is not the actor's."""
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    dealership_id: int = request.path_params["dealership_id"]
    reply_id: int | None = request.path_params.get("reply_id")

    async def change(session: AsyncSession) -> str:
        return await action(ask, session, dealership_id)

    notice = await ask.change(change)
    if notice is None:
        return await _show(ask, dealership_id, editing=reply_id if editing else None)
    # Back where the reply is (a phone would otherwise land at the top of a long list).
    anchor = f"#reply-{reply_id}" if reply_id is not None and keep_place else ""
    return ask.back(dealership_path(dealership_id, SECTION) + anchor, notice)


async def add(request: Request) -> Response:
    async def action(ask: SettingsRequest, session: AsyncSession, dealership_id: int) -> str:
        added = await add_reply(
            session,
            ask.actor,
            dealership_id,
            title=ask.value("title"),
            body=ask.value("body"),
            at=ask.rt.clock.now(),
        )
        return f"Added “{added['title']}”."

    return await _post(request, action)


async def edit(request: Request) -> Response:
    reply_id: int = request.path_params["reply_id"]

    async def action(ask: SettingsRequest, session: AsyncSession, dealership_id: int) -> str:
        saved = await edit_reply(
            session,
            ask.actor,
            dealership_id,
            reply_id,
            title=ask.value("title"),
            body=ask.value("body"),
            at=ask.rt.clock.now(),
        )
        return f"Saved “{saved['title']}”."

    return await _post(request, action, editing=True)


async def delete(request: Request) -> Response:
    reply_id: int = request.path_params["reply_id"]

    async def action(ask: SettingsRequest, session: AsyncSession, dealership_id: int) -> str:
        gone = await remove_reply(
            session, ask.actor, dealership_id, reply_id, at=ask.rt.clock.now()
        )
        return f"Reply “{gone['title']}” deleted."

    return await _post(request, action, keep_place=False)


async def move(request: Request) -> Response:
    reply_id: int = request.path_params["reply_id"]

    async def action(ask: SettingsRequest, session: AsyncSession, dealership_id: int) -> str:
        direction = ask.value("direction")
        order = await move_reply(
            session, ask.actor, dealership_id, reply_id, direction, at=ask.rt.clock.now()
        )
        place, title = next((n, r["title"]) for n, r in enumerate(order, 1) if r["id"] == reply_id)
        return f"“{title}” is now number {place} of {len(order)}."

    return await _post(request, action)


def routes() -> list[BaseRoute]:
    path = "/console/settings/dealerships/{dealership_id:int}/canned"
    return [
        Route(path, canned_page, methods=["GET"]),
        Route(path, add, methods=["POST"]),
        Route(path + "/{reply_id:int}", edit, methods=["POST"]),
        Route(path + "/{reply_id:int}/delete", delete, methods=["POST"]),
        Route(path + "/{reply_id:int}/move", move, methods=["POST"]),
    ]
