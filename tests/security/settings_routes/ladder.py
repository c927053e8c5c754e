"""Access-matrix entries and forged-request targets of the ladder settings page.

A's manager (and the platform admin) read and change A's ladder; B's is 404 to A's manager,
as is every dealership to a pool manager; salespeople and receptionists get 403. A refused
change (a store window out of range) is a 400 that saves nothing: the GET after it never
shows the refused value.
"""

from __future__ import annotations

import httpx
from sqlalchemy import update

from chat_server.store.database import open_database
from chat_server.store.models import Dealership
from tests.security.conftest import QUINN, World
from tests.security.matrix_kit import REDIRECT, SIGN_IN, Case, Outcome, Target, console

PAGE = "/console/settings/dealerships/{dealership_id:int}/ladder"
FORM = {
    "strategy": "ring_all",
    "store_window_s": "20",
    "round_robin_step_s": "8",
    "sticky_s": "8",
    "after_hours": "store_first",
    "pool_window_s": "25",
    "capture_window_s": "300",
    "grace_s": "60",
    "text_after_s": "8",
}
REFUSED_WINDOW = "599.5x"  # not a number: refused on the field, shown back only in that answer


def refused(manager: Outcome, admin: Outcome) -> dict[str, Outcome]:
    return console(SIGN_IN, 403, manager, 403, pool_manager=404, admin=admin)


MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    ("POST", PAGE): (
        Case(
            "/console/settings/dealerships/{a_id}/ladder",
            refused(400, 400),
            form={**FORM, "store_window_s": REFUSED_WINDOW},
            note="a refused change: 400 with the message on the field, nothing saved",
        ),
        Case("/console/settings/dealerships/{a_id}/ladder", refused(REDIRECT, REDIRECT), form=FORM),
        Case(
            "/console/settings/dealerships/{b_id}/ladder",
            refused(404, REDIRECT),
            form=FORM,
            note="B is not Morgan's; the platform admin manages every dealership",
        ),
        Case("/console/settings/dealerships/999999/ladder", refused(404, 404), form=FORM),
    ),
    ("GET", PAGE): (
        Case(
            "/console/settings/dealerships/{a_id}/ladder",
            refused(200, 200),
            never_shows=(REFUSED_WINDOW,),
        ),
        Case("/console/settings/dealerships/{b_id}/ladder", refused(404, 200)),
        Case("/console/settings/dealerships/999999/ladder", refused(404, 404)),
    ),
}

FORGED_WINDOW = 37.0


async def _store_window(world: World, value: float | None = None) -> float:
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        if value is not None:
            await session.execute(
                update(Dealership).where(Dealership.id == world.a_id).values(store_window_s=value)
            )
        return (await session.get_one(Dealership, world.a_id)).store_window_s


async def _reset(world: World) -> None:
    await _store_window(world, 20.0)


async def _changed(world: World, http: httpx.AsyncClient) -> bool:
    return await _store_window(world) == FORGED_WINDOW


CSRF: dict[tuple[str, str], Target] = {
    ("POST", PAGE): Target(
        "/console/settings/dealerships/{a_id}/ladder",
        {**FORM, "store_window_s": str(FORGED_WINDOW)},
        _changed,
        refused_with=(400, 403),
        prepare=_reset,
        who=QUINN,
    ),
}
