"""Serving the widget: the loader at ``/widget.js``, the chat UI, and the per-site theme.

The loader is what dealer pages embed, so its URL never changes: it is cached briefly and
revalidated by ETag. It names the chat UI with a content hash (``?v=``), which makes the UI
cacheable for a year. Both are compressed once per file version, not per request.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chat_server.package_files import package_folder
from chat_server.runtime import Runtime

# The widget is a package of its own (``widget/`` at the top of the repository): wherever
# it is installed, its files are its package data.
WIDGET_DIR = package_folder("widget")
LOADER = "loader.js"
CHAT_UI = "chat-ui.js"
UI_VERSION_TOKEN = "__UI_VERSION__"
JS = "text/javascript; charset=utf-8"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str


class WidgetAssets:
    """The widget's files, read and compressed once per change on disk (mtime)."""

    def __init__(self, folder: Path = WIDGET_DIR) -> None:
        self.folder = folder
        self._cache: dict[str, tuple[float, Asset]] = {}

    def _raw(self, name: str) -> tuple[float, bytes]:
        path = self.folder / name
        return path.stat().st_mtime, path.read_bytes()

    def _asset(self, key: str, mtime: float, make: bytes) -> Asset:
        cached = self._cache.get(key)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        etag = '"' + hashlib.sha256(make).hexdigest()[:20] + '"'
        asset = Asset(make, gzip.compress(make, compresslevel=9, mtime=0), etag)
        self._cache[key] = (mtime, asset)
        return asset

    def chat_ui(self) -> Asset:
        mtime, body = self._raw(CHAT_UI)
        return self._asset(CHAT_UI, mtime, body)

    def loader(self) -> Asset:
        ui = self.chat_ui()
        mtime, body = self._raw(LOADER)
        # The loader names the UI version it loads, so a new UI reaches pages at once.
        version = ui.etag.strip('"')[:12]
        return self._asset(
            f"{LOADER}:{version}", mtime, body.replace(UI_VERSION_TOKEN.encode(), version.encode())
        )


def _send(request: Request, asset: Asset, cache_control: str) -> Response:
    headers = {
        "Cache-Control": cache_control,
        "ETag": asset.etag,
        "Vary": "Accept-Encoding",
        # Dealer pages that isolate themselves (COEP) may still load the widget.
        "Cross-Origin-Resource-Policy": "cross-origin",
        # Public code with no credentials: readable cross-origin, so a dealer page may load it
        # with crossorigin="anonymous" and Subresource Integrity (docs/security.md).
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
    }
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=JS, headers=headers)
    return Response(asset.body, media_type=JS, headers=headers)


def _assets(request: Request) -> WidgetAssets:
    assets: WidgetAssets | None = getattr(request.app.state, "widget_assets", None)
    if assets is None:
        assets = request.app.state.widget_assets = WidgetAssets()
    return assets


async def loader_script(request: Request) -> Response:
    return _send(request, _assets(request).loader(), "public, max-age=300")


async def chat_ui_script(request: Request) -> Response:
    asset = _assets(request).chat_ui()
    versioned = request.query_params.get("v") == asset.etag.strip('"')[:12]
    cache = "public, max-age=31536000, immutable" if versioned else "public, max-age=300"
    return _send(request, asset, cache)


async def widget_config(request: Request) -> Response:
    """The launcher's look before the chat UI loads: public, the same for every visitor."""
    site = request.query_params.get("site", "")
    rt: Runtime = request.app.state.runtime
    # The node's site-key cache (a few seconds old at most, as for the socket's handshake).
    dealership = await rt.sites.get(rt.db, site) if site and len(site) <= 64 else None
    headers = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=60"}
    if dealership is None:
        return JSONResponse({"error": "unknown site key"}, status_code=404, headers=headers)
    return JSONResponse({"name": dealership.name, **dealership.theme.as_json()}, headers=headers)


def widget_routes() -> list[Route]:
    return [
        Route("/widget.js", loader_script),
        Route("/widget/chat-ui.js", chat_ui_script),
        Route("/widget/config", widget_config),
    ]
