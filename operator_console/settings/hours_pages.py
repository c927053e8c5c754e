"""Settings: a dealership's hours. Weekly hours per department, the time zone they are read
in, and dated exceptions (holidays, closures, special hours), with each department's "open
now" or next opening at the top.

Each form posts to a path of its own and comes back with 303 (post/redirect/get), or
re-renders with 400, what was typed, and the message beside the field that is wrong.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chat_server.administration import hours
from chat_server.administration.platform import time_zones
from chat_server.administration.scope import dealership_for
from chat_server.ladder.hours import DAYS, DEPARTMENTS
from operator_console.settings.index_pages import DEALERSHIP_SECTIONS, dealership_path
from operator_console.settings.page_kit import SettingsRequest, settings_request

PATH = "/console/settings/dealerships/{dealership_id:int}/hours"
SECTION = "hours"
RANGE_FIELDS = ("open_1", "close_1", "open_2", "close_2")


async def hours_page(request: Request) -> Response:
    ask = await settings_request(request)
    if isinstance(ask, Response):
        return ask
    return await _page(ask, request.path_params["dealership_id"])


async def _page(ask: SettingsRequest, dealership_id: int) -> Response:
    async def read(session: AsyncSession) -> hours.HoursSettings:
        return await hours.hours_settings(session, ask.actor, dealership_id, ask.rt.clock.now())

    shown = await ask.read(read)
    sent = ask.value("department") if ask.form is not None else ""
    return ask.render(
        "settings/hours.html",
        {
            "dealership": {"id": shown.dealership_id, "name": shown.dealership_name},
            "sections": DEALERSHIP_SECTIONS,
            "section": SECTION,
            "hours": shown,
            "weeks": {d.department: _week_values(ask, d, sent) for d in shown.departments},
            "exception": _exception_values(ask),
            "time_zone": ask.value("time_zone") if "time_zone" in ask.errors else shown.time_zone,
            "time_zones": time_zones(),
            "notice": ask.notice(),
        },
    )


def _week_values(
    ask: SettingsRequest, department: hours.DepartmentHours, sent: str
) -> list[dict[str, Any]]:
    """Each day's fields: what was typed when this department's form was refused, else what
    is stored."""
    rows = []
    for day in department.days:
        prefix = f"{department.department}_{day.day}"
        if ask.form is not None and sent == department.department:
            values = {name: ask.value(f"{prefix}_{name}") for name in RANGE_FIELDS}
            closed, all_day = ask.checked(f"{prefix}_closed"), ask.checked(f"{prefix}_all_day")
        else:
            ranges = () if day.all_day else day.ranges
            flat = [clock for pair in ranges for clock in pair]
            values = dict(zip(RANGE_FIELDS, [*flat, "", "", "", ""], strict=False))
            closed, all_day = day.closed, day.all_day
        rows.append(
            {"day": day.day, "title": day.title, "prefix": prefix, "closed": closed,
             "all_day": all_day, **values}
        )  # fmt: skip
    return rows


def _exception_values(ask: SettingsRequest) -> dict[str, Any]:
    """The add-an-exception form: what was typed when it was refused, else empty."""
    if ask.form is None or ask.value("form") != "exception":
        return {"date": "", "departments": ["sales"], "kind": "closed", "label": "",
                **dict.fromkeys(RANGE_FIELDS, "")}  # fmt: skip
    return {
        "date": ask.value("date"),
        "departments": ask.values("departments"),
        "kind": "special" if ask.value("kind") == "special" else "closed",
        "label": ask.value("label"),
        **{name: ask.value(name) for name in RANGE_FIELDS},
    }


Change = Callable[[SettingsRequest, AsyncSession, int], Awaitable[str]]


def _form(change: Change) -> Callable[[Request], Awaitable[Response]]:
    """A POST handler: ``change`` runs in one transaction and returns the notice to show."""

    async def handle(request: Request) -> Response:
        ask = await settings_request(request)
        if isinstance(ask, Response):
            return ask
        dealership_id = request.path_params["dealership_id"]

        async def run(session: AsyncSession) -> str:
            return await change(ask, session, dealership_id)

        notice = await ask.change(run)
        if notice is None:
            return await _page(ask, dealership_id)
        return ask.back(dealership_path(dealership_id, SECTION), notice)

    return handle


async def _save_week(ask: SettingsRequest, session: AsyncSession, dealership_id: int) -> str:
    await dealership_for(session, ask.actor, dealership_id)  # scope first: B's is a 404
    department = hours.check_department(ask.value("department"))
    week = {}
    for day in DAYS:
        prefix = f"{department}_{day}"
        week[day] = hours.DayInput(
            closed=ask.checked(f"{prefix}_closed"),
            all_day=ask.checked(f"{prefix}_all_day"),
            ranges=(
                (ask.value(f"{prefix}_open_1"), ask.value(f"{prefix}_close_1")),
                (ask.value(f"{prefix}_open_2"), ask.value(f"{prefix}_close_2")),
            ),
        )
    await hours.set_week(session, ask.actor, dealership_id, department, week, at=ask.rt.clock.now())
    return f"{hours.DEPARTMENT_TITLES[department]} hours saved."


async def _save_time_zone(ask: SettingsRequest, session: AsyncSession, dealership_id: int) -> str:
    name = await hours.set_time_zone(
        session, ask.actor, dealership_id, ask.value("time_zone"), at=ask.rt.clock.now()
    )
    return f"Hours are now read in {name}."


async def _add_exception(ask: SettingsRequest, session: AsyncSession, dealership_id: int) -> str:
    special = ask.value("kind") == "special"
    item = await hours.add_exception(
        session,
        ask.actor,
        dealership_id,
        day=ask.value("date"),
        departments=[d for d in ask.values("departments") if d],
        closed=not special,
        ranges=(
            (ask.value("open_1"), ask.value("close_1")),
            (ask.value("open_2"), ask.value("close_2")),
        ),
        label=ask.value("label"),
        now=ask.rt.clock.now(),
    )
    row = hours.exception_row(item)
    what = row.hours_text if special else "closed"
    label = f" ({row.label})" if row.label else ""
    return f"{row.date_text}: {row.department_titles} {what}{label}."


async def _remove_exception(ask: SettingsRequest, session: AsyncSession, dealership_id: int) -> str:
    count = await hours.remove_exception(
        session,
        ask.actor,
        dealership_id,
        day=ask.value("date"),
        departments=[d for d in ask.values("departments") if d in DEPARTMENTS],
        at=ask.rt.clock.now(),
    )
    if not count:
        return "That exception was already removed."
    return "Exception removed: that date keeps its weekly hours again."


def routes() -> list[BaseRoute]:
    return [
        Route(PATH, hours_page, methods=["GET"]),
        Route(f"{PATH}/week", _form(_save_week), methods=["POST"]),
        Route(f"{PATH}/time-zone", _form(_save_time_zone), methods=["POST"]),
        Route(f"{PATH}/exceptions", _form(_add_exception), methods=["POST"]),
        Route(f"{PATH}/exceptions/remove", _form(_remove_exception), methods=["POST"]),
    ]
