"""Small helpers every console page uses: the runtime, templates, the signed-in operator."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.templating import Jinja2Templates

from chat_server.runtime import Runtime


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


def to_sign_in() -> RedirectResponse:
    return RedirectResponse("/console/sign-in", status_code=303)
