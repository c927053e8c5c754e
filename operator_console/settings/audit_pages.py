"""Settings: the audit log, i.e. who changed which setting, when, and from what to what.

Each reader sees the entries of what they manage (administration.audit.entries decides):
the admin every entry, a manager their dealerships', a pool manager their pool's. Times are
shown in the dealership's own time zone, named, and in UTC for the installation's entries.
Secrets were masked when the entry was written; nothing here unmasks them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chat_server.administration.platform import AuditLog, audit_log
from operator_console.settings.page_kit import not_found, settings_request

PATH = "/console/settings/audit"
PAGE_SIZE = 50
LONGEST_VALUE = 300  # characters of one value shown; a week of hours is long

# Plain words for an action, in the past tense (read as "Ada <did this>: <target>").
ACTIONS = {
    "dealership.create": "created the dealership",
    "dealership.rename": "renamed the dealership",
    "group.create": "created a group",
    "group.assign": "put the dealership in a group",
    "group.remove": "took the dealership out of its group",
    "pool.create": "created a receptionist pool",
    "pool.cover": "made the pool cover a dealership",
    "pool.uncover": "made the pool stop covering a dealership",
    "team.invite": "invited",
    "team.reinvite": "sent a new invitation to",
    "team.first_admin": "set up the first admin",
    "team.deactivate": "deactivated",
    "team.reactivate": "reactivated",
    "team.set": "changed the role or capacity of",
    "team.reset_password": "sent a password reset to",
    "account.password_set": "set their password",
    "hours.set": "changed the weekly hours",
    "hours.time_zone": "changed the time zone",
    "hours.add_exception": "added a holiday or special hours",
    "hours.remove_exception": "removed a holiday or special hours",
    "ladder.set": "changed the ladder",
    "widget.set": "changed the widget's look",
    "widget.origin_add": "allowed the widget on a website",
    "widget.origin_remove": "stopped the widget on a website",
    "canned.add": "added a canned reply",
    "canned.edit": "changed a canned reply",
    "canned.remove": "deleted a canned reply",
    "canned.move": "reordered the canned replies",
    "card.set": "changed the receptionist's card",
    "crm.set": "changed the CRM settings",
    "crm.webhook_secret": "made a new webhook secret",
    "api_token.create": "created an API token",
    "api_token.revoke": "revoked an API token",
}
# For the other pages' actions: what part of the settings, and what was done to it.
SUBJECTS = {
    "team": "the team",
    "hours": "the hours",
    "ladder": "the ladder",
    "widget": "the widget",
    "canned": "the canned replies",
    "crm": "the CRM settings",
    "api_token": "the API tokens",
    "webhook": "the webhook",
    "card": "the receptionist's card",
    "pool": "the pool",
    "group": "a group",
    "dealership": "the dealership",
}
# Field names that read badly as they are stored; the rest lose their underscores.
FIELDS = {
    "slug": "short name",
    "allowed_origins": "allowed websites",
    "crm_email": "CRM e-mail",
    "crm_addresses": "CRM addresses",
}
VERBS = {
    "add": "added to",
    "create": "added to",
    "invite": "invited someone to",
    "edit": "changed",
    "set": "changed",
    "update": "changed",
    "change": "changed",
    "remove": "removed from",
    "delete": "removed from",
    "move": "reordered",
    "reorder": "reordered",
    "deactivate": "deactivated someone in",
    "reactivate": "reactivated someone in",
    "revoke": "revoked one of",
}


def action_words(action: str) -> str:
    """``hours.set`` -> "changed the hours"; an action this page does not know is shown with
    its words as they are, rather than not at all."""
    if action in ACTIONS:
        return ACTIONS[action]
    subject, _, verb = action.partition(".")
    what = SUBJECTS.get(subject, subject.replace("_", " "))
    if verb in VERBS:
        return f"{VERBS[verb]} {what}"
    return f"{what}: {verb.replace('_', ' ')}" if verb else what


def shown(value: Any) -> str:
    """A changed value as text: lists joined, structures as compact JSON, long ones cut."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        text = ", ".join(str(v) for v in value) or "(none)"
    elif isinstance(value, dict | list):
        text = json.dumps(value, separators=(", ", ": "), ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= LONGEST_VALUE else text[: LONGEST_VALUE - 1] + "…"


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Row:
    id: int
    at_iso: str
    when: str  # in the dealership's zone, e.g. "2026-05-01 14:03 CDT"
    zone: str  # e.g. "America/Chicago", "UTC"
    who: str
    what: str
    target: str
    where: str  # the dealership's name, or "" for the installation's entries
    changes: tuple[Change, ...]


def row_of(entry: dict[str, Any], log: AuditLog) -> Row:
    dealership = log.dealerships.get(entry["dealership_id"] or 0)
    zone = dealership.time_zone if dealership else "UTC"
    at: datetime = entry["at"]
    local = at.astimezone(ZoneInfo(zone)) if dealership else at.astimezone(UTC)
    return Row(
        id=entry["id"],
        at_iso=at.astimezone(UTC).isoformat(timespec="seconds"),
        when=local.strftime("%Y-%m-%d %H:%M %Z"),
        zone=zone,
        who=entry["actor"] or "someone",
        what=action_words(entry["action"]),
        target=entry["target"],
        where=dealership.name if dealership else "",
        changes=tuple(
            Change(
                FIELDS.get(field, field.replace("_", " ")), shown(c.get("from")), shown(c.get("to"))
            )
            for field, c in (entry["changes"] or {}).items()
        ),
    )


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 19 else None


async def audit_page(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    raw_dealership = request.query_params.get("dealership", "")
    dealership_id = _int(raw_dealership)
    if raw_dealership and dealership_id is None:
        return not_found()
    before_id = _int(request.query_params.get("before"))

    async def read(session: AsyncSession) -> AuditLog:
        return await audit_log(
            session,
            ask.actor,
            before_id=before_id,
            dealership_id=dealership_id,
            limit=PAGE_SIZE,
        )

    log = await ask.read(read)
    kept = {"dealership": dealership_id} if dealership_id is not None else {}
    older = (
        f"{PATH}?{urlencode({**kept, 'before': log.older_than})}"
        if log.older_than is not None
        else None
    )
    return ask.render(
        "settings/audit.html",
        {
            "rows": [row_of(entry, log) for entry in log.entries],
            "choices": log.choices,
            "chosen": dealership_id,
            "older": older,
            "newest": (f"{PATH}?{urlencode(kept)}" if kept else PATH) if before_id else None,
            "notice": ask.notice(),
        },
    )


def routes() -> list[BaseRoute]:
    return [Route(PATH, audit_page)]
