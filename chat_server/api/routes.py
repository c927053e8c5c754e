"""``/api/v1``: JSON over HTTP for a dealership's own systems, authorised by an API token."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from chat_server.accounts.api_tokens import dealership_for
from chat_server.api.openapi import MAX_ID, openapi_document
from chat_server.leads.followup import FollowUpError, set_status
from chat_server.leads.listing import (
    conversation_detail,
    lead_detail,
    list_conversations,
    list_leads,
    scoped_lead,
)
from chat_server.leads.rules import STATUSES
from chat_server.runtime import Runtime

CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SERVICES = ("store", "pool", "unanswered")
OUTCOMES = ("up", "pool", "missed", "abandoned")
Handler = Callable[[Request, int], Awaitable[Response]]


class BadRequest(ValueError):
    pass


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _authorised(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        async with _runtime(request).db.sessions() as session:
            dealership_id = await dealership_for(session, request.headers.get("authorization"))
        if dealership_id is None:
            return JSONResponse(
                {"error": "unauthorized", "message": "send Authorization: Bearer <API token>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            return await handler(request, dealership_id)
        except BadRequest as error:
            return _error(400, "bad_request", str(error))

    return endpoint


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}")
    return value


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}")
    return raw


def _since(request: Request) -> datetime | None:
    raw = request.query_params.get("since")
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest("since must be an ISO 8601 date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _lead_id(request: Request) -> int | None:
    raw = request.path_params["lead_id"]
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        return None
    return int(raw)


async def leads(request: Request, dealership_id: int) -> Response:
    status = _choice(request, "status", STATUSES)
    service = _choice(request, "service", SERVICES)
    since = _since(request)
    limit = _int(request, "limit", 50, 1, 200)
    offset = _int(request, "offset", 0, 0, 100000)
    async with _runtime(request).db.sessions() as session:
        rows = await list_leads(
            session,
            [dealership_id],
            status=status,
            service=service,
            since=since,
            limit=limit,
            offset=offset,
        )
    drop = ("dealership", "outcome", "received", "next_due_label", "overdue", "owner_id")
    return JSONResponse({"leads": [{k: v for k, v in r.items() if k not in drop} for r in rows]})


async def lead(request: Request, dealership_id: int) -> Response:
    lead_id = _lead_id(request)
    rt = _runtime(request)
    if lead_id is None:
        return _error(404, "not_found", "no such lead")
    if request.method == "PATCH":
        try:
            payload = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("send a JSON object") from None
        if not isinstance(payload, dict):
            raise BadRequest("send a JSON object")
        status, reason = payload.get("status"), payload.get("reason", "")
        if not isinstance(status, str) or not isinstance(reason, str):
            raise BadRequest("status and reason must be strings")
        async with rt.db.sessions() as session, session.begin():
            row = await scoped_lead(session, lead_id, [dealership_id])
            if row is None:
                return _error(404, "not_found", "no such lead")
            try:
                await set_status(session, row, status, _printable(reason), rt.clock.now())
            except FollowUpError as error:
                raise BadRequest(str(error)) from None
    async with rt.db.sessions() as session:
        detail = await lead_detail(session, lead_id, [dealership_id], rt.clock.now())
    if detail is None:
        return _error(404, "not_found", "no such lead")
    return JSONResponse(detail)


def _printable(text: str) -> str:
    # PostgreSQL text cannot hold NUL; other control characters have no place in a reason.
    return "".join(ch if ch.isprintable() else " " for ch in text)


async def conversations(request: Request, dealership_id: int) -> Response:
    outcome = _choice(request, "outcome", OUTCOMES)
    limit = _int(request, "limit", 50, 1, 200)
    offset = _int(request, "offset", 0, 0, 100000)
    async with _runtime(request).db.sessions() as session:
        rows = await list_conversations(session, dealership_id, outcome, limit, offset)
    return JSONResponse({"conversations": rows})


async def conversation(request: Request, dealership_id: int) -> Response:
    conversation_id = request.path_params["conversation_id"]
    if not CONVERSATION_ID.match(conversation_id):
        return _error(404, "not_found", "no such conversation")
    async with _runtime(request).db.sessions() as session:
        detail = await conversation_detail(session, conversation_id, dealership_id)
    if detail is None:
        return _error(404, "not_found", "no such conversation")
    return JSONResponse(detail)


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


def api_routes() -> list[Mount]:
    return [
        Mount(
            "/api/v1",
            routes=[
                Route("/openapi.json", openapi),
                Route("/leads", _authorised(leads)),
                Route("/leads/{lead_id}", _authorised(lead), methods=["GET", "PATCH"]),
                Route("/conversations", _authorised(conversations)),
                Route("/conversations/{conversation_id}", _authorised(conversation)),
            ],
        )
    ]
