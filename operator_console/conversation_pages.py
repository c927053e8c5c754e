"""The Conversations pages: every conversation a person may see, filtered and searched, one
conversation's transcript and ring timeline, and the list as CSV (managers and admins).

Scope is the one rule of accounts/access.py (as for leads and the dashboard); a conversation
or a dealership outside it answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chat_server.accounts.access import may_see_dashboard
from chat_server.accounts.sessions import current_operator
from chat_server.history.export import HEADER, csv_rows
from chat_server.history.filters import Filters, read_filters
from chat_server.history.labels import DEPARTMENTS, OUTCOME_CHOICES
from chat_server.history.listing import answerers, export_rows, list_conversations, places_for
from chat_server.history.record import conversation_record
from chat_server.reports.export import csv_text
from operator_console.common import runtime, templates, to_sign_in
from operator_console.csrf import csrf_token

MAX_PAGE = 10_000


def _link(filters: Filters, path: str = "/console/conversations", **changes: object) -> str:
    query = urlencode(filters.query_string(**changes))
    return f"{path}?{query}" if query else path


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and 0 < len(raw) < 6 else 1


async def conversations_page(request: Request) -> Response:
    rt = runtime(request)
    operator = await current_operator(rt, request.session)
    if operator is None:
        return to_sign_in()
    filters = read_filters(request.query_params)
    async with rt.db.sessions() as session:
        places = await places_for(session, operator)
        if filters.dealership is not None and filters.dealership not in {p.id for p in places}:
            return Response("No such dealership.", status_code=404)
        shown = [p for p in places if filters.dealership in (None, p.id)]
        listing = await list_conversations(session, places, filters, page=_page_number(request))
        people = await answerers(session, shown)
    return templates(request).TemplateResponse(
        request,
        "conversations.html",
        {
            "operator": operator,
            "csrf_token": csrf_token(request.session),
            "places": places,
            "filters": filters,
            "listing": listing,
            "outcomes": OUTCOME_CHOICES,
            "departments": DEPARTMENTS,
            "people": people,
            "csv_link": _link(filters, "/console/conversations.csv")
            if may_see_dashboard(operator)
            else "",
            "previous_link": _link(filters, page=listing.page - 1) if listing.page > 1 else "",
            "next_link": _link(filters, page=listing.page + 1)
            if listing.page < listing.pages
            else "",
            "clear_link": "/console/conversations",
        },
    )


async def conversation_page(request: Request) -> Response:
    rt = runtime(request)
    operator = await current_operator(rt, request.session)
    if operator is None:
        return to_sign_in()
    async with rt.db.sessions() as session:
        places = await places_for(session, operator)
        record = await conversation_record(
            session, places, str(request.path_params["conversation_id"])[:64]
        )
    if record is None:
        return Response("No such conversation.", status_code=404)
    return templates(request).TemplateResponse(
        request,
        "conversation_detail.html",
        {
            "operator": operator,
            "csrf_token": csrf_token(request.session),
            "record": record,
            "shopper_link": f"/console/conversations?shopper={record.visitor_id}",
        },
    )


async def conversations_csv(request: Request) -> Response:
    """The filtered list with the shoppers' contact fields: managers and admins only."""
    rt = runtime(request)
    operator = await current_operator(rt, request.session)
    if operator is None:
        return to_sign_in()
    if not may_see_dashboard(operator):
        return Response("The conversations export is for managers.", status_code=403)
    filters = read_filters(request.query_params)
    async with rt.db.sessions() as session:
        places = await places_for(session, operator)
        if filters.dealership is not None and filters.dealership not in {p.id for p in places}:
            return Response("No such dealership.", status_code=404)
        rows = await export_rows(session, places, filters)
    day = rt.clock.now().date().isoformat()
    return Response(
        csv_text(HEADER, csv_rows(rows)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="conversations-{day}.csv"'},
    )


def conversation_routes() -> list[Route]:
    return [
        Route("/console/conversations", conversations_page),
        Route("/console/conversations.csv", conversations_csv),
        Route("/console/conversations/{conversation_id}", conversation_page),
    ]
