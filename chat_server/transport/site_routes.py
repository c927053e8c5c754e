"""Plain HTTP routes: the widget script, the demo dealer page, health checks."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from chat_server.runtime import Runtime
from chat_server.store.models import Dealership

WIDGET_DIR = Path(__file__).resolve().parents[2] / "widget"
DEMO_SLUG = "demo-motors"


async def widget_script(request: Request) -> Response:
    return FileResponse(
        WIDGET_DIR / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


async def demo_site(request: Request) -> Response:
    rt: Runtime = request.app.state.runtime
    async with rt.db.sessions() as session:
        dealership = await session.scalar(select(Dealership).where(Dealership.slug == DEMO_SLUG))
    if dealership is None:
        return HTMLResponse(
            "<!doctype html><title>dealer-chat</title><p>dealer-chat is running. "
            "The operator console is at <a href='/console'>/console</a>.</p>"
        )
    return request.app.state.site_templates.TemplateResponse(
        request,
        "demo_site.html",
        {"site_key": dealership.site_key, "dealership_name": dealership.name},
    )


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def readyz(request: Request) -> Response:
    rt: Runtime = request.app.state.runtime
    checks: dict[str, bool] = {}
    try:
        async with rt.db.sessions() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:
        checks["database"] = False
    try:
        checks["broker"] = await rt.broker.ping()
    except Exception:
        checks["broker"] = False
    ready = all(checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


def site_routes() -> list[Route]:
    return [
        Route("/", demo_site),
        Route("/widget.js", widget_script),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
