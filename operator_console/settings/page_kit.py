"""What every settings page shares: who is asking, the form and its CSRF token, one
transaction per change, and turning a refusal into a message on the field that is wrong.

A page handler stays a few lines: ``ask = await settings_request(request)`` (or a response to
return at once), then ``await ask.change(action)`` for a POST, which runs the service call in
a transaction and reports ``ask.errors`` instead of raising.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from chat_server.accounts.operators import OperatorView
from chat_server.accounts.sessions import current_operator
from chat_server.administration.actors import Actor, actor_of, may_open_settings
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.runtime import Runtime
from operator_console.common import runtime, templates, to_sign_in
from operator_console.csrf import csrf_ok, csrf_token

T = TypeVar("T")
# Longest value any settings field accepts before it is even looked at.
MAX_FIELD_CHARS = 20_000
FORM_EXPIRED = "The form expired. Please try again."


def not_found() -> Response:
    return PlainTextResponse("Not found", status_code=404)


@dataclass
class SettingsRequest:
    """One signed-in settings request: the operator, the actor they act as, and the form."""

    request: Request
    rt: Runtime
    operator: OperatorView
    actor: Actor
    form: FormData | None = None
    errors: dict[str, str] = field(default_factory=dict)  # field ("" = the whole form) -> text

    def value(self, name: str, default: str = "") -> str:
        """A form field as text, trimmed and cut at ``MAX_FIELD_CHARS``."""
        raw = self.form.get(name, default) if self.form is not None else default
        return str(raw)[:MAX_FIELD_CHARS].strip()

    def values(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [str(v)[:MAX_FIELD_CHARS].strip() for v in self.form.getlist(name)]

    def checked(self, name: str) -> bool:
        return self.form is not None and self.form.get(name) in ("on", "true", "1", "yes")

    async def read(self, action: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a read-only service call in a session of its own. A target out of the actor's
        scope answers 404, like one that does not exist (raised here for every page)."""
        try:
            async with self.rt.db.sessions() as session:
                return await action(session)
        except NotInScope:
            raise HTTPException(404) from None

    async def change(self, action: Callable[[AsyncSession], Awaitable[T]]) -> T | None:
        """Run a service call in one transaction. A refusal rolls it back whole (nothing is
        saved half-way) and lands in ``errors`` under its field; returns None then. A target
        out of scope answers 404 (as in :meth:`read`)."""
        if self.form is None or not csrf_ok(self.request.session, self.form.get("csrf_token")):
            self.errors[""] = FORM_EXPIRED
            return None
        try:
            async with self.rt.db.sessions() as session, session.begin():
                return await action(session)
        except SettingsError as error:
            self.errors[error.field or ""] = str(error)
            return None
        except NotInScope:
            raise HTTPException(404) from None

    def render(self, template: str, context: dict[str, Any], status: int | None = None) -> Response:
        """The page, with what every settings template needs; 400 when a change was refused."""
        full = {
            "operator": self.operator,
            "active": "settings",
            "errors": self.errors,
            "csrf_token": csrf_token(self.request.session),
            **context,
        }
        code = status if status is not None else (400 if self.errors else 200)
        return templates(self.request).TemplateResponse(
            self.request, template, full, status_code=code
        )

    def back(self, path: str, notice: str | None = None) -> Response:
        """After a change: 303 to ``path`` (post/redirect/get), with a one-time notice."""
        if notice:
            self.request.session["settings_notice"] = notice[:500]
        return RedirectResponse(path, status_code=303)

    def notice(self) -> str | None:
        """The one-time notice the last change left, if any (shown once)."""
        value = self.request.session.pop("settings_notice", None)
        return value if isinstance(value, str) else None


async def settings_request(request: Request) -> SettingsRequest | Response:
    """The request as a :class:`SettingsRequest`, or the response that ends it: sign-in for
    nobody, 403 for a role without settings, and the form read (not yet checked) on a POST."""
    rt = runtime(request)
    operator = await current_operator(rt, request.session)
    if operator is None:
        return to_sign_in()
    actor = actor_of(operator)
    if not may_open_settings(actor):
        return PlainTextResponse("Only managers and admins can change settings.", status_code=403)
    form = await request.form() if request.method == "POST" else None
    return SettingsRequest(request, rt, operator, actor, form)
