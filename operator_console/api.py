"""JSON for the console page: one conversation's context (notes, history, canned replies).

A conversation outside the operator's dealerships is 404, the same as one that does not exist.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server.accounts.access import readable_conversation
from chat_server.accounts.sessions import current_operator
from chat_server.chats.context import conversation_context
from operator_console.common import runtime


async def conversation_api(request: Request) -> Response:
    rt = runtime(request)
    operator = await current_operator(rt, request.session)
    if operator is None:
        return JSONResponse({"error": "sign in first"}, status_code=401)
    async with rt.db.sessions() as session:
        conversation = await readable_conversation(
            session, operator, request.path_params["conversation_id"]
        )
        if conversation is None:
            return JSONResponse({"error": "no such conversation"}, status_code=404)
        context = await conversation_context(session, conversation, rt.clock.now())
    return JSONResponse(context, headers={"Cache-Control": "no-store"})
