"""The console's lead pages: the list, one lead's detail, and its small forms.

Server-rendered with plain forms (CSRF-checked), tenant-scoped: a lead outside the operator's
dealerships answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chat_server.accounts.access import dealerships_in_scope
from chat_server.accounts.operators import OperatorView
from chat_server.accounts.sessions import current_operator
from chat_server.leads.followup import CHANNELS, FollowUpError, log_attempt, set_owner, set_status
from chat_server.leads.labels import CHANNEL_WORDS, STATUS_WORDS
from chat_server.leads.listing import lead_detail, list_leads, scoped_lead
from chat_server.leads.outbox import resend_lead
from chat_server.leads.rules import STATUSES
from chat_server.runtime import Runtime
from chat_server.store.models import Operator
from operator_console.csrf import csrf_ok, csrf_token


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _to_sign_in() -> RedirectResponse:
    return RedirectResponse("/console/sign-in", status_code=303)


async def leads_page(request: Request) -> Response:
    rt = _runtime(request)
    operator = await current_operator(rt, request.session)
    if operator is None:
        return _to_sign_in()
    status = request.query_params.get("status")
    status = status if status in STATUSES else None
    async with rt.db.sessions() as session:
        leads = await list_leads(
            session,
            await dealerships_in_scope(session, operator),
            status=status,
            now=rt.clock.now(),
            words=True,
        )
    return request.app.state.templates.TemplateResponse(
        request,
        "leads.html",
        {
            "operator": operator,
            "leads": leads,
            "statuses": STATUSES,
            "status_words": STATUS_WORDS,
            "status_filter": status or "",
            "csrf_token": csrf_token(request.session),
        },
    )


async def _owners(rt: Runtime, dealership_id: int) -> list[dict[str, Any]]:
    async with rt.db.sessions() as session:
        rows = await session.execute(
            select(Operator.id, Operator.name, Operator.role)
            .where(
                Operator.dealership_id == dealership_id,
                Operator.role.in_(("salesperson", "manager")),
            )
            .order_by(Operator.name)
        )
        return [{"id": i, "name": n, "role": r} for i, n, r in rows.all()]


async def _render_detail(
    request: Request, operator: OperatorView, lead_id: int, error: str = "", status: int = 200
) -> Response:
    rt = _runtime(request)
    async with rt.db.sessions() as session:
        scope = await dealerships_in_scope(session, operator)
        lead = await lead_detail(session, lead_id, scope, rt.clock.now(), words=True)
    if lead is None:
        return Response("No such lead.", status_code=404)
    return request.app.state.templates.TemplateResponse(
        request,
        "lead_detail.html",
        {
            "operator": operator,
            "lead": lead,
            "owners": await _owners(rt, lead["dealership_id"]),
            "statuses": STATUSES,
            "status_words": STATUS_WORDS,
            "channels": CHANNELS,
            "channel_words": CHANNEL_WORDS,
            # Managers (and the platform admin) run the CRM settings a logged-only send needs.
            "may_fix_crm": operator.role in ("manager", "admin"),
            "error": error,
            "notice": request.query_params.get("done", "")[:100],
            "csrf_token": csrf_token(request.session),
        },
        status_code=status,
    )


async def lead_page(request: Request) -> Response:
    operator = await current_operator(_runtime(request), request.session)
    if operator is None:
        return _to_sign_in()
    return await _render_detail(request, operator, request.path_params["lead_id"])


async def lead_action(request: Request) -> Response:
    """POST /console/leads/{id}/{status|attempt|owner|resend}."""
    rt = _runtime(request)
    operator = await current_operator(rt, request.session)
    if operator is None:
        return _to_sign_in()
    form = await request.form()
    if not csrf_ok(request.session, form.get("csrf_token")):
        return Response("Invalid or missing CSRF token.", status_code=403)
    lead_id: int = request.path_params["lead_id"]
    action: str = request.path_params["action"]
    now = rt.clock.now()
    try:
        async with rt.db.sessions() as session, session.begin():
            lead = await scoped_lead(
                session, lead_id, await dealerships_in_scope(session, operator)
            )
            if lead is None:
                return Response("No such lead.", status_code=404)
            match action:
                case "status":
                    await set_status(
                        session,
                        lead,
                        str(form.get("status", "")),
                        str(form.get("reason", ""))[:300],
                        now,
                    )
                    done = "Status saved."
                case "attempt":
                    await log_attempt(
                        session,
                        lead,
                        operator.id,
                        str(form.get("channel", "")),
                        str(form.get("note", ""))[:1000],
                        now,
                    )
                    done = "Attempt logged."
                case "owner":
                    raw = str(form.get("owner_id", ""))
                    await set_owner(session, lead, int(raw) if raw.isdigit() else None, now)
                    done = "Owner saved."
                case "resend":
                    queued = await resend_lead(session, lead, now)
                    done = f"Resend queued to {queued} target(s)."
                case _:
                    return Response("Unknown action.", status_code=404)
    except FollowUpError as problem:
        return await _render_detail(request, operator, lead_id, str(problem), 400)
    return RedirectResponse(f"/console/leads/{lead_id}?done={quote(done)}", status_code=303)


def lead_routes() -> list[Route]:
    return [
        Route("/console/leads", leads_page),
        Route("/console/leads/{lead_id:int}", lead_page),
        Route("/console/leads/{lead_id:int}/{action:str}", lead_action, methods=["POST"]),
    ]
