"""Access-matrix entries and forged-request targets of the receptionist's card page.

A's manager (and the platform admin) read and change A's card. The manager of the pool that
covers A reads it (without the form) but cannot change it; B, which the pool does not cover,
is 404 to both. Salespeople and receptionists get 403 here: receptionists read the card
beside each chat in the console. A refused card (a phone that is not one) is a 400 that
saves nothing.
"""

from __future__ import annotations

import httpx
from sqlalchemy import update

from chat_server.store.database import open_database
from chat_server.store.models import Dealership
from tests.security.conftest import QUINN, World
from tests.security.matrix_kit import SIGN_IN, Case, Outcome, Target, console

PAGE = "/console/settings/dealerships/{dealership_id:int}/card"
A = "/console/settings/dealerships/{a_id}/card"
B = "/console/settings/dealerships/{b_id}/card"
REFUSED_ADDRESS = "Matrix refused address"
REFUSED = {"address": REFUSED_ADDRESS, "phone": "not a phone", "notes": "matrix"}


def expect(manager: Outcome, pool_manager: Outcome, admin: Outcome) -> dict[str, Outcome]:
    return console(SIGN_IN, 403, manager, 403, pool_manager=pool_manager, admin=admin)


MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    ("POST", PAGE): (
        Case(
            A,
            expect(400, 404, 400),
            form=REFUSED,
            note="a refused card: 400 on the phone, nothing saved; the pool manager only reads",
        ),
        Case(B, expect(404, 404, 400), form=REFUSED, note="B is not Morgan's"),
    ),
    ("GET", PAGE): (
        Case(
            A,
            expect(200, 200, 200),
            never_shows=(REFUSED_ADDRESS,),
            note="the covering pool's manager reads A's card, without the form",
        ),
        Case(B, expect(404, 404, 200), note="B is not covered by Pat's pool"),
        Case("/console/settings/dealerships/999999/card", expect(404, 404, 404)),
    ),
}

ADDRESS = "1200 W Fullerton Ave, Chicago, IL 60614"
FORGED = "1 Forged Street"


async def _restore(world: World) -> None:
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        await session.execute(
            update(Dealership).where(Dealership.id == world.a_id).values(address=ADDRESS)
        )


async def _forged(world: World, http: httpx.AsyncClient) -> bool:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        return (await session.get_one(Dealership, world.a_id)).address == FORGED


CSRF: dict[tuple[str, str], Target] = {
    ("POST", PAGE): Target(
        A,
        {"address": FORGED, "phone": "(312) 555-0142", "notes": "Forged notes"},
        _forged,
        refused_with=(400, 403),
        prepare=_restore,
        who=QUINN,
    ),
}
