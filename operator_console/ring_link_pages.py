"""The one-tap ring links of a phone's notification (and of a text): Accept and Decline.

``GET /console/ring/{token}`` accepts the ring for the signed-in operator the link was made
for, then opens the console on the chat. A link that is not ours, or whose ring has ended,
or that names someone else, shows a page saying so and accepts nothing; a chat someone else
took first says who has it now. Not signed in: the sign-in page, then back here.

``POST /console/ring/{token}/decline`` declines (the notification's Decline button, sent by
the service worker): the token is the credential, as the worker holds no CSRF token.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from chat_server.accounts.operators import OperatorView, operator_by_id
from chat_server.accounts.sessions import current_operator
from chat_server.chats import operator_desk
from chat_server.chats.ladder_shell import ConversationNotFound
from chat_server.chats.operator_desk import NoSuchConversation, NotAllowed
from chat_server.delivery.ring_links import BadRingLink, RingLink, read_token
from chat_server.ladder.types import IllegalTransition, Phase
from operator_console.common import runtime, templates
from operator_console.csrf import csrf_token

AFTER_SIGN_IN = "after_sign_in"
NOTICES = {
    "invalid": (400, "This link does not work", "It is not a ring link of this console."),
    "expired": (410, "This ring has ended", "Nothing was accepted. Waiting chats are on the "
                "console."),
    "someone_else": (403, "This ring is someone else's", "It was sent to another person. "
                     "Nothing was accepted."),
    "gone": (404, "This chat is not there", "Nothing was accepted."),
    "closed": (409, "This chat has ended", "Nothing was accepted."),
    "yours": (200, "This chat is already yours", "You accepted it before. Nothing changed."),
}  # fmt: skip


def _notice(request: Request, operator: OperatorView | None, key: str, **extra: str) -> Response:
    status, title, text = NOTICES.get(key, NOTICES["invalid"])
    return templates(request).TemplateResponse(
        request,
        "ring_link.html",
        {
            "operator": operator,
            "csrf_token": csrf_token(request.session),
            "title": extra.get("title", title),
            "text": extra.get("text", text),
            "reason": key,
            "link": extra.get("link", "/console"),
        },
        status_code=status,
    )


async def accept_ring_link(request: Request) -> Response:
    rt = runtime(request)
    operator = await current_operator(rt, request.session)
    try:
        link = read_token(rt.settings.secret_key, request.path_params["token"], rt.clock.now())
    except BadRingLink as bad:
        return _notice(request, operator, bad.reason)
    if operator is None:
        request.session[AFTER_SIGN_IN] = request.url.path
        return RedirectResponse("/console/sign-in", status_code=303)
    if operator.id != link.operator_id:
        return _notice(request, operator, "someone_else")
    opened = RedirectResponse(f"/console?open={link.conversation_id}", status_code=303)
    outcome = await _act(request, operator, link, "accept")
    if outcome is None:
        return opened
    if outcome == "taken":
        owner = await operator_desk.owner_name(runtime(request), link.conversation_id)
        if owner == operator.name:  # a second tap of a link that worked: nothing more to do
            return _notice(
                request,
                operator,
                "yours",
                link=f"/console?open={link.conversation_id}",
            )
        return _notice(
            request,
            operator,
            "closed",
            title="Someone else took this chat",
            text=f"{owner or 'A colleague'} answered it first. Nothing was accepted.",
        )
    return _notice(request, operator, outcome)


async def decline_ring_link(request: Request) -> Response:
    rt = runtime(request)
    try:
        link = read_token(rt.settings.secret_key, request.path_params["token"], rt.clock.now())
    except BadRingLink:
        return Response(status_code=410)  # over or not ours: nothing to decline
    operator = await operator_by_id(rt, link.operator_id)
    if operator is None:
        return Response(status_code=404)
    outcome = await _act(request, operator, link, "decline")
    return Response(status_code=204 if outcome is None else 409)


async def _act(request: Request, operator: OperatorView, link: RingLink, action: str) -> str | None:
    """Accept or decline; None when done, else the NOTICES key (or "taken") saying why not."""
    rt = runtime(request)
    try:
        chat = await operator_desk.target(rt, operator, link.conversation_id)
        do = operator_desk.accept if action == "accept" else operator_desk.decline
        await do(rt, operator, chat)
    except (NoSuchConversation, ConversationNotFound, NotAllowed):
        return "gone"
    except IllegalTransition as error:
        return "taken" if error.phase == Phase.CONNECTED else "closed"
    return None
