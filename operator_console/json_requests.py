"""What the console's small JSON endpoints share: the signed-in operator, the CSRF header for
changes, a bounded JSON body, and errors as ``{"error", "field"}``."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server.accounts.operators import OperatorView
from chat_server.accounts.sessions import current_operator
from operator_console.common import runtime
from operator_console.csrf import csrf_ok

MAX_BODY = 8 * 1024
NO_STORE = {"Cache-Control": "no-store"}


def json_error(message: str, status: int, field: str | None = None) -> JSONResponse:
    body = {"error": message} | ({"field": field} if field else {})
    return JSONResponse(body, status_code=status, headers=NO_STORE)


async def signed_in(request: Request, *, change: bool) -> OperatorView | Response:
    """The operator, or the response refusing them (401 signed out; 403 a change without
    the page's CSRF token in ``X-CSRF-Token``)."""
    operator = await current_operator(runtime(request), request.session)
    if operator is None:
        return json_error("sign in first", 401)
    if change and not csrf_ok(request.session, request.headers.get("x-csrf-token")):
        return json_error("the page is out of date; reload it and try again", 403)
    return operator


async def json_object(request: Request) -> dict[str, object] | Response:
    """The request's JSON object, or the response refusing it (413, 400)."""
    body = await request.body()
    if len(body) > MAX_BODY:
        return json_error(f"the request is larger than {MAX_BODY} bytes", 413)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return json_error("the request is not JSON", 400)
    if not isinstance(data, dict):
        return json_error("the request must be a JSON object", 400)
    return data
