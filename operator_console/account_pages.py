"""Changing one's password. A new password signs out every other session (epoch bump)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from chat_server.accounts.sessions import change_password, current_operator
from chat_server.administration.account_links import MAX_PASSWORD_CHARS
from chat_server.administration.account_links import password_problem as link_password_problem
from operator_console.common import runtime, templates, to_sign_in
from operator_console.csrf import csrf_ok, csrf_token


def password_problem(new: str, confirm: str, current: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable: the rule every password
    the console sets follows (administration.account_links), and not the current one again."""
    if refused := link_password_problem(new, confirm):
        return str(refused)
    if new == current:
        return "The new password must differ from the current one."
    return None


async def password_page(request: Request) -> Response:
    rt = runtime(request)
    operator = await current_operator(rt, request.session)
    if operator is None:
        return to_sign_in()
    context = {"operator": operator, "active": "password", "error": None, "done": False}
    status = 200
    if request.method == "POST":
        form = await request.form()
        current = str(form.get("current_password", ""))[:MAX_PASSWORD_CHARS]
        new = str(form.get("new_password", ""))[: MAX_PASSWORD_CHARS + 1]
        confirm = str(form.get("confirm_password", ""))[: MAX_PASSWORD_CHARS + 1]
        if not csrf_ok(request.session, form.get("csrf_token")):
            context["error"] = "The form expired. Please try again."
        elif problem := password_problem(new, confirm, current):
            context["error"] = problem
        else:
            epoch = await change_password(rt, operator.id, current, new)
            if epoch is None:
                context["error"] = "Your current password is not right."
            else:
                request.session["epoch"] = epoch  # this session stays; all others end
                context["done"] = True
        status = 400 if context["error"] else 200
    context["csrf_token"] = csrf_token(request.session)
    return templates(request).TemplateResponse(
        request, "password.html", context, status_code=status
    )
