"""Refusing state-changing console requests that another site sent (docs/security.md).

The console's forms already carry a CSRF token and the session cookie is ``SameSite=Lax``; this
is the third, independent line: a browser names the page that sent a request (``Sec-Fetch-Site``,
``Origin``), and a POST to ``/console...`` from anywhere but a console page is refused before
any route runs. Requests without either header (old browsers, scripts) still need the token.
A pure ASGI middleware, so every console route added later is covered without opting in.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PREFIX = "/console"


def cross_site(headers: Headers) -> bool:
    """True when the browser says this request came from another origin."""
    fetch_site = headers.get("sec-fetch-site")
    # "same-site" is a sibling subdomain: not this origin, so not trusted either.
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    if origin == "null":  # sandboxed frames, data: URLs, privacy redirects
        return True
    return urlsplit(origin).netloc != headers.get("host", "")


class CrossSiteGuard:
    """ASGI middleware: 403 for an unsafe-method ``/console`` request from another origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and (scope["path"] == PREFIX or scope["path"].startswith(PREFIX + "/"))
            and cross_site(Headers(scope=scope))
        ):
            response = PlainTextResponse("Cross-site request refused.", status_code=403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
