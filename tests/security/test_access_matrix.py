"""Who may do what: every HTTP route and socket of the app, for every kind of caller.

The routes are read from the app itself (``app.routes``), so a new route with no entry in
``MATRIX`` fails ``test_every_route_has_a_matrix_entry`` until someone decides who may use it.
Outcomes: a status code, ``SIGN_IN`` (303 to the sign-in page), or ``REDIRECT`` (303 anywhere
else, e.g. back to a lead after a form). A foreign tenant's resource answers 404, exactly like
one that does not exist, so ids cannot be probed. docs/security.md explains the columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from chat_server.app import create_app
from chat_server.settings import load_settings
from chat_server.store.database import open_database
from chat_server.store.models import Lead, LeadDelivery, LeadTask, Operator
from tests.security.conftest import A_SHOPPER, B_SHOPPER, CONSOLE_ROLES, PRINCIPALS, World
from tests.security.conversation_routes import MATRIX as CONVERSATION_MATRIX
from tests.security.matrix_kit import (
    REDIRECT,
    SIGN_IN,
    Case,
    Outcome,
    Sockets,
    api,
    console,
    everyone,
)
from tests.security.settings_routes import SETTINGS_MATRIX


def routes_of(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path template) for every endpoint; ``WS`` for websockets."""
    for route in routes:
        if isinstance(route, Mount):
            if route.routes:
                yield from routes_of(route.routes, prefix + route.path)
            else:  # a mounted app (static files): any path below it
                yield ("GET", prefix + route.path + "/{path}")
        elif isinstance(route, WebSocketRoute):
            yield ("WS", prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                yield (method, prefix + route.path)


def app_endpoints() -> set[tuple[str, str]]:
    app = create_app(load_settings({}, database_url="sqlite+aiosqlite:///:memory:"))
    return set(routes_of(app.routes))


DENIED_ATTEMPT = {"channel": "call", "note": "matrix"}

MATRIX: dict[tuple[str, str], tuple[Case, ...] | Sockets] = {
    # --- the public site and the widget ----------------------------------------------------
    ("GET", "/"): (Case("/", everyone(200)),),
    ("GET", "/healthz"): (Case("/healthz", everyone(200)),),
    ("GET", "/readyz"): (Case("/readyz", everyone(200)),),
    ("GET", "/metrics"): (
        Case(
            "/metrics",
            everyone(200),
            note="counters only, no tenant data; keep it off the public internet at the proxy",
        ),
    ),
    ("GET", "/widget.js"): (Case("/widget.js", everyone(200)),),
    ("GET", "/widget/chat-ui.js"): (Case("/widget/chat-ui.js", everyone(200)),),
    ("GET", "/widget/config"): (
        Case("/widget/config?site={a_site}", everyone(200), note="public theme, by design"),
        Case("/widget/config?site=no-such-site", everyone(404)),
    ),
    # --- the console -------------------------------------------------------------------------
    ("GET", "/console"): (Case("/console", console(SIGN_IN, 200, 200, 200)),),
    ("GET", "/console/sign-in"): (Case("/console/sign-in", everyone(200)),),
    ("POST", "/console/sign-in"): (
        Case(
            "/console/sign-in",
            everyone(400),
            form={"email": "nobody@nowhere.test", "password": "wrong password"},
        ),
    ),
    ("POST", "/console/sign-out"): (
        Case("/console/sign-out", everyone(SIGN_IN), note="ends the session: see the test"),
    ),
    ("GET", "/console/leads"): (
        Case("/console/leads", console(SIGN_IN, 200, 200, 200), never_shows=(B_SHOPPER,)),
    ),
    ("GET", "/console/leads/{lead_id:int}"): (
        Case("/console/leads/{lead_a}", console(SIGN_IN, 200, 200, 200)),
        Case(
            "/console/leads/{lead_b}",
            console(SIGN_IN, 404, 404, 404, admin=200),
            never_shows=(B_SHOPPER,),
        ),
        Case("/console/leads/999999", console(SIGN_IN, 404, 404, 404)),
    ),
    ("POST", "/console/leads/{lead_id:int}/{action:str}"): (
        Case(
            "/console/leads/{lead_a}/attempt",
            console(SIGN_IN, REDIRECT, REDIRECT, REDIRECT),
            form=DENIED_ATTEMPT,
        ),
        *(
            Case(
                "/console/leads/{lead_b}/" + action,
                console(SIGN_IN, 404, 404, 404, admin=REDIRECT),
                form=form,
                note="B's lead: refused before any change (the platform admin may)",
            )
            for action, form in (
                ("attempt", DENIED_ATTEMPT),
                ("status", {"status": "contacted"}),
                ("owner", {"owner_id": ""}),
                ("resend", {}),
            )
        ),
        Case("/console/leads/{lead_a}/delete", console(SIGN_IN, 404, 404, 404), form={}),
    ),
    ("GET", "/console/dashboard"): (
        Case("/console/dashboard", console(SIGN_IN, 403, 200, 403)),
        Case("/console/dashboard?dealership={b_id}", console(SIGN_IN, 403, 404, 403, admin=200)),
    ),
    ("GET", "/console/dashboard.csv"): (
        Case("/console/dashboard.csv", console(SIGN_IN, 403, 200, 403)),
        Case(
            "/console/dashboard.csv?dealership={b_id}",
            console(SIGN_IN, 403, 404, 403, admin=200),
        ),
    ),
    ("GET", "/console/api/waiting"): (
        Case("/console/api/waiting", console(SIGN_IN, 403, 200, 403)),
        Case(
            "/console/api/waiting?dealership={b_id}",
            console(SIGN_IN, 403, 404, 403, admin=200),
            never_shows=(B_SHOPPER,),
        ),
    ),
    ("GET", "/console/password"): (Case("/console/password", console(SIGN_IN, 200, 200, 200)),),
    ("POST", "/console/password"): (
        Case(
            "/console/password",
            console(SIGN_IN, 400, 400, 400),
            form={
                "current_password": "not the password",
                "new_password": "a long new password",
                "confirm_password": "a long new password",
            },
            note="a wrong current password: nothing changes",
        ),
    ),
    ("GET", "/console/api/conversations/{conversation_id}"): (
        Case("/console/api/conversations/{closed_a}", console(401, 200, 200, 200)),
        Case("/console/api/conversations/{open_a}", console(401, 200, 200, 200)),
        Case(
            "/console/api/conversations/{closed_b}",
            console(401, 404, 404, 404, admin=200),
            never_shows=(B_SHOPPER,),
        ),
        Case("/console/api/conversations/{open_b}", console(401, 404, 404, 404, admin=200)),
    ),
    # Ring devices and ring texts: each operator's own (tests/delivery covers one operator
    # reaching for another's device); a change without the page's X-CSRF-Token is refused.
    ("GET", "/console/api/push/devices"): (
        Case("/console/api/push/devices", console(401, 200, 200, 200)),
    ),
    ("POST", "/console/api/push/devices"): (
        Case("/console/api/push/devices", console(401, 403, 403, 403), json={}),
    ),
    ("POST", "/console/api/push/devices/{device_id}/delete"): (
        Case("/console/api/push/devices/999999/delete", console(401, 403, 403, 403)),
    ),
    ("POST", "/console/api/push/unsubscribe"): (
        Case("/console/api/push/unsubscribe", console(401, 403, 403, 403), json={}),
    ),
    ("GET", "/console/api/phone"): (Case("/console/api/phone", console(401, 200, 200, 200)),),
    ("POST", "/console/api/phone"): (
        Case("/console/api/phone", console(401, 403, 403, 403), json={"phone": "+13125550100"}),
    ),
    ("POST", "/console/api/phone/verify"): (
        Case("/console/api/phone/verify", console(401, 403, 403, 403), json={"code": "123456"}),
    ),
    ("POST", "/console/api/phone/delete"): (
        Case("/console/api/phone/delete", console(401, 403, 403, 403)),
    ),
    ("GET", "/console/ring/{token}"): (
        Case("/console/ring/not-a-ring-link", everyone(400), note="checked before sign-in"),
    ),
    ("POST", "/console/ring/{token}/decline"): (
        Case("/console/ring/not-a-ring-link/decline", everyone(410), note="the link is the key"),
    ),
    # The installable console's shell: public files, no tenant data (operator_console/app_shell.py).
    ("GET", "/console/manifest.webmanifest"): (
        Case("/console/manifest.webmanifest", everyone(200)),
    ),
    ("GET", "/console/sw.js"): (Case("/console/sw.js", everyone(200)),),
    ("GET", "/console/offline"): (Case("/console/offline", everyone(200)),),
    ("GET", "/console/static/{path}"): (
        Case("/console/static/console.css", everyone(200)),
        Case("/console/static/..%2f..%2fchat_server%2fsettings.py", everyone(404)),
    ),
    # --- /api/v1 -------------------------------------------------------------------------------
    ("GET", "/api/v1/openapi.json"): (Case("/api/v1/openapi.json", everyone(200)),),
    ("GET", "/api/v1/leads"): (Case("/api/v1/leads", api(401, 200, 200)),),
    ("GET", "/api/v1/leads/{lead_id}"): (
        Case("/api/v1/leads/{lead_a}", api(401, 200, 404)),
        Case("/api/v1/leads/{lead_b}", api(401, 404, 200)),
    ),
    ("PATCH", "/api/v1/leads/{lead_id}"): (
        Case(
            "/api/v1/leads/{lead_b}",
            api(401, 404, 400),
            json={"status": "no such status"},
            note="tenant checked before the body: A's token learns nothing; B's is told why",
        ),
        Case("/api/v1/leads/{lead_a}", api(401, 200, 404), json={"status": "contacted"}),
    ),
    ("GET", "/api/v1/conversations"): (Case("/api/v1/conversations", api(401, 200, 200)),),
    ("GET", "/api/v1/conversations/{conversation_id}"): (
        Case("/api/v1/conversations/{closed_a}", api(401, 200, 404)),
        Case("/api/v1/conversations/{closed_b}", api(401, 404, 200)),
    ),
    # --- sockets ---------------------------------------------------------------------------------
    ("WS", "/ws/visitor"): Sockets("test_socket_matrix.py::test_the_visitor_socket_*"),
    ("WS", "/ws/console"): Sockets("test_socket_matrix.py::test_console_frames_*"),
    # --- settings (issue 14): each page's entries beside it, tests/security/settings_routes/
    **SETTINGS_MATRIX,
    # --- conversation history (issue 15): tests/security/conversation_routes.py
    **CONVERSATION_MATRIX,
}

# Text of one tenant that must never reach the other's API token.
NEVER_TO = {"api_token_a": (B_SHOPPER,), "api_token_b": (A_SHOPPER,)}


def test_every_route_has_a_matrix_entry() -> None:
    found = app_endpoints()
    missing = sorted(found - MATRIX.keys())
    stale = sorted(MATRIX.keys() - found)
    assert not missing, f"routes with no access-matrix entry (decide who may use them): {missing}"
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def outcome_of(response: httpx.Response) -> Outcome:
    if response.status_code in (302, 303, 307):
        where = urlsplit(response.headers["location"]).path
        return SIGN_IN if where == "/console/sign-in" else REDIRECT
    return response.status_code


HTTP_ROWS = [
    (key, case) for key, cases in MATRIX.items() if isinstance(cases, tuple) for case in cases
]


@pytest.mark.parametrize(
    ("key", "case"),
    HTTP_ROWS,
    ids=[f"{method} {case.path}" for (method, _path), case in HTTP_ROWS],
)
async def test_route(world: World, key: tuple[str, str], case: Case) -> None:
    method = key[0]
    path = case.path.format(**world.ids())
    seen: dict[str, Outcome] = {}
    for name in PRINCIPALS:
        principal = world.principals[name]
        async with principal.client(world.url) as http:
            kwargs: dict[str, Any] = {}
            if case.form is not None or method == "POST":
                kwargs["data"] = {**(case.form or {}), "csrf_token": principal.csrf}
            if case.json is not None:
                kwargs["json"] = case.json
            response = await http.request(method, path, **kwargs)
        seen[name] = outcome_of(response)
        # The platform admin reads every tenant by design: the other tenant's text is theirs too.
        hidden = () if name == "admin" else case.never_shows
        for text in (*hidden, *NEVER_TO.get(name, ())):
            assert text not in response.text, f"{name} saw {text!r} at {method} {path}"
    assert seen == case.expect, f"{method} {path}: got {seen}"
    if key == ("POST", "/console/sign-out"):
        # Signing out ended each role's session everywhere; sign them back in for the rest.
        for role in CONSOLE_ROLES:
            async with world.principals[role].client(world.url) as http:
                assert outcome_of(await http.get("/console")) == SIGN_IN, role
            await world.renew(role)


async def test_refused_lead_forms_changed_nothing(world: World) -> None:
    """The 404s on B's lead are not just answers: only the platform admin changed it (one
    attempt logged, hence "contacted"); nobody else logged an attempt, took it or sent it."""
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        lead = await session.get_one(Lead, world.lead_b)
        attempts = await session.scalar(
            select(func.count())
            .select_from(LeadTask)
            .where(LeadTask.lead_id == lead.id, LeadTask.done_at.is_not(None))
        )
        by_others = await session.scalar(
            select(func.count())
            .select_from(LeadTask)
            .join(Operator, Operator.id == LeadTask.operator_id)
            .where(LeadTask.lead_id == lead.id, Operator.role != "admin")
        )
        sends = await session.scalar(
            select(func.count()).select_from(LeadDelivery).where(LeadDelivery.lead_id == lead.id)
        )
    assert (lead.status, lead.owner_id, attempts, sends) == ("contacted", None, 1, 0)
    assert by_others == 0
