"""The security headers each kind of page gets, and the cross-site guard, in process."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.datastructures import Headers

from chat_server.app import create_app
from chat_server.security_headers import SecurityHeaders, security_headers
from chat_server.settings import load_settings
from operator_console.cross_site import cross_site

HOST = "chat.example:8000"


def directives(csp: str) -> dict[str, list[str]]:
    found = {}
    for part in csp.split(";"):
        name, *values = part.split()
        found[name] = values
    return found


def test_console_pages_get_a_strict_policy() -> None:
    headers = security_headers("/console/leads/4", HOST)
    csp = directives(headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"] and csp["object-src"] == ["'none'"]
    # The console socket of this host only; never any ws: host.
    assert csp["connect-src"] == ["'self'", f"ws://{HOST}", f"wss://{HOST}"]
    assert not any("unsafe" in v for values in csp.values() for v in values)
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_a_strange_host_header_is_not_echoed_into_the_policy() -> None:
    csp = security_headers("/console", "evil.example; script-src *")["Content-Security-Policy"]
    assert directives(csp)["connect-src"] == ["'self'"]
    assert "evil" not in csp


@pytest.mark.parametrize("path", ["/widget.js", "/widget/chat-ui.js", "/widget/config"])
def test_the_widget_gets_no_policy_that_would_break_it_on_a_dealer_page(path: str) -> None:
    headers = security_headers(path, HOST)
    assert headers == {"X-Content-Type-Options": "nosniff"}


def test_the_api_may_run_nothing() -> None:
    headers = security_headers("/api/v1/leads", HOST)
    assert directives(headers["Content-Security-Policy"])["default-src"] == ["'none'"]
    assert headers["Referrer-Policy"] == "no-referrer"


def test_a_console_lookalike_path_is_not_the_console() -> None:
    assert "Content-Security-Policy" not in security_headers("/consoleX", HOST)
    assert "Referrer-Policy" in security_headers("/widgetsX", HOST)  # not the widget either


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"host": HOST}, False),  # no Origin (old browser, script): the CSRF token decides
        ({"host": HOST, "origin": f"http://{HOST}"}, False),
        ({"host": HOST, "origin": f"https://{HOST}"}, False),
        ({"host": HOST, "origin": "http://evil.example"}, True),
        ({"host": HOST, "origin": "null"}, True),
        ({"host": HOST, "sec-fetch-site": "same-origin", "origin": f"http://{HOST}"}, False),
        ({"host": HOST, "sec-fetch-site": "same-site"}, True),
        ({"host": HOST, "sec-fetch-site": "cross-site"}, True),
    ],
)
def test_cross_site(headers: dict[str, str], expected: bool) -> None:
    assert cross_site(Headers(headers)) is expected


def app_client() -> httpx.AsyncClient:
    # No lifespan: only routes that need no database are asked here.
    app = create_app(load_settings({}, database_url="sqlite+aiosqlite:///:memory:"))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{HOST}")


async def test_the_app_sends_them() -> None:
    async with app_client() as http:
        sign_in = await http.get("/console/sign-in")
        assert sign_in.status_code == 200
        assert "frame-ancestors 'none'" in sign_in.headers["content-security-policy"]
        assert sign_in.headers["x-frame-options"] == "DENY"
        css = await http.get("/console/static/console.css")
        assert css.headers["x-content-type-options"] == "nosniff"

        loader = await http.get("/widget.js")
        assert loader.status_code == 200
        assert loader.headers["content-type"].startswith("text/javascript")
        assert loader.headers["access-control-allow-origin"] == "*"
        assert "content-security-policy" not in loader.headers
        assert "x-frame-options" not in loader.headers

        refused = await http.post("/console/sign-out", headers={"Origin": "http://evil.example"})
        assert refused.status_code == 403
        # Even a refusal carries the headers (the headers middleware is the outermost).
        assert "content-security-policy" in refused.headers


async def test_a_header_the_route_set_wins() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"referrer-policy", b"no-referrer")],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=SecurityHeaders(app)), base_url=f"http://{HOST}"
    ) as http:
        response = await http.get("/console")
    assert response.headers.get_list("referrer-policy") == ["no-referrer"]
    assert "content-security-policy" in response.headers


async def test_websockets_pass_through_untouched() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "websocket.accept", "headers": []})

    async def send(message: dict[str, Any]) -> None:
        seen.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    scope = {"type": "websocket", "path": "/ws/console", "headers": []}
    await SecurityHeaders(app)(scope, receive, send)
    assert seen == [{"type": "websocket.accept", "headers": []}]
