"""Settings: CRM delivery and API access of one dealership.

One form saves the lead e-mail (ADF) and webhook settings (303 back, or 400 with the message
beside the wrong field). Three actions show something exactly once, so they answer with the
page itself (200, ``Cache-Control: no-store``) instead of a redirect that would have to keep
it somewhere: a new webhook secret, a new API token, and the results of a test lead. Nothing
of the first two is kept anywhere but as the secret itself and the token's sha256; a later
GET shows neither.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chat_server.administration.crm_settings import (
    WEBHOOK_EVENTS,
    create_api_token,
    crm_view,
    new_webhook_secret,
    parse_addresses,
    parse_cadence,
    record_test_lead,
    revoke_api_token,
    set_crm,
)
from chat_server.administration.scope import dealership_for
from chat_server.leads.cadence import DEFAULT_DAYS
from chat_server.leads.test_lead import TargetResult, TestLeadPlan, plan_test_lead, send_test_lead
from operator_console.settings.index_pages import DEALERSHIP_SECTIONS, dealership_path
from operator_console.settings.page_kit import (
    SettingsRequest,
    settings_request,
)

SECTION = "crm"
NO_STORE = {"Cache-Control": "no-store"}


def _day(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else ""


async def _context(ask: SettingsRequest, dealership_id: int) -> dict[str, Any]:
    async def read(session: AsyncSession) -> dict[str, Any]:
        row = await dealership_for(session, ask.actor, dealership_id)
        view = await crm_view(session, ask.actor, dealership_id)
        zone = ZoneInfo(row.time_zone)
        tokens = [
            {**t, "created": _day(t["created_at"], zone), "revoked": _day(t["revoked_at"], zone)}
            for t in view["tokens"]
        ]
        return {
            "dealership": {"id": row.id, "name": row.name, "time_zone": row.time_zone},
            "crm": {**view, "tokens": tokens},
        }

    return await ask.read(read)


def _values(ask: SettingsRequest, crm: dict[str, Any], *, typed: bool) -> dict[str, Any]:
    """What the settings form shows: what was just sent (after a refusal), else what is
    saved."""
    if typed and ask.form is not None:
        return {
            "addresses": ask.value("addresses"),
            "attachment": ask.checked("attachment"),
            "log_ups": ask.checked("log_ups"),
            "cadence": ask.value("cadence"),
            "webhook_url": ask.value("webhook_url"),
            "webhook_events": ask.values("webhook_events"),
        }
    return {
        "addresses": "\n".join(crm["addresses"]),
        "attachment": crm["attachment"],
        "log_ups": crm["log_ups"],
        "cadence": ", ".join(str(d) for d in crm["cadence_days"]),
        "webhook_url": crm["webhook_url"],
        "webhook_events": crm["webhook_events"],
    }


async def _show(
    ask: SettingsRequest,
    dealership_id: int,
    *,
    saving: bool = False,
    new_secret: str | None = None,
    new_token: dict[str, Any] | None = None,
    results: list[TargetResult] | None = None,
) -> Response:
    context = await _context(ask, dealership_id)
    response = ask.render(
        "settings/crm.html",
        {
            **context,
            "values": _values(ask, context["crm"], typed=saving),
            "token_name": ask.value("token_name") if new_token is None else "",
            "events": WEBHOOK_EVENTS,
            "default_cadence": ", ".join(str(d) for d in DEFAULT_DAYS),
            "smtp": bool(ask.rt.settings.smtp_host),
            "new_secret": new_secret,
            "new_token": new_token,
            "results": results,
            "sections": DEALERSHIP_SECTIONS,
            "section": SECTION,
            "notice": ask.notice(),
        },
    )
    response.headers.update(NO_STORE)
    return response


async def crm_page(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    return await _show(ask, request.path_params["dealership_id"])


async def save_crm(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    dealership_id: int = request.path_params["dealership_id"]

    async def change(session: AsyncSession) -> dict[str, Any]:
        return await set_crm(
            session,
            ask.actor,
            dealership_id,
            addresses=parse_addresses(ask.value("addresses")),
            attachment=ask.checked("attachment"),
            log_ups=ask.checked("log_ups"),
            cadence_days=parse_cadence(ask.value("cadence")),
            webhook_url=ask.value("webhook_url"),
            webhook_events=ask.values("webhook_events"),
            at=ask.rt.clock.now(),
        )

    saved = await ask.change(change)
    if saved is None:
        return await _show(ask, dealership_id, saving=True)
    if saved["new_webhook_secret"]:
        # The webhook's first secret: shown on this answer, and never again.
        return await _show(ask, dealership_id, new_secret=saved["new_webhook_secret"])
    return ask.back(dealership_path(dealership_id, SECTION), "CRM settings saved.")


async def regenerate_secret(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    dealership_id: int = request.path_params["dealership_id"]

    async def change(session: AsyncSession) -> str:
        return await new_webhook_secret(session, ask.actor, dealership_id, at=ask.rt.clock.now())

    secret = await ask.change(change)
    return await _show(ask, dealership_id, new_secret=secret)


async def create_token(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    dealership_id: int = request.path_params["dealership_id"]

    async def change(session: AsyncSession) -> dict[str, Any]:
        return await create_api_token(
            session, ask.actor, dealership_id, ask.value("token_name"), at=ask.rt.clock.now()
        )

    created = await ask.change(change)
    return await _show(ask, dealership_id, new_token=created)


async def revoke_token(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    dealership_id: int = request.path_params["dealership_id"]
    token_id: int = request.path_params["token_id"]

    async def change(session: AsyncSession) -> bool:
        return await revoke_api_token(
            session, ask.actor, dealership_id, token_id, at=ask.rt.clock.now()
        )

    revoked = await ask.change(change)
    if revoked is None:
        return await _show(ask, dealership_id)
    notice = "Token revoked: it no longer opens the API." if revoked else "Already revoked."
    return ask.back(dealership_path(dealership_id, SECTION) + "#tokens", notice)


async def send_a_test_lead(request: Request) -> Response:
    """Send a test lead now to every target, and show what each said."""
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    dealership_id: int = request.path_params["dealership_id"]
    now = ask.rt.clock.now()

    async def plan(session: AsyncSession) -> TestLeadPlan:
        await dealership_for(session, ask.actor, dealership_id)  # before reading anything
        planned = await plan_test_lead(session, dealership_id, at=now, requested_by=ask.actor.name)
        await record_test_lead(
            session,
            ask.actor,
            dealership_id,
            addresses=list(planned.addresses),
            webhook_url=planned.webhook_url,
            at=now,
        )
        return planned

    planned = await ask.change(plan)
    if planned is None:
        return await _show(ask, dealership_id)
    results = await send_test_lead(ask.rt.settings, planned) if planned.has_targets else []
    return await _show(ask, dealership_id, results=results)


def routes() -> list[BaseRoute]:
    path = "/console/settings/dealerships/{dealership_id:int}/crm"
    return [
        Route(path, crm_page, methods=["GET"]),
        Route(path, save_crm, methods=["POST"]),
        Route(path + "/webhook-secret", regenerate_secret, methods=["POST"]),
        Route(path + "/tokens", create_token, methods=["POST"]),
        Route(path + "/tokens/{token_id:int}/revoke", revoke_token, methods=["POST"]),
        Route(path + "/test-lead", send_a_test_lead, methods=["POST"]),
    ]
