"""Access-matrix entries and forged-request targets of the widget settings page.

A's manager (and the platform admin) read and change A's widget: its look and its allowed
origins. B's is 404 to A's manager, as is every dealership to a pool manager; salespeople and
receptionists get 403. Refused changes (a colour white text cannot be read on, an origin with
a path) are 400s that save nothing: the GET after them never shows the refused values.
"""

from __future__ import annotations

import httpx
from sqlalchemy import update

from chat_server.store.database import open_database
from chat_server.store.models import Dealership
from tests.security.conftest import QUINN, World
from tests.security.matrix_kit import REDIRECT, SIGN_IN, Case, Outcome, Target, console

PAGE = "/console/settings/dealerships/{dealership_id:int}/widget"
ADD = f"{PAGE}/origins"
REMOVE = f"{PAGE}/origins/remove"
LOOK = {
    "color": "#0b5cad",
    "greeting": "Hi! How can we help?",
    "language": "en",
    "side": "right",
    "logo_url": "",
}
REFUSED_COLOR = "#fffe01"  # white text on it: about 1:1
REFUSED_ORIGIN = "https://matrix.example/refused-path"
MATRIX_ORIGIN = "https://matrix.example"


def refused(manager: Outcome, admin: Outcome) -> dict[str, Outcome]:
    return console(SIGN_IN, 403, manager, 403, pool_manager=404, admin=admin)


def _path(where: str, tail: str = "") -> str:
    return f"/console/settings/dealerships/{where}/widget{tail}"


MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    ("POST", PAGE): (
        Case(
            _path("{a_id}"),
            refused(400, 400),
            form={**LOOK, "color": REFUSED_COLOR},
            note="too light for white text: 400 on the colour field, nothing saved",
        ),
        Case(_path("{a_id}"), refused(REDIRECT, REDIRECT), form=LOOK),
        Case(_path("{b_id}"), refused(404, REDIRECT), form=LOOK, note="B is not Morgan's"),
        Case(_path("999999"), refused(404, 404), form=LOOK),
    ),
    ("POST", ADD): (
        Case(
            _path("{a_id}", "/origins"),
            refused(400, 400),
            form={"origin": REFUSED_ORIGIN},
            note="an origin has no path: 400 on the field, nothing saved",
        ),
        # Morgan adds it; the admin, next, is told it is already there.
        Case(_path("{a_id}", "/origins"), refused(REDIRECT, 400), form={"origin": MATRIX_ORIGIN}),
        Case(
            _path("{b_id}", "/origins"),
            refused(404, 400),
            form={"origin": ""},
            note="B: 404 to Morgan; the admin gave no origin",
        ),
    ),
    ("POST", REMOVE): (
        # Morgan removes it; the admin, next, is told it is not there.
        Case(
            _path("{a_id}", "/origins/remove"),
            refused(REDIRECT, 400),
            form={"origin": MATRIX_ORIGIN},
        ),
        Case(
            _path("{b_id}", "/origins/remove"),
            refused(404, 400),
            form={"origin": "https://not-there.example"},
        ),
    ),
    ("GET", PAGE): (
        Case(
            _path("{a_id}"),
            refused(200, 200),
            never_shows=(REFUSED_COLOR, REFUSED_ORIGIN),
        ),
        Case(_path("{b_id}"), refused(404, 200)),
        Case(_path("999999"), refused(404, 404)),
    ),
}

FORGED_GREETING = "Forged greeting"
FORGED_ORIGIN = "https://forged.example"
VICTIM_ORIGIN = "https://victim.example"


async def _a(world: World, **values: object) -> Dealership:
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        if values:
            await session.execute(
                update(Dealership).where(Dealership.id == world.a_id).values(**values)
            )
        return await session.get_one(Dealership, world.a_id)


async def _origins(world: World) -> list[str]:
    return list((await _a(world)).allowed_origins or [])


async def _greeting_reset(world: World) -> None:
    await _a(world, greeting="Hi! How can we help?")


async def _greeting_forged(world: World, http: httpx.AsyncClient) -> bool:
    return (await _a(world)).greeting == FORGED_GREETING


async def _without_forged(world: World) -> None:
    await _a(world, allowed_origins=[o for o in await _origins(world) if o != FORGED_ORIGIN])


async def _forged_added(world: World, http: httpx.AsyncClient) -> bool:
    return FORGED_ORIGIN in await _origins(world)


async def _with_victim(world: World) -> None:
    origins = await _origins(world)
    if VICTIM_ORIGIN not in origins:
        await _a(world, allowed_origins=[*origins, VICTIM_ORIGIN])


async def _victim_removed(world: World, http: httpx.AsyncClient) -> bool:
    return VICTIM_ORIGIN not in await _origins(world)


CSRF: dict[tuple[str, str], Target] = {
    ("POST", PAGE): Target(
        _path("{a_id}"),
        {**LOOK, "greeting": FORGED_GREETING},
        _greeting_forged,
        refused_with=(400, 403),
        prepare=_greeting_reset,
        who=QUINN,
    ),
    ("POST", ADD): Target(
        _path("{a_id}", "/origins"),
        {"origin": FORGED_ORIGIN},
        _forged_added,
        refused_with=(400, 403),
        prepare=_without_forged,
        who=QUINN,
    ),
    ("POST", REMOVE): Target(
        _path("{a_id}", "/origins/remove"),
        {"origin": VICTIM_ORIGIN},
        _victim_removed,
        refused_with=(400, 403),
        prepare=_with_victim,
        who=QUINN,
    ),
}
