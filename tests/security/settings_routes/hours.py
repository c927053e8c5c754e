"""Access-matrix entries and forged-request targets of a dealership's Hours page.

A's managers and the platform admin read and change A's hours; B's are the admin's alone (404
to A's manager, as for an id that does not exist); a pool manager manages no store (404);
salespeople and receptionists have no settings at all (403). The matrix's changes touch only
A's parts department, a date years ahead and A's own time zone, so the rest of the module's
world keeps its hours. The forged requests are Quinn's (a second manager of A).
"""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from chat_server.store.database import open_database
from chat_server.store.models import Dealership
from tests.security.conftest import QUINN, World
from tests.security.matrix_kit import REDIRECT, SIGN_IN, Case, Outcome, Target, console

PAGE = "/console/settings/dealerships/{dealership_id:int}/hours"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Dates far enough ahead never to have passed, near enough to be accepted (3 years).
AHEAD = date.today() + timedelta(days=700)
MATRIX_DATE = AHEAD.isoformat()
FORGED_ADD = (AHEAD + timedelta(days=1)).isoformat()
FORGED_REMOVE = (AHEAD + timedelta(days=2)).isoformat()


def settings(manager: Outcome, admin: Outcome, pool_manager: Outcome = 404) -> dict[str, Outcome]:
    return console(SIGN_IN, 403, manager, 403, pool_manager=pool_manager, admin=admin)


def path(dealership: str, tail: str = "") -> str:
    return f"/console/settings/dealerships/{{{dealership}}}/hours{tail}"


PARTS_ALL_DAY = {"department": "parts", **{f"parts_{day}_all_day": "on" for day in DAYS}}
ADD_CLOSURE = {"form": "exception", "date": MATRIX_DATE, "departments": "parts",
               "kind": "closed", "label": "Matrix"}  # fmt: skip

MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    ("GET", PAGE): (
        Case(path("a_id"), settings(200, 200)),
        Case(path("b_id"), settings(404, 200), note="B is not A's manager's"),
        Case("/console/settings/dealerships/999999/hours", settings(404, 404)),
    ),
    ("POST", f"{PAGE}/week"): (
        Case(path("a_id", "/week"), settings(REDIRECT, REDIRECT), form=PARTS_ALL_DAY),
        Case(
            path("a_id", "/week"),
            settings(400, 400),
            form={
                **PARTS_ALL_DAY,
                "parts_mon_all_day": "",
                "parts_mon_open_1": "25:00",
                "parts_mon_close_1": "18:00",
            },
            note="a refused week: 400, nothing saved",
        ),
        Case(path("b_id", "/week"), settings(404, REDIRECT), form=PARTS_ALL_DAY),
    ),
    ("POST", f"{PAGE}/time-zone"): (
        Case(
            path("a_id", "/time-zone"),
            settings(REDIRECT, REDIRECT),
            form={"time_zone": "America/Chicago"},
        ),
        Case(path("a_id", "/time-zone"), settings(400, 400), form={"time_zone": "Mars/Olympus"}),
        Case(
            path("b_id", "/time-zone"),
            settings(404, REDIRECT),
            form={"time_zone": "America/New_York"},
        ),
    ),
    ("POST", f"{PAGE}/exceptions"): (
        Case(
            path("a_id", "/exceptions"),
            settings(REDIRECT, REDIRECT),
            form=ADD_CLOSURE,
            note="the admin adds the very same closure again: no change, no error",
        ),
        Case(
            path("a_id", "/exceptions"),
            settings(400, 400),
            form={**ADD_CLOSURE, "date": "2025-02-30"},
        ),
        Case(path("b_id", "/exceptions"), settings(404, REDIRECT), form=ADD_CLOSURE),
    ),
    ("POST", f"{PAGE}/exceptions/remove"): (
        Case(
            path("a_id", "/exceptions/remove"),
            settings(REDIRECT, REDIRECT),
            form={"date": MATRIX_DATE, "departments": "parts"},
            note="the second removal finds nothing left and says so",
        ),
        Case(
            path("b_id", "/exceptions/remove"),
            settings(404, REDIRECT),
            form={"date": MATRIX_DATE, "departments": "parts"},
        ),
    ),
}


# --- forged requests: each prepares A so that the change would show, then looks for it ----


async def _update_a(world: World, **values: object) -> None:
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        row = await session.get_one(Dealership, world.a_id)
        for name, value in values.items():
            setattr(row, name, value)


async def _a(world: World) -> Dealership:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        return await session.get_one(Dealership, world.a_id)


async def _parts_open_on_monday(world: World) -> None:
    row = await _a(world)
    await _update_a(world, hours={**row.hours, "parts": {d: [["00:00", "24:00"]] for d in DAYS}})


async def _parts_closed_on_monday(world: World, http: httpx.AsyncClient) -> bool:
    return (await _a(world)).hours["parts"]["mon"] == []


async def _central_time(world: World) -> None:
    await _update_a(world, time_zone="America/Chicago")


async def _zone_changed(world: World, http: httpx.AsyncClient) -> bool:
    # Winnipeg keeps Chicago's clocks: the rest of the module's world reads the same hours.
    return (await _a(world)).time_zone == "America/Winnipeg"


def _without(dated: list[dict[str, object]], day: str) -> list[dict[str, object]]:
    return [item for item in dated if item["date"] != day]


async def _no_forged_closure(world: World) -> None:
    await _update_a(world, dated_hours=_without((await _a(world)).dated_hours, FORGED_ADD))


async def _forged_closure_added(world: World, http: httpx.AsyncClient) -> bool:
    return any(item["date"] == FORGED_ADD for item in (await _a(world)).dated_hours)


async def _closure_to_remove(world: World) -> None:
    dated = _without((await _a(world)).dated_hours, FORGED_REMOVE)
    closure = {"date": FORGED_REMOVE, "departments": ["parts"], "ranges": [], "label": ""}
    await _update_a(world, dated_hours=sorted([*dated, closure], key=lambda item: item["date"]))


async def _closure_removed(world: World, http: httpx.AsyncClient) -> bool:
    return not any(item["date"] == FORGED_REMOVE for item in (await _a(world)).dated_hours)


CSRF: dict[tuple[str, str], Target] = {
    ("POST", f"{PAGE}/week"): Target(
        path("a_id", "/week"),
        {**PARTS_ALL_DAY, "parts_mon_all_day": "", "parts_mon_closed": "on"},
        _parts_closed_on_monday,
        refused_with=(400, 403),
        prepare=_parts_open_on_monday,
        who=QUINN,
    ),
    ("POST", f"{PAGE}/time-zone"): Target(
        path("a_id", "/time-zone"),
        {"time_zone": "America/Winnipeg"},
        _zone_changed,
        refused_with=(400, 403),
        prepare=_central_time,
        who=QUINN,
    ),
    ("POST", f"{PAGE}/exceptions"): Target(
        path("a_id", "/exceptions"),
        {**ADD_CLOSURE, "date": FORGED_ADD},
        _forged_closure_added,
        refused_with=(400, 403),
        prepare=_no_forged_closure,
        who=QUINN,
    ),
    ("POST", f"{PAGE}/exceptions/remove"): Target(
        path("a_id", "/exceptions/remove"),
        {"date": FORGED_REMOVE, "departments": "parts"},
        _closure_removed,
        refused_with=(400, 403),
        prepare=_closure_to_remove,
        who=QUINN,
    ),
}
