"""The installable console: its web app manifest, its service worker and its offline page.

A salesperson adds the console to their phone's home screen and is rung by Web Push with the
tab closed (docs/protocol.md, "Reaching people" in the design). Three public, static
responses make that work; none needs a session, as browsers fetch a manifest without cookies
and a service worker's install must not depend on who is signed in:

- ``/console/manifest.webmanifest``: name, icons, colours (console.css's top bar and page),
  ``display: standalone``;
- ``/console/sw.js``: operator_console/static/console-sw.js (what it does: that file's header);
- ``/console/offline``: the page the worker answers when a console page cannot be fetched.

The scope is ``/console``, not ``/console/``: a scope matches by URL prefix, and the console
itself, and ``/console?open=...`` where a ring link lands, do not start with ``/console/``.
``/console`` is above the worker script's own directory, hence ``Service-Worker-Allowed``.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

STATIC = Path(__file__).parent / "static"
SCOPE = "/console"
ICONS = "/console/static/icons"
THEME_COLOUR = "#111b26"  # console.css: .topbar
BACKGROUND_COLOUR = "#f3f5f8"  # console.css: --bg
# Browsers revalidate these on every use, so a deploy reaches installed phones at once.
REVALIDATE = {"Cache-Control": "no-cache"}

MANIFEST = {
    "id": SCOPE,
    "name": "dealer-chat console",
    "short_name": "dealer-chat",
    "description": "Answer your dealership's website chats. Rings reach this phone even when "
    "the console is closed.",
    "lang": "en",
    "dir": "ltr",
    "start_url": SCOPE,
    "scope": SCOPE,
    "display": "standalone",
    "theme_color": THEME_COLOUR,
    "background_color": BACKGROUND_COLOUR,
    "icons": [
        {"src": f"{ICONS}/icon-192.png", "sizes": "192x192", "type": "image/png",
         "purpose": "any"},
        {"src": f"{ICONS}/icon-512.png", "sizes": "512x512", "type": "image/png",
         "purpose": "any"},
        {"src": f"{ICONS}/icon-maskable-512.png", "sizes": "512x512", "type": "image/png",
         "purpose": "maskable"},
        {"src": f"{ICONS}/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
    ],
}  # fmt: skip


async def manifest(request: Request) -> Response:
    return JSONResponse(MANIFEST, media_type="application/manifest+json", headers=REVALIDATE)


async def service_worker(request: Request) -> Response:
    return FileResponse(
        STATIC / "console-sw.js",
        media_type="text/javascript",
        headers=REVALIDATE | {"Service-Worker-Allowed": SCOPE},
    )


async def offline_page(request: Request) -> Response:
    return FileResponse(STATIC / "offline.html", media_type="text/html", headers=REVALIDATE)


def app_shell_routes() -> list[Route]:
    return [
        Route("/console/manifest.webmanifest", manifest),
        Route("/console/sw.js", service_worker),
        Route("/console/offline", offline_page),
    ]
