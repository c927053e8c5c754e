"""Settings: a dealership's team and a pool's receptionists (issue 14).

One page per workplace lists its people with what rings each of them, an invitation form,
and a small form per person for each action (deactivate or reactivate, role and capacity,
reset password), each posting to a sub-path and answering 303 back to the page. The service
rules are in chat_server/administration/team.py; this module only reads forms, sends the
invitation e-mail, and shows a new link once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chat_server.accounts.sessions import close_older_consoles
from chat_server.administration import team
from chat_server.administration.team import Invitation, Workplace
from chat_server.delivery.email import EmailNotSent, email_configured, send_plain_email
from operator_console.account_link_pages import set_password_url
from operator_console.settings.index_pages import DEALERSHIP_SECTIONS
from operator_console.settings.page_kit import SettingsRequest, not_found, settings_request

# The link made by the last invitation or reset, shown once on the next view of the page.
ONE_TIME_LINK = "team_link"
ACTIONS = ("deactivate", "reactivate", "set", "reset-password")
NO_STORE = {"Cache-Control": "no-store"}


def _where(request: Request) -> Workplace:
    params = request.path_params
    if "dealership_id" in params:
        return team.dealership(int(params["dealership_id"]))
    return team.pool(int(params["pool_id"]))


def team_path(where: Workplace) -> str:
    kind = "dealerships" if where.kind == "dealership" else "pools"
    return f"/console/settings/{kind}/{where.id}/team"


def _when(moment: datetime) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC")


async def _show(ask: SettingsRequest, where: Workplace, person_id: int | None = None) -> Response:
    """The page (400 with the message beside the field when a change was refused)."""
    people = await ask.read(lambda s: team.team(s, ask.actor, where, ask.rt.clock.now()))
    link = ask.request.session.pop(ONE_TIME_LINK, None)
    place = {"id": people.id, "name": people.name}
    context: dict[str, Any] = {
        "team": people,
        "path": team_path(where),
        "notice": ask.notice(),
        "one_time_link": link if isinstance(link, dict) else None,
        "email_on": email_configured(ask.rt.settings),
        "min_capacity": team.MIN_CAPACITY,
        "max_capacity": team.MAX_CAPACITY,
        "form": {
            "name": ask.value("name"),
            "email": ask.value("email"),
            "role": ask.value("role") or people.roles[0][0],
            "capacity": ask.value("capacity"),
        }
        if person_id is None
        else {},
        "person_id": person_id,
    }
    if person_id is not None:
        # A person's form was refused: its message goes beside that person's field, not the
        # invitation form's field of the same name.
        context["person_errors"] = dict(ask.errors)
        context["errors"] = {"": ask.errors.get("")} if ask.errors.get("") else {}
    if where.kind == "dealership":
        context |= {"dealership": place, "sections": DEALERSHIP_SECTIONS, "section": "team"}
        template = "settings/team.html"
    else:
        context |= {"pool": place}
        template = "settings/pool_team.html"
    response = ask.render(template, context)
    if link:
        response.headers.update(NO_STORE)  # the page holds a one-time link
    return response


async def team_page(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    return await _show(ask, _where(request))


def _invitation_email(invitation: Invitation, url: str) -> tuple[str, str]:
    place = invitation.place
    first = invitation.link.purpose == "invite"
    days = 7 if first else 1
    subject = (
        f"You are invited to the dealer-chat console of {place}"
        if first
        else "Set a new password for the dealer-chat console"
    )
    opening = (
        f"You have been invited to answer chats for {place} in the dealer-chat console."
        if first
        else f"Your password for the dealer-chat console ({place}) was reset."
    )
    body = (
        f"Hello {invitation.name},\n\n{opening}\n\n"
        f"Choose your password here (the link works once, for {days} day"
        f"{'s' if days > 1 else ''}):\n\n{url}\n\n"
        f"You will sign in with this e-mail address: {invitation.email}\n\n"
        "If you did not expect this e-mail, you can ignore it.\n"
    )
    return subject, body


async def _hand_over(ask: SettingsRequest, invitation: Invitation) -> str:
    """E-mail the link when SMTP is configured, keep it to show once, and say what happened."""
    url = set_password_url(ask.request, invitation.link.token)
    emailed, problem = False, ""
    if email_configured(ask.rt.settings):
        subject, body = _invitation_email(invitation, url)
        try:
            emailed = await send_plain_email(ask.rt.settings, invitation.email, subject, body)
        except EmailNotSent as error:
            problem = str(error)[:200]
    ask.request.session[ONE_TIME_LINK] = {
        "url": url,
        "name": invitation.name,
        "email": invitation.email,
        "purpose": invitation.link.purpose,
        "until": _when(invitation.link.expires_at),
        "emailed": emailed,
        "problem": problem,
    }
    what = "invited" if invitation.link.purpose == "invite" else "sent a password reset"
    if emailed:
        return f"{invitation.name}: {what}; the link was e-mailed to {invitation.email}."
    return f"{invitation.name}: {what}. Give them the link below."


async def invite_form(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    where = _where(request)
    invitation = await ask.change(
        lambda s: team.invite(
            s,
            ask.actor,
            where,
            name=ask.value("name"),
            email=ask.value("email"),
            role=ask.value("role"),
            capacity=ask.value("capacity"),
            now=ask.rt.clock.now(),
        )
    )
    if invitation is None:
        return await _show(ask, where)
    return ask.back(team_path(where), await _hand_over(ask, invitation))


async def person_form(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    where = _where(request)
    action = request.path_params["action"]
    operator_id = int(request.path_params["operator_id"])
    if action not in ACTIONS:
        return not_found()
    now = ask.rt.clock.now()
    if action == "reset-password":
        invitation = await ask.change(
            lambda s: team.reset_password(s, ask.actor, where, operator_id, now)
        )
        if invitation is None:
            return await _show(ask, where, operator_id)
        if invitation.epoch is not None:
            await close_older_consoles(ask.rt, operator_id, invitation.epoch)
        return ask.back(team_path(where), await _hand_over(ask, invitation))
    if action == "set":
        changed = await ask.change(
            lambda s: team.set_role_and_capacity(
                s,
                ask.actor,
                where,
                operator_id,
                # One's own form has no role field: no role given keeps the role.
                role=ask.value("role") or None,
                capacity=ask.value("capacity"),
                now=now,
            )
        )
        done = "saved"
    else:
        change = team.deactivate if action == "deactivate" else team.reactivate
        changed = await ask.change(lambda s: change(s, ask.actor, where, operator_id, now))
        done = f"{action}d"
    if changed is None:
        return await _show(ask, where, operator_id)
    if changed.epoch is not None:
        # Their sessions ended with the change; their open consoles close now too.
        await close_older_consoles(ask.rt, changed.operator_id, changed.epoch)
    return ask.back(team_path(where), f"{changed.name}: {done}.")


def routes() -> list[BaseRoute]:
    dealership = "/console/settings/dealerships/{dealership_id:int}/team"
    pool = "/console/settings/pools/{pool_id:int}/team"
    return [
        Route(dealership, team_page),
        Route(dealership + "/invite", invite_form, methods=["POST"]),
        Route(dealership + "/{operator_id:int}/{action:str}", person_form, methods=["POST"]),
        Route(pool, team_page),
        Route(pool + "/invite", invite_form, methods=["POST"]),
        Route(pool + "/{operator_id:int}/{action:str}", person_form, methods=["POST"]),
    ]
