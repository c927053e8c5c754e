"""Security headers on every HTTP response, chosen by what the path serves (docs/security.md).

Pure ASGI rather than ``BaseHTTPMiddleware``: it only adds headers to ``http.response.start``,
so websockets, streaming bodies and background tasks pass through untouched. A header the
route set itself wins over the default here.

- The operator console (``/console...``) gets a strict Content-Security-Policy: scripts, styles
  and connections from this origin only, no inline code, and it may not be framed at all.
- ``/api/v1`` is JSON for machines: nothing in it may run, load or be framed.
- The widget's files (``/widget.js``, ``/widget/...``) run on dealers' pages, under the dealer's
  policy, not ours: a CSP or a frame rule here would only break them, so they get none.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src {connect}; font-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _is_under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _console_csp(host: str) -> str:
    # 'self' covers same-origin ws:/wss: in CSP 3, but older engines only match http(s); name
    # this host's socket URLs too (never bare ws: wss:, which would let a script talk anywhere).
    connect = "'self'"
    if host and _plain_host(host):
        connect += f" ws://{host} wss://{host}"
    return CONSOLE_CSP.format(connect=connect)


def _plain_host(host: str) -> bool:
    """A Host header safe to echo into a policy (no spaces, quotes or separators)."""
    return all(ch.isalnum() or ch in ".-:[]" for ch in host)


def security_headers(path: str, host: str) -> dict[str, str]:
    """The headers every response for ``path`` carries (``host``: the request's Host)."""
    headers = {"X-Content-Type-Options": "nosniff"}
    if _is_under(path, "/console"):
        headers |= {
            "Content-Security-Policy": _console_csp(host),
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        }
    elif _is_under(path, "/api"):
        headers |= {
            "Content-Security-Policy": API_CSP,
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
        }
    elif path == "/widget.js" or _is_under(path, "/widget"):
        pass  # runs on the dealer's page under the dealer's policy; see the module docstring
    else:
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return headers


class SecurityHeaders:
    """ASGI middleware adding ``security_headers`` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"], Headers(scope=scope).get("host", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
