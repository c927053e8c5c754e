"""Access-matrix entries and forged-request targets of the team pages (a dealership's team, a
pool's receptionists) and of the one-time account link pages (set a password, set up the
first admin), whose link is the key: anyone gets 404 for a link that is not one.

The matrix's POST cases are refusals (a bad field, another tenant, someone not of this
workplace), so they change nothing in the shared world; the forged-request targets act on
people of their own, made with fixed ids before each attempt.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from chat_server.administration.account_links import token_hash
from chat_server.store.database import open_database
from chat_server.store.models import AccountLink, Operator
from tests.security.conftest import ADA, QUINN
from tests.security.matrix_kit import SIGN_IN, Case, Target, console, everyone

if TYPE_CHECKING:
    import httpx

    from tests.security.conftest import World

A_TEAM = "/console/settings/dealerships/{dealership_id:int}/team"
POOL_TEAM = "/console/settings/pools/{pool_id:int}/team"
SET_PASSWORD = "/console/set-password/{token}"
SETUP = "/console/setup/{token}"
BAD_INVITE = {"name": "Matrix Person", "email": "not an address", "role": "salesperson"}
BAD_CAPACITY = {"role": "salesperson", "capacity": "99"}
NEW_PASSWORD = "a forged new password"

MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    ("GET", A_TEAM): (
        Case(
            "/console/settings/dealerships/{a_id}/team",
            console(SIGN_IN, 403, 200, 403, pool_manager=404, admin=200),
        ),
        Case(
            "/console/settings/dealerships/{b_id}/team",
            console(SIGN_IN, 403, 404, 403, pool_manager=404, admin=200),
            note="B's people: the platform admin's to see, not A's manager's",
        ),
        Case(
            "/console/settings/dealerships/999999/team",
            console(SIGN_IN, 403, 404, 403, pool_manager=404, admin=404),
        ),
    ),
    ("POST", A_TEAM + "/invite"): (
        Case(
            "/console/settings/dealerships/{a_id}/team/invite",
            console(SIGN_IN, 403, 400, 403, pool_manager=404, admin=400),
            form=BAD_INVITE,
            note="a bad e-mail: told on the field, nobody invited",
        ),
        Case(
            "/console/settings/dealerships/{b_id}/team/invite",
            console(SIGN_IN, 403, 404, 403, pool_manager=404, admin=400),
            form=BAD_INVITE,
        ),
    ),
    ("POST", A_TEAM + "/{operator_id:int}/{action:str}"): (
        Case(
            "/console/settings/dealerships/{a_id}/team/{bea_id}/deactivate",
            console(SIGN_IN, 403, 404, 403, pool_manager=404, admin=404),
            note="Bea works at B: A's page cannot name her, not even for the admin",
        ),
        Case(
            "/console/settings/dealerships/{b_id}/team/{bea_id}/set",
            console(SIGN_IN, 403, 404, 403, pool_manager=404, admin=400),
            form=BAD_CAPACITY,
            note="B's salesperson: A's manager is refused before any change; the admin is "
            "told the capacity is wrong, and nothing changes",
        ),
        Case(
            "/console/settings/dealerships/{b_id}/team/{bea_id}/no-such-action",
            console(SIGN_IN, 403, 404, 403, pool_manager=404, admin=404),
        ),
    ),
    ("GET", POOL_TEAM): (
        Case(
            "/console/settings/pools/{pool_p}/team",
            console(SIGN_IN, 403, 404, 403, pool_manager=200, admin=200),
        ),
        Case(
            "/console/settings/pools/{pool_q}/team",
            console(SIGN_IN, 403, 404, 403, pool_manager=404, admin=200),
        ),
    ),
    ("POST", POOL_TEAM + "/invite"): (
        Case(
            "/console/settings/pools/{pool_p}/team/invite",
            console(SIGN_IN, 403, 404, 403, pool_manager=400, admin=400),
            form={**BAD_INVITE, "role": "receptionist"},
        ),
        Case(
            "/console/settings/pools/{pool_q}/team/invite",
            console(SIGN_IN, 403, 404, 403, pool_manager=404, admin=400),
            form={**BAD_INVITE, "role": "receptionist"},
        ),
    ),
    ("POST", POOL_TEAM + "/{operator_id:int}/{action:str}"): (
        Case(
            "/console/settings/pools/{pool_p}/team/{bea_id}/deactivate",
            console(SIGN_IN, 403, 404, 403, pool_manager=404, admin=404),
            note="a store's salesperson is no receptionist of the pool",
        ),
        Case(
            "/console/settings/pools/{pool_q}/team/{bea_id}/set",
            console(SIGN_IN, 403, 404, 403, pool_manager=404, admin=404),
            form=BAD_CAPACITY,
        ),
    ),
    # The link is the key: no session is asked for, and a link that is not one opens nothing
    # (a used or expired one answers 410: tests/administration/test_team_pages.py).
    ("GET", SET_PASSWORD): (Case("/console/set-password/not-a-link", everyone(404)),),
    ("POST", SET_PASSWORD): (
        Case(
            "/console/set-password/not-a-link",
            everyone(404),
            form={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        ),
    ),
    ("GET", SETUP): (Case("/console/setup/not-a-link", everyone(404)),),
    ("POST", SETUP): (
        Case(
            "/console/setup/not-a-link",
            everyone(404),
            form={
                "name": "Mallory",
                "email": "mallory@example.com",
                "password": NEW_PASSWORD,
                "confirm_password": NEW_PASSWORD,
            },
        ),
    ),
}


# --- forged requests: people and links of their own, with fixed ids ---------------------------

STORE_TARGET = 424243  # a salesperson of A
POOL_TARGET = 424244  # a receptionist of Night Owl BDC
LINK_TARGET = 424245  # an invited salesperson of A, with a link
INVITE_EMAIL = "forged-invitee@example.com"
POOL_INVITE_EMAIL = "forged-receptionist@example.com"
LINK_TOKEN = "forged-request-target-link-0123456789abcdefghijklmnopq"
SETUP_TOKEN = "forged-request-target-setup-0123456789abcdefghijklmnopq"


async def _person(
    world: World, operator_id: int, role: str, *, dealership: bool, password_hash: str = "x"
) -> None:
    """This person, active again, whatever an earlier attempt did to them."""
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        row = await session.get(Operator, operator_id)
        if row is None:
            row = Operator(
                id=operator_id,
                email=f"forgery-target-{operator_id}@example.com",
                name=f"Forgery Target {operator_id}",
                role=role,
                password_hash=password_hash,
                dealership_id=world.a_id if dealership else None,
                pool_id=None if dealership else world.pool_p,
                capacity=3,
            )
            session.add(row)
        row.active, row.deactivated_at = True, None


async def _active(world: World, operator_id: int) -> bool:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        return bool(await session.scalar(select(Operator.active).where(Operator.id == operator_id)))


async def _store_target(world: World) -> None:
    await _person(world, STORE_TARGET, "salesperson", dealership=True)


async def _pool_target(world: World) -> None:
    await _person(world, POOL_TARGET, "receptionist", dealership=False)


async def _store_target_deactivated(world: World, http: httpx.AsyncClient) -> bool:
    return not await _active(world, STORE_TARGET)


async def _pool_target_deactivated(world: World, http: httpx.AsyncClient) -> bool:
    return not await _active(world, POOL_TARGET)


async def _not_invited(email: str, world: World) -> None:
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        found = await session.scalar(select(Operator.id).where(Operator.email == email))
        if found is not None:
            await session.execute(delete(AccountLink).where(AccountLink.operator_id == found))
            await session.execute(delete(Operator).where(Operator.id == found))


async def _invited(email: str, world: World) -> bool:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        return await session.scalar(select(Operator.id).where(Operator.email == email)) is not None


async def _nobody_invited(world: World) -> None:
    await _not_invited(INVITE_EMAIL, world)


async def _somebody_invited(world: World, http: httpx.AsyncClient) -> bool:
    return await _invited(INVITE_EMAIL, world)


async def _no_receptionist_invited(world: World) -> None:
    await _not_invited(POOL_INVITE_EMAIL, world)


async def _receptionist_invited(world: World, http: httpx.AsyncClient) -> bool:
    return await _invited(POOL_INVITE_EMAIL, world)


async def _fresh_link(world: World, token: str, purpose: str, operator_id: int | None) -> None:
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        await session.execute(
            delete(AccountLink).where(AccountLink.token_hash == token_hash(token))
        )
        now = datetime.now(UTC)
        session.add(
            AccountLink(
                purpose=purpose,
                operator_id=operator_id,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + timedelta(days=1),
            )
        )


async def _link_used(world: World, token: str) -> bool:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        used = await session.scalar(
            select(AccountLink.used_at).where(AccountLink.token_hash == token_hash(token))
        )
    return used is not None


async def _invitee_with_link(world: World) -> None:
    await _person(world, LINK_TARGET, "salesperson", dealership=True, password_hash="")
    await _fresh_link(world, LINK_TOKEN, "invite", LINK_TARGET)


async def _invitation_used(world: World, http: httpx.AsyncClient) -> bool:
    return await _link_used(world, LINK_TOKEN)


async def _setup_link(world: World) -> None:
    await _fresh_link(world, SETUP_TOKEN, "first_admin", None)


async def _setup_link_spent(world: World, http: httpx.AsyncClient) -> bool:
    return await _link_used(world, SETUP_TOKEN)


CSRF: dict[tuple[str, str], Target] = {
    ("POST", A_TEAM + "/invite"): Target(
        "/console/settings/dealerships/{a_id}/team/invite",
        {"name": "Forged Invitee", "email": INVITE_EMAIL, "role": "salesperson"},
        _somebody_invited,
        refused_with=(400, 403),  # the page says the form expired (400)
        prepare=_nobody_invited,
        who=QUINN,
    ),
    ("POST", A_TEAM + "/{operator_id:int}/{action:str}"): Target(
        f"/console/settings/dealerships/{{a_id}}/team/{STORE_TARGET}/deactivate",
        {},
        _store_target_deactivated,
        refused_with=(400, 403),
        prepare=_store_target,
        who=QUINN,
    ),
    ("POST", POOL_TEAM + "/invite"): Target(
        "/console/settings/pools/{pool_p}/team/invite",
        {"name": "Forged Receptionist", "email": POOL_INVITE_EMAIL, "role": "receptionist"},
        _receptionist_invited,
        refused_with=(400, 403),
        prepare=_no_receptionist_invited,
        who=ADA,
    ),
    ("POST", POOL_TEAM + "/{operator_id:int}/{action:str}"): Target(
        f"/console/settings/pools/{{pool_p}}/team/{POOL_TARGET}/deactivate",
        {},
        _pool_target_deactivated,
        refused_with=(400, 403),
        prepare=_pool_target,
        who=ADA,
    ),
    # The link pages need no session, but their forms carry the session's token like the
    # sign-in form: a forged post is refused and the link stays unused.
    ("POST", SET_PASSWORD): Target(
        f"/console/set-password/{LINK_TOKEN}",
        {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        _invitation_used,
        refused_with=(400, 403),
        prepare=_invitee_with_link,
    ),
    # This installation has operators: a setup link's only effect is to be spent (410).
    ("POST", SETUP): Target(
        f"/console/setup/{SETUP_TOKEN}",
        {
            "name": "Forged Admin",
            "email": "forged-admin@example.com",
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
        _setup_link_spent,
        refused_with=(400, 403),
        ok_status=410,
        prepare=_setup_link,
    ),
}
