"""JSON for "Ring my phone": the server's push key and the signed-in operator's own devices.

The console's script subscribes the browser with the key (``applicationServerKey``) and sends
the subscription here. Every change needs the console's CSRF token in ``X-CSRF-Token``
(the cross-site guard refuses other origins too). An operator sees and removes only their own
devices: another operator's device id is 404, the same as one that does not exist.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server.accounts.devices import (
    BadDevice,
    add_device,
    devices_of,
    parse_subscription,
    remove_device,
    remove_endpoint,
)
from chat_server.accounts.operators import OperatorView
from chat_server.accounts.sessions import current_operator
from chat_server.chats.roster_changes import roster_changed
from operator_console.common import runtime
from operator_console.csrf import csrf_ok

MAX_BODY = 8 * 1024
NO_STORE = {"Cache-Control": "no-store"}


def _error(message: str, status: int, field: str | None = None) -> JSONResponse:
    body = {"error": message} | ({"field": field} if field else {})
    return JSONResponse(body, status_code=status, headers=NO_STORE)


async def _operator(request: Request, *, change: bool) -> OperatorView | Response:
    operator = await current_operator(runtime(request), request.session)
    if operator is None:
        return _error("sign in first", 401)
    if change and not csrf_ok(request.session, request.headers.get("x-csrf-token")):
        return _error("the page is out of date; reload it and try again", 403)
    return operator


async def _json_body(request: Request) -> dict[str, object] | Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        return _error(f"the request is larger than {MAX_BODY} bytes", 413)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _error("the request is not JSON", 400)
    if not isinstance(data, dict):
        return _error("the request must be a JSON object", 400)
    return data


async def push_devices(request: Request) -> Response:
    """GET: the push key and the operator's devices. POST: add (or take over) a device."""
    operator = await _operator(request, change=request.method == "POST")
    if isinstance(operator, Response):
        return operator
    rt = runtime(request)
    if rt.push is None:
        return _error("Web Push is not available on this server", 503)
    if request.method == "POST":
        data = await _json_body(request)
        if isinstance(data, Response):
            return data
        label = data.get("label")
        try:
            subscription = parse_subscription(
                data.get("subscription"), loopback_http=rt.settings.push_loopback
            )
            async with rt.db.sessions() as session, session.begin():
                device = await add_device(
                    session,
                    operator.id,
                    subscription,
                    label if isinstance(label, str) else "",
                    rt.clock.now(),
                )
        except BadDevice as bad:
            return _error(str(bad), 400, "subscription")
        # A phone puts an available operator on shift: ring them for chats waiting now.
        await roster_changed(rt, operator.id)
        return JSONResponse(device.as_json(), status_code=201, headers=NO_STORE)
    async with rt.db.sessions() as session:
        devices = await devices_of(session, operator.id)
    return JSONResponse(
        {"public_key": rt.push.keys.public_key, "devices": [d.as_json() for d in devices]},
        headers=NO_STORE,
    )


async def remove_push_device(request: Request) -> Response:
    """POST: remove one of the operator's devices, by id."""
    operator = await _operator(request, change=True)
    if isinstance(operator, Response):
        return operator
    rt = runtime(request)
    try:
        device_id = int(request.path_params["device_id"])
    except ValueError:
        return _error("no such device", 404)
    async with rt.db.sessions() as session, session.begin():
        removed = await remove_device(session, operator.id, device_id)
    return Response(status_code=204) if removed else _error("no such device", 404)


async def unsubscribe_push(request: Request) -> Response:
    """POST ``{"endpoint": ...}``: this browser turned "Ring my phone" off."""
    operator = await _operator(request, change=True)
    if isinstance(operator, Response):
        return operator
    data = await _json_body(request)
    if isinstance(data, Response):
        return data
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        return _error("endpoint is missing", 400, "endpoint")
    rt = runtime(request)
    async with rt.db.sessions() as session, session.begin():
        await remove_endpoint(session, operator.id, endpoint)
    return Response(status_code=204)
