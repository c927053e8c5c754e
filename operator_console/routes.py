"""The console's pages: sign in, sign out, the live console (lead pages: lead_pages.py)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from chat_server.accounts.sessions import current_operator, end_sessions, sign_in, sign_out
from chat_server.accounts.sign_in import AccountLocked, authenticate
from chat_server.runtime import Runtime
from chat_server.store.models import Dealership, Pool
from operator_console.account_link_pages import set_password_page, setup_page
from operator_console.account_pages import password_page
from operator_console.api import conversation_api
from operator_console.app_shell import app_shell_routes
from operator_console.conversation_pages import conversation_routes
from operator_console.csrf import csrf_ok, csrf_token
from operator_console.dashboard_pages import dashboard_csv, dashboard_page, waiting_api
from operator_console.device_api import push_devices, remove_push_device, unsubscribe_push
from operator_console.lead_pages import lead_routes
from operator_console.phone_api import mobile_phone, remove_mobile_phone, verify_mobile_phone
from operator_console.ring_link_pages import AFTER_SIGN_IN, accept_ring_link, decline_ring_link
from operator_console.settings import settings_routes

HERE = Path(__file__).parent


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


def _to_sign_in() -> RedirectResponse:
    return RedirectResponse("/console/sign-in", status_code=303)


async def sign_in_page(request: Request) -> Response:
    if request.method == "GET":
        return _templates(request).TemplateResponse(
            request,
            "sign_in.html",
            {"error": None, "email": "", "csrf_token": csrf_token(request.session)},
        )
    form = await request.form()
    email = str(form.get("email", ""))[:320]
    password = str(form.get("password", ""))[:1000]
    error = None
    status = 400
    rt = _runtime(request)
    # The client's address as a trusted proxy reports it (as for the visitor socket), counted
    # on the shared limiter: a per-process count gave an address N tries per node.
    address = rt.guard.address(request.client.host if request.client else None, request.headers)
    if not csrf_ok(request.session, form.get("csrf_token")):
        error = "Your sign-in form expired. Please try again."
    elif (refused := await rt.guard.sign_in(address)) is not None:
        minutes = max(1, round(refused.retry_after_s / 60))
        status = 429
        error = (
            f"Too many sign-in attempts from here. Try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}."
        )
    else:
        try:
            operator = await authenticate(rt, email, password)
        except AccountLocked:
            operator = None
            error = (
                "This account is locked for a few minutes after too many wrong passwords. "
                "Try again later."
            )
        if operator is not None:
            # A ring link followed while signed out comes back to it (console paths only).
            back = request.session.pop(AFTER_SIGN_IN, None)
            sign_in(request.session, operator)
            to = back if isinstance(back, str) and back.startswith("/console/ring/") else "/console"
            return RedirectResponse(to, status_code=303)
        error = error or "Wrong e-mail or password."
    return _templates(request).TemplateResponse(
        request,
        "sign_in.html",
        {"error": error, "email": email, "csrf_token": csrf_token(request.session)},
        status_code=status,
    )


async def sign_out_page(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request.session, form.get("csrf_token")):
        return Response("Invalid or missing CSRF token.", status_code=403)
    operator = await current_operator(_runtime(request), request.session)
    if operator is not None:
        await end_sessions(_runtime(request), operator.id)  # copies of this cookie die too
    sign_out(request.session)
    return _to_sign_in()


async def _scope_name(request: Request, dealership_id: int | None, pool_id: int | None) -> str:
    async with _runtime(request).db.sessions() as session:
        if pool_id is not None:
            pool = await session.get(Pool, pool_id)
            return pool.name if pool else ""
        if dealership_id is not None:
            dealership = await session.get(Dealership, dealership_id)
            return dealership.name if dealership else ""
    return "All dealerships"


async def console_page(request: Request) -> Response:
    operator = await current_operator(_runtime(request), request.session)
    if operator is None:
        return _to_sign_in()
    return _templates(request).TemplateResponse(
        request,
        "console.html",
        {
            "operator": operator,
            "scope_name": await _scope_name(request, operator.dealership_id, operator.pool_id),
            "csrf_token": csrf_token(request.session),
        },
    )


def console_routes() -> list[Route | Mount]:
    return [
        Route("/console", console_page),
        Route("/console/sign-in", sign_in_page, methods=["GET", "POST"]),
        Route("/console/sign-out", sign_out_page, methods=["POST"]),
        *lead_routes(),
        *conversation_routes(),
        Route("/console/dashboard", dashboard_page),
        Route("/console/dashboard.csv", dashboard_csv),
        Route("/console/password", password_page, methods=["GET", "POST"]),
        # One-time account links (invitation, reset, first admin): the link is the key.
        Route("/console/set-password/{token}", set_password_page, methods=["GET", "POST"]),
        Route("/console/setup/{token}", setup_page, methods=["GET", "POST"]),
        *settings_routes(),
        *app_shell_routes(),
        Route("/console/api/waiting", waiting_api),
        Route("/console/api/conversations/{conversation_id}", conversation_api),
        Route("/console/api/push/devices", push_devices, methods=["GET", "POST"]),
        Route("/console/api/push/devices/{device_id}/delete", remove_push_device, methods=["POST"]),
        Route("/console/api/push/unsubscribe", unsubscribe_push, methods=["POST"]),
        Route("/console/api/phone", mobile_phone, methods=["GET", "POST"]),
        Route("/console/api/phone/verify", verify_mobile_phone, methods=["POST"]),
        Route("/console/api/phone/delete", remove_mobile_phone, methods=["POST"]),
        Route("/console/ring/{token}", accept_ring_link),
        Route("/console/ring/{token}/decline", decline_ring_link, methods=["POST"]),
        Mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static"),
    ]


def console_templates() -> Jinja2Templates:
    return Jinja2Templates(directory=HERE / "templates")
