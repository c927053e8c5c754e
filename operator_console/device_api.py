"""JSON for "Ring my phone": the server's push key and the signed-in operator's own devices.

The console's script subscribes the browser with the key (``applicationServerKey``) and sends
the subscription here. Every change needs the console's CSRF token in ``X-CSRF-Token``
(the cross-site guard refuses other origins too). An operator sees and removes only their own
devices: another operator's device id is 404, the same as one that does not exist.
"""

from __future__ import annotations

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
from chat_server.chats.presence import refresh_reach
from chat_server.chats.roster_changes import channel_added
from operator_console.common import runtime
from operator_console.json_requests import NO_STORE, json_error, json_object, signed_in


async def push_devices(request: Request) -> Response:
    """GET: the push key and the operator's devices. POST: add (or take over) a device."""
    operator = await signed_in(request, change=request.method == "POST")
    if isinstance(operator, Response):
        return operator
    rt = runtime(request)
    if rt.push is None:
        return json_error("Web Push is not available on this server", 503)
    if request.method == "POST":
        data = await json_object(request)
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
            return json_error(str(bad), 400, "subscription")
        await channel_added(rt, operator.id)  # a phone puts an available operator on shift
        return JSONResponse(device.as_json(), status_code=201, headers=NO_STORE)
    async with rt.db.sessions() as session:
        devices = await devices_of(session, operator.id)
    return JSONResponse(
        {"public_key": rt.push.keys.public_key, "devices": [d.as_json() for d in devices]},
        headers=NO_STORE,
    )


async def remove_push_device(request: Request) -> Response:
    """POST: remove one of the operator's devices, by id."""
    operator = await signed_in(request, change=True)
    if isinstance(operator, Response):
        return operator
    rt = runtime(request)
    try:
        device_id = int(request.path_params["device_id"])
    except ValueError:
        return json_error("no such device", 404)
    async with rt.db.sessions() as session, session.begin():
        removed = await remove_device(session, operator.id, device_id)
    if not removed:
        return json_error("no such device", 404)
    await refresh_reach(rt, operator.id)
    return Response(status_code=204)


async def unsubscribe_push(request: Request) -> Response:
    """POST ``{"endpoint": ...}``: this browser turned "Ring my phone" off."""
    operator = await signed_in(request, change=True)
    if isinstance(operator, Response):
        return operator
    data = await json_object(request)
    if isinstance(data, Response):
        return data
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        return json_error("endpoint is missing", 400, "endpoint")
    rt = runtime(request)
    async with rt.db.sessions() as session, session.begin():
        await remove_endpoint(session, operator.id, endpoint)
    await refresh_reach(rt, operator.id)
    return Response(status_code=204)
