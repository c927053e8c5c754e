"""Access-matrix entries and forged-request targets of a pool's coverage page.

The platform admin changes coverage; the pool's own manager reads it and is told so (400) if
they try to change it; a pool manager reaching for another pool, and every store's staff,
get 404. The forged requests change pool Q's coverage of their own dealership.
"""

from __future__ import annotations

import httpx
from sqlalchemy import select

from chat_server.store.database import open_database
from chat_server.store.models import PoolCoverage
from tests.security.conftest import ADA, World
from tests.security.matrix_kit import SIGN_IN, Case, Outcome, Target, console
from tests.security.settings_routes.platform import target_dealership

POOL = "/console/settings/pools/{pool_id:int}"


def refused(pool_manager: Outcome, admin: Outcome) -> dict[str, Outcome]:
    return console(SIGN_IN, 403, 404, 403, pool_manager=pool_manager, admin=admin)


MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    ("GET", POOL): (
        Case("/console/settings/pools/{pool_p}", refused(200, 200)),
        Case("/console/settings/pools/{pool_q}", refused(404, 200), note="not Pat's pool"),
        Case("/console/settings/pools/999999", refused(404, 404)),
    ),
    **{
        ("POST", f"{POOL}/{change}"): (
            Case(
                f"/console/settings/pools/{{pool_p}}/{change}",
                refused(400, 404),
                form={"dealership": "999999"},
                note="Pat reads the coverage but is told only the admin changes it; "
                "the admin names no dealership that exists",
            ),
            Case(
                f"/console/settings/pools/{{pool_q}}/{change}",
                refused(404, 400),
                form={"dealership": ""},
                note="another pool: 404 to Pat; the admin chose no dealership",
            ),
        )
        for change in ("cover", "uncover")
    },
}

FORM = {"dealership": ""}


async def _set_coverage(world: World, covered: bool) -> None:
    dealership_id = await target_dealership(world)
    FORM["dealership"] = str(dealership_id)
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        found = await session.get(PoolCoverage, (world.pool_q, dealership_id))
        if covered and found is None:
            session.add(PoolCoverage(pool_id=world.pool_q, dealership_id=dealership_id))
        elif not covered and found is not None:
            await session.delete(found)


async def _covered(world: World) -> bool:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        found = await session.scalar(
            select(PoolCoverage.dealership_id).where(
                PoolCoverage.pool_id == world.pool_q,
                PoolCoverage.dealership_id == int(FORM["dealership"]),
            )
        )
    return found is not None


async def _not_covered_yet(world: World) -> None:
    await _set_coverage(world, covered=False)


async def _covered_already(world: World) -> None:
    await _set_coverage(world, covered=True)


async def _now_covered(world: World, http: httpx.AsyncClient) -> bool:
    return await _covered(world)


async def _no_longer_covered(world: World, http: httpx.AsyncClient) -> bool:
    return not await _covered(world)


CSRF: dict[tuple[str, str], Target] = {
    ("POST", f"{POOL}/cover"): Target(
        "/console/settings/pools/{pool_q}/cover",
        FORM,
        _now_covered,
        refused_with=(400, 403),
        prepare=_not_covered_yet,
        who=ADA,
    ),
    ("POST", f"{POOL}/uncover"): Target(
        "/console/settings/pools/{pool_q}/uncover",
        FORM,
        _no_longer_covered,
        refused_with=(400, 403),
        prepare=_covered_already,
        who=ADA,
    ),
}
