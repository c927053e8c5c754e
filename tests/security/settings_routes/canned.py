"""Access-matrix entries and forged-request targets of the canned replies page.

A's manager (and the platform admin) read and change A's replies; B's page and a reply that
is not A's are 404 to A's manager, as is every dealership to a pool manager; salespeople and
receptionists get 403. A refused reply (an unknown placeholder) is a 400 that saves nothing:
the page never shows it afterwards.
"""

from __future__ import annotations

import httpx
from sqlalchemy import delete, select

from chat_server.store.database import open_database
from chat_server.store.models import CannedReply
from tests.security.conftest import QUINN, World
from tests.security.matrix_kit import SIGN_IN, Case, Outcome, Target, console

PAGE = "/console/settings/dealerships/{dealership_id:int}/canned"
A = "/console/settings/dealerships/{a_id}/canned"
B = "/console/settings/dealerships/{b_id}/canned"
REFUSED = {"title": "Matrix refused", "body": "Our best price is {price}"}
# Replies the forged-request tests act on: fixed ids, made afresh before each attempt.
EDITED, DELETED, UPPER, LOWER = 424301, 424302, 424303, 424304


def expect(manager: Outcome, admin: Outcome, pool_manager: Outcome = 404) -> dict[str, Outcome]:
    return console(SIGN_IN, 403, manager, 403, pool_manager=pool_manager, admin=admin)


MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    ("POST", PAGE): (
        Case(
            A,
            expect(400, 400),
            form=REFUSED,
            note="a refused reply: 400 with the message on the body, nothing saved",
        ),
        Case(B, expect(404, 400), form=REFUSED, note="B is not Morgan's"),
    ),
    ("GET", PAGE): (
        Case(A, expect(200, 200), never_shows=("Matrix refused",)),
        Case(B, expect(404, 200)),
        Case("/console/settings/dealerships/999999/canned", expect(404, 404)),
    ),
    ("POST", PAGE + "/{reply_id:int}"): (
        Case(A + "/999999", expect(404, 404), form={"title": "x", "body": "y"}),
        Case(B + "/999999", expect(404, 404), form={"title": "x", "body": "y"}),
    ),
    ("POST", PAGE + "/{reply_id:int}/delete"): (
        Case(A + "/999999/delete", expect(404, 404)),
        Case(B + "/999999/delete", expect(404, 404)),
    ),
    ("POST", PAGE + "/{reply_id:int}/move"): (
        Case(A + "/999999/move", expect(404, 404), form={"direction": "up"}),
        Case(B + "/999999/move", expect(404, 404), form={"direction": "up"}),
    ),
}


async def _replies(world: World) -> dict[int, CannedReply]:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        rows = await session.scalars(
            select(CannedReply).where(CannedReply.dealership_id == world.a_id)
        )
        return {row.id: row for row in rows}


async def _put(world: World, *replies: tuple[int, str, int]) -> None:
    """(id, title, position): each reply of A made again as given."""
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        await session.execute(delete(CannedReply).where(CannedReply.title == "Forged reply"))
        for reply_id, title, position in replies:
            await session.execute(delete(CannedReply).where(CannedReply.id == reply_id))
            await session.flush()
            session.add(
                CannedReply(
                    id=reply_id,
                    dealership_id=world.a_id,
                    title=title,
                    body="CSRF target",
                    position=position,
                )
            )


async def _fresh_edit(world: World) -> None:
    await _put(world, (EDITED, "Edit me", 9000))


async def _fresh_delete(world: World) -> None:
    await _put(world, (DELETED, "Delete me", 9000))


async def _fresh_pair(world: World) -> None:
    await _put(world, (UPPER, "Upper", 9000), (LOWER, "Lower", 9001))


async def _added(world: World, http: httpx.AsyncClient) -> bool:
    return any(r.title == "Forged reply" for r in (await _replies(world)).values())


async def _edited(world: World, http: httpx.AsyncClient) -> bool:
    return (await _replies(world))[EDITED].title == "Forged title"


async def _deleted(world: World, http: httpx.AsyncClient) -> bool:
    return DELETED not in await _replies(world)


async def _moved(world: World, http: httpx.AsyncClient) -> bool:
    replies = await _replies(world)
    return replies[LOWER].position < replies[UPPER].position


async def _no_forged_reply(world: World) -> None:
    await _put(world)


CSRF: dict[tuple[str, str], Target] = {
    ("POST", PAGE): Target(
        A,
        {"title": "Forged reply", "body": "Hello from {dealership}"},
        _added,
        refused_with=(400, 403),
        prepare=_no_forged_reply,
        who=QUINN,
    ),
    ("POST", PAGE + "/{reply_id:int}"): Target(
        f"{A}/{EDITED}",
        {"title": "Forged title", "body": "CSRF target"},
        _edited,
        refused_with=(400, 403),
        prepare=_fresh_edit,
        who=QUINN,
    ),
    ("POST", PAGE + "/{reply_id:int}/delete"): Target(
        f"{A}/{DELETED}/delete",
        {},
        _deleted,
        refused_with=(400, 403),
        prepare=_fresh_delete,
        who=QUINN,
    ),
    ("POST", PAGE + "/{reply_id:int}/move"): Target(
        f"{A}/{LOWER}/move",
        {"direction": "up"},
        _moved,
        refused_with=(400, 403),
        prepare=_fresh_pair,
        who=QUINN,
    ),
}
