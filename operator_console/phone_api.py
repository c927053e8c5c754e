"""JSON for "Text me too": an operator's mobile number for ring texts, verified by a code.

Shown only when the server has a text provider (``enabled`` false otherwise, and changes are
503). The number is read in the operator's dealership's country (US for pools), stored in
E.164, and used for rings once the texted code is typed back.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server.accounts.mobile_phones import (
    PhoneError,
    confirm_code,
    mobile_of,
    remove_mobile,
    start_verification,
)
from chat_server.chats.presence import refresh_reach
from chat_server.chats.roster_changes import channel_added
from chat_server.delivery.texts import TextFailed
from chat_server.store.models import Dealership, Operator
from operator_console.common import runtime
from operator_console.json_requests import NO_STORE, json_error, json_object, signed_in


def _state(enabled: bool, number: str, verified: bool) -> JSONResponse:
    return JSONResponse(
        {"enabled": enabled, "number": number, "verified": verified}, headers=NO_STORE
    )


async def _text_field(request: Request, field: str, missing: str) -> str | Response:
    """One text field of a change's JSON body, or the refusal: 503 without a text provider,
    413/400 for a body that is not a small JSON object, 400 naming the field."""
    if runtime(request).texts is None:
        return json_error("this server sends no texts", 503)
    data = await json_object(request)
    if isinstance(data, Response):
        return data
    value = data.get(field)
    return value if isinstance(value, str) else json_error(missing, 400, field)


async def mobile_phone(request: Request) -> Response:
    """GET: the operator's number and whether it is verified. POST ``{"phone"}``: set it and
    text a code to it."""
    operator = await signed_in(request, change=request.method == "POST")
    if isinstance(operator, Response):
        return operator
    rt = runtime(request)
    if request.method == "GET":
        async with rt.db.sessions() as session:
            phone = mobile_of(await session.get_one(Operator, operator.id))
        return _state(rt.texts is not None, phone.number, phone.verified)
    raw = await _text_field(request, "phone", "type your mobile number")
    if isinstance(raw, Response):
        return raw
    async with rt.db.sessions() as session, session.begin():
        row = await session.get_one(Operator, operator.id)
        country = "US"
        if row.dealership_id is not None:
            country = (await session.get_one(Dealership, row.dealership_id)).country
        try:
            number, code = await start_verification(
                session, operator.id, raw, country, rt.settings.secret_key, rt.clock.now()
            )
        except PhoneError as bad:
            return json_error(str(bad), 400, bad.field)
    try:
        await rt.texts.send(number, f"Your dealer-chat code is {code}. It works for 10 minutes.")
    except TextFailed:
        rt.metrics.texts.labels("failed").inc()
        return json_error("the text with your code could not be sent; try again", 502, "phone")
    rt.metrics.texts.labels("sent").inc()
    return _state(True, number, False)


async def verify_mobile_phone(request: Request) -> Response:
    """POST ``{"code"}``: the code texted to the number; a verified number rings them."""
    operator = await signed_in(request, change=True)
    if isinstance(operator, Response):
        return operator
    rt = runtime(request)
    code = await _text_field(request, "code", "type the code we texted you")
    if isinstance(code, Response):
        return code
    refused: PhoneError | None = None
    # A wrong code is counted even though it is refused: the transaction commits either way.
    async with rt.db.sessions() as session, session.begin():
        try:
            phone = await confirm_code(
                session, operator.id, code, rt.settings.secret_key, rt.clock.now()
            )
        except PhoneError as bad:
            refused = bad
    if refused is not None:
        return json_error(str(refused), 400, refused.field)
    await channel_added(rt, operator.id)  # a new channel: ring them for chats waiting now
    return _state(True, phone.number, phone.verified)


async def remove_mobile_phone(request: Request) -> Response:
    operator = await signed_in(request, change=True)
    if isinstance(operator, Response):
        return operator
    rt = runtime(request)
    async with rt.db.sessions() as session, session.begin():
        await remove_mobile(session, operator.id)
    await refresh_reach(rt, operator.id)
    return Response(status_code=204)
