"""The pages a one-time account link opens, with no session needed: the link is the key.

- ``/console/set-password/{token}``: an invitation or a reset; the person chooses a
  password, is signed in, and lands in the console.
- ``/console/setup/{token}``: the installation's first admin (the link ``dealer-chat serve``
  prints while the database has no operators); name, e-mail and password.

An unknown link answers 404; one used, expired, or (for setup) overtaken by an installation
that has its operators answers 410. The forms still carry the session's CSRF token, like the
sign-in form, and the cross-site guard refuses another site's post. The rules are in
chat_server/administration/account_links.py.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from chat_server.accounts.sessions import close_older_consoles, sign_in
from chat_server.administration.account_links import (
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    BadLink,
    LinkState,
    OpenLink,
    create_first_admin,
    link_path,
    open_person_link,
    open_setup_link,
    redeem,
    spend_setup_link,
)
from chat_server.administration.errors import SettingsError
from operator_console.common import runtime, templates
from operator_console.csrf import csrf_ok, csrf_token

FORM_EXPIRED = "The form expired. Please try again."
# The address holds the link: never cached. (The console's Referrer-Policy, same-origin,
# already keeps it from other sites; "no-referrer" would make the browser post the form with
# "Origin: null", which the cross-site guard rightly refuses.)
PRIVATE = {"Cache-Control": "no-store"}
GONE = {
    LinkState.UNKNOWN: "This link is not valid. Check that you copied all of it.",
    LinkState.USED: "This link has been used already: it works only once.",
    LinkState.EXPIRED: "This link has expired.",
    LinkState.SET_UP: "This installation is set up already: its admins invite everyone else.",
}


def base_url(request: Request) -> str:
    """The site's address for links: ``DEALER_CHAT_PUBLIC_URL`` if set (behind a proxy that is
    how people reach it), else the address this request came to."""
    public = runtime(request).settings.public_url
    return public or str(request.base_url).rstrip("/")


def set_password_url(request: Request, token: str) -> str:
    return base_url(request) + link_path("invite", token)


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    full = {"csrf_token": csrf_token(request.session), "errors": {}, **context}
    return templates(request).TemplateResponse(
        request, template, full, status_code=status, headers=PRIVATE
    )


def _gone(request: Request, template: str, state: LinkState) -> Response:
    status = 404 if state is LinkState.UNKNOWN else 410
    return _page(request, template, {"gone": GONE[state], "state": state.value}, status)


def _form_fields(form: Any) -> dict[str, str]:
    def field(name: str, limit: int) -> str:
        return str(form.get(name, ""))[:limit]

    return {
        "name": field("name", 300).strip(),
        "email": field("email", 400).strip(),
        # One more than allowed, so "too long" is told rather than silently cut.
        "password": field("password", MAX_PASSWORD_CHARS + 1),
        "confirm_password": field("confirm_password", MAX_PASSWORD_CHARS + 1),
    }


async def set_password_page(request: Request) -> Response:
    rt = runtime(request)
    token = request.path_params["token"]
    template = "set_password.html"
    try:
        async with rt.db.sessions() as session:
            link = await open_person_link(session, token, rt.clock.now())
    except BadLink as bad:
        return _gone(request, template, bad.state)
    context: dict[str, Any] = {"link": link, "min_chars": MIN_PASSWORD_CHARS}
    if request.method == "GET":
        return _page(request, template, context)
    form = await request.form()
    fields = _form_fields(form)
    if not csrf_ok(request.session, form.get("csrf_token")):
        return _page(request, template, {**context, "errors": {"": FORM_EXPIRED}}, 400)
    try:
        async with rt.db.sessions() as session, session.begin():
            person = await redeem(
                session, token, fields["password"], fields["confirm_password"], rt.clock.now()
            )
    except BadLink as bad:
        return _gone(request, template, bad.state)
    except SettingsError as error:
        return _page(request, template, {**context, "errors": {error.field or "": str(error)}}, 400)
    await close_older_consoles(rt, person.id, person.session_epoch)
    sign_in(request.session, person)
    return RedirectResponse("/console", status_code=303)


async def setup_page(request: Request) -> Response:
    rt = runtime(request)
    token = request.path_params["token"]
    template = "setup.html"
    state: LinkState | None = None
    link: OpenLink | None = None
    try:
        async with rt.db.sessions() as session:
            link = await open_setup_link(session, token, rt.clock.now())
    except BadLink as bad:
        state = bad.state
    if state is not None and (request.method == "GET" or state is not LinkState.SET_UP):
        return _gone(request, template, state)
    context: dict[str, Any] = {"link": link, "min_chars": MIN_PASSWORD_CHARS, "form": {}}
    if request.method == "GET":
        return _page(request, template, context)
    form = await request.form()
    fields = _form_fields(form)
    context["form"] = {"name": fields["name"], "email": fields["email"]}
    if not csrf_ok(request.session, form.get("csrf_token")):
        return _page(request, template, {**context, "errors": {"": FORM_EXPIRED}}, 400)
    if state is None:
        try:
            async with rt.db.sessions() as session, session.begin():
                admin = await create_first_admin(
                    session,
                    token,
                    name=fields["name"],
                    email=fields["email"],
                    password=fields["password"],
                    confirm=fields["confirm_password"],
                    now=rt.clock.now(),
                )
        except BadLink as bad:
            state = bad.state
        except SettingsError as error:
            errors = {error.field or "": str(error)}
            return _page(request, template, {**context, "errors": errors}, 400)
        else:
            sign_in(request.session, admin)
            return RedirectResponse("/console/settings", status_code=303)
    if state is LinkState.SET_UP:
        # Someone has an account now: this link can never make an admin; spend it.
        try:
            async with rt.db.sessions() as session, session.begin():
                await spend_setup_link(session, token, rt.clock.now())
        except BadLink as bad:
            state = bad.state
    return _gone(request, template, state)
