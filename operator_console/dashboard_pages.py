"""The manager's dashboard: numbers for today, 7 or 30 days, the live waiting list, CSV export.

Only managers (their dealership or group) and admins; a salesperson or receptionist gets 403,
and a dealership outside the manager's scope is 404, exactly like one that does not exist.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server.accounts.access import dealerships_in_scope, may_see_dashboard
from chat_server.accounts.operators import OperatorView
from chat_server.accounts.sessions import current_operator
from chat_server.leads.labels import STATUS_WORDS
from chat_server.protocol.outgoing import iso
from chat_server.reports.export import chats_csv, shopper_names
from chat_server.reports.periods import PERIOD_DAYS, PERIOD_LABELS, Period, period_bounds
from chat_server.reports.queries import chat_facts, load_dashboard, team_reach, waiting_chats
from chat_server.store.models import Dealership, Operator
from operator_console.common import runtime, templates, to_sign_in
from operator_console.csrf import csrf_token


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


async def _scope(request: Request) -> tuple[OperatorView, Dealership, list[Dealership], Period]:
    """The manager, the chosen dealership, every dealership they may pick, and the period."""
    rt = runtime(request)
    operator = await current_operator(rt, request.session)
    if operator is None:
        raise _Refused(to_sign_in())
    if not may_see_dashboard(operator):
        raise _Refused(Response("The dashboard is for managers.", status_code=403))
    async with rt.db.sessions() as session:
        ids = await dealerships_in_scope(session, operator)
        choices = [d for i in ids if (d := await session.get(Dealership, i)) is not None]
    wanted = request.query_params.get("dealership")
    if wanted is None:
        chosen = next((d for d in choices if d.id == operator.dealership_id), None)
        chosen = chosen or (choices[0] if choices else None)
    else:
        chosen = next((d for d in choices if str(d.id) == wanted), None)
    if chosen is None:
        raise _Refused(Response("No such dealership.", status_code=404))
    key = request.query_params.get("period", "today")
    if key not in PERIOD_DAYS:
        raise _Refused(Response("period must be today, 7d or 30d", status_code=400))
    return operator, chosen, choices, period_bounds(key, rt.clock.now(), chosen.time_zone)


async def dashboard_page(request: Request) -> Response:
    try:
        operator, dealership, choices, period = await _scope(request)
    except _Refused as refused:
        return refused.response
    rt = runtime(request)
    async with rt.db.sessions() as session:
        board = await load_dashboard(session, dealership.id, period)
        waiting = await waiting_chats(session, dealership.id, rt.clock.now())
        team = await team_reach(session, dealership.id, rt.clock.now(), rt.texts is not None)
    biggest = max((n for _label, n in board.histogram), default=0)
    return templates(request).TemplateResponse(
        request,
        "dashboard.html",
        {
            "operator": operator,
            "csrf_token": csrf_token(request.session),
            "dealership": dealership,
            "choices": choices,
            "period": period,
            "periods": PERIOD_LABELS,
            "board": board,
            "biggest": biggest,
            "waiting": waiting,
            "team": team,
            "dealership_zone": ZoneInfo(dealership.time_zone),
            "status_words": STATUS_WORDS,
        },
    )


async def dashboard_csv(request: Request) -> Response:
    try:
        _operator, dealership, _choices, period = await _scope(request)
    except _Refused as refused:
        return refused.response
    async with runtime(request).db.sessions() as session:
        chats = await chat_facts(session, dealership.id, period)
        owners = {c.owner_id for c in chats if c.owner_id is not None}
        names: dict[int, str] = {}
        for owner in owners:
            row = await session.get(Operator, owner)
            names[owner] = row.name if row else ""
        shoppers = await shopper_names(session, [c.id for c in chats])
    filename = f"{dealership.slug}-chats-{period.key}.csv"
    return Response(
        chats_csv(chats, names, dealership.time_zone, shoppers),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def waiting_api(request: Request) -> Response:
    """The live waiting list as JSON, polled by the dashboard page."""
    try:
        _operator, dealership, _choices, _period = await _scope(request)
    except _Refused as refused:
        return refused.response
    rt = runtime(request)
    async with rt.db.sessions() as session:
        waiting = await waiting_chats(session, dealership.id, rt.clock.now())
    return JSONResponse(
        [
            {
                "id": w.id,
                "state": w.state,
                "first_message_at": iso(w.first_message_at),
                "waited_s": round(w.waited_s),
                "visitor_name": w.visitor_name,
            }
            for w in waiting
        ]
    )


__all__ = ["dashboard_csv", "dashboard_page", "waiting_api"]
