"""Plain HTTP routes: the demo dealer page, health checks, metrics, and the widget's
(widget_routes)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from chat_server.chats import shopper_desk
from chat_server.contact_details import ContactError, display_phone, region_for, valid_phone
from chat_server.observability.metrics import CONTENT_TYPE
from chat_server.runtime import Runtime
from chat_server.store.sites import dealership_by_slug
from chat_server.transport.widget_routes import WIDGET_DIR, widget_routes

# WIDGET_DIR is also the folder of the demo page's template (app.py imports it from here).
__all__ = ["WIDGET_DIR", "site_routes"]
DEMO_SLUG = "demo-motors"


async def demo_site(request: Request) -> Response:
    rt: Runtime = request.app.state.runtime
    dealership = await dealership_by_slug(rt.db, DEMO_SLUG)
    if dealership is None:
        return HTMLResponse(
            "<!doctype html><title>dealer-chat</title><p>dealer-chat is running. "
            "The operator console is at <a href='/console'>/console</a>.</p>"
        )
    phone = await shopper_desk.dealership_phone(rt, dealership.id)
    try:
        dial = valid_phone(phone, region_for(dealership.country))
    except ContactError:
        dial = ""  # shown as stored, without a link
    return request.app.state.site_templates.TemplateResponse(
        request,
        "demo_site.html",
        {
            "site_key": dealership.site_key,
            "dealership_name": dealership.name,
            # The dealership's own number, as people read it, and as a tel: link.
            "phone": display_phone(phone, dealership.country) if phone else "",
            "phone_link": dial,
        },
    )


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def readyz(request: Request) -> Response:
    rt: Runtime = request.app.state.runtime
    checks: dict[str, bool] = {}
    try:
        await rt.db.ping()
        checks["database"] = True
    except Exception:
        checks["database"] = False
    try:
        checks["broker"] = await rt.broker.ping()
    except Exception:
        checks["broker"] = False
    ready = all(checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


async def metrics(request: Request) -> Response:
    """This node's Prometheus metrics (each node is scraped on its own; see operations.md)."""
    rt: Runtime = request.app.state.runtime
    return Response(rt.metrics.render(), media_type=CONTENT_TYPE)


def site_routes() -> list[Route]:
    return [
        Route("/", demo_site),
        *widget_routes(),  # /widget.js (the loader), the chat UI, /widget/config
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
    ]
