"""Access-matrix entries and forged-request targets of the CRM and API settings page.

A's manager (and the platform admin) read and change A's CRM delivery, webhook secret, API
tokens, and send A's test lead; B's are 404 to A's manager, as is every dealership to a pool
manager; salespeople and receptionists get 403. Refused changes (an http:// webhook off this
machine, a token without a name) are 400s that save nothing. What is shown once (a secret, a
token, test results) is the POST's own answer (200), never a later GET's.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import httpx
from sqlalchemy import ColumnElement, delete, func, select, update

from chat_server.accounts.api_tokens import token_hash
from chat_server.store.database import open_database
from chat_server.store.models import ApiToken, AuditEntry, Dealership
from tests.security.conftest import QUINN, World
from tests.security.matrix_kit import SIGN_IN, Case, Outcome, Target, console

PAGE = "/console/settings/dealerships/{dealership_id:int}/crm"
A = "/console/settings/dealerships/{a_id}/crm"
B = "/console/settings/dealerships/{b_id}/crm"
REFUSED_URL = "http://matrix-refused.example.com/hook"
REFUSED = {"addresses": "", "webhook_url": REFUSED_URL, "webhook_events": "lead.new"}
REVOKED = 424305  # the token the forged revoke aims at, made afresh before each attempt


def expect(manager: Outcome, admin: Outcome) -> dict[str, Outcome]:
    return console(SIGN_IN, 403, manager, 403, pool_manager=404, admin=admin)


MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    ("POST", PAGE): (
        Case(
            A,
            expect(400, 400),
            form=REFUSED,
            note="plain http off this machine: 400 on the field, nothing saved",
        ),
        Case(B, expect(404, 400), form=REFUSED, note="B is not Morgan's"),
    ),
    ("GET", PAGE): (
        Case(A, expect(200, 200), never_shows=(REFUSED_URL,)),
        Case(B, expect(404, 200)),
        Case("/console/settings/dealerships/999999/crm", expect(404, 404)),
    ),
    ("POST", PAGE + "/webhook-secret"): (
        Case(A + "/webhook-secret", expect(200, 200), note="the new secret, shown this once"),
        Case(B + "/webhook-secret", expect(404, 200)),
    ),
    ("POST", PAGE + "/tokens"): (
        Case(A + "/tokens", expect(400, 400), form={"token_name": ""}, note="a name is needed"),
        Case(B + "/tokens", expect(404, 400), form={"token_name": ""}),
    ),
    ("POST", PAGE + "/tokens/{token_id:int}/revoke"): (
        Case(A + "/tokens/999999/revoke", expect(404, 404)),
        Case(B + "/tokens/999999/revoke", expect(404, 404)),
    ),
    ("POST", PAGE + "/test-lead"): (
        Case(
            A + "/test-lead",
            expect(200, 200),
            note="no SMTP server here: the result says the e-mail was logged only",
        ),
        Case(B + "/test-lead", expect(404, 200), note="B has no target: nothing is sent"),
    ),
}


async def _a(world: World) -> Dealership:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        return await session.get_one(Dealership, world.a_id)


async def _change_a(world: World, **values: object) -> None:
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        await session.execute(
            update(Dealership).where(Dealership.id == world.a_id).values(**values)
        )


FORGED_ADDRESS = "forged@crm.example.com"


async def _restore_addresses(world: World) -> None:
    await _change_a(world, crm_email="leads@demo-motors.example.com", crm_addresses=[])


async def _address_forged(world: World, http: httpx.AsyncClient) -> bool:
    return (await _a(world)).crm_email == FORGED_ADDRESS


KNOWN_SECRET = "the secret before the forgery"


async def _known_secret(world: World) -> None:
    await _change_a(world, webhook_secret=KNOWN_SECRET)


async def _secret_replaced(world: World, http: httpx.AsyncClient) -> bool:
    return (await _a(world)).webhook_secret != KNOWN_SECRET


FORGED_TOKEN = "forged token"


async def _tokens(world: World, where: ColumnElement[bool]) -> list[ApiToken]:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        return list(await session.scalars(select(ApiToken).where(where)))


async def _no_forged_token(world: World) -> None:
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        await session.execute(delete(ApiToken).where(ApiToken.name == FORGED_TOKEN))


async def _token_made(world: World, http: httpx.AsyncClient) -> bool:
    return bool(await _tokens(world, ApiToken.name == FORGED_TOKEN))


async def _live_token(world: World) -> None:
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        await session.execute(delete(ApiToken).where(ApiToken.id == REVOKED))
        await session.flush()
        session.add(
            ApiToken(
                id=REVOKED,
                dealership_id=world.a_id,
                name="revoke target",
                token_hash=token_hash(secrets.token_urlsafe(16)),
                created_at=datetime.now(UTC),
            )
        )


async def _token_revoked(world: World, http: httpx.AsyncClient) -> bool:
    [row] = await _tokens(world, ApiToken.id == REVOKED)
    return row.revoked_at is not None


# Test leads sent for A so far, counted before each attempt.
_SENT: dict[str, int] = {}


async def _test_leads(world: World) -> int:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "crm.test_lead", AuditEntry.dealership_id == world.a_id)
        )
    return int(found or 0)


async def _count_test_leads(world: World) -> None:
    _SENT["before"] = await _test_leads(world)


async def _test_lead_sent(world: World, http: httpx.AsyncClient) -> bool:
    return await _test_leads(world) > _SENT["before"]


CSRF: dict[tuple[str, str], Target] = {
    ("POST", PAGE): Target(
        A,
        {"addresses": FORGED_ADDRESS, "webhook_events": "lead.new"},
        _address_forged,
        refused_with=(400, 403),
        prepare=_restore_addresses,
        who=QUINN,
    ),
    ("POST", PAGE + "/webhook-secret"): Target(
        A + "/webhook-secret",
        {},
        _secret_replaced,
        refused_with=(400, 403),
        ok_status=200,
        prepare=_known_secret,
        who=QUINN,
    ),
    ("POST", PAGE + "/tokens"): Target(
        A + "/tokens",
        {"token_name": FORGED_TOKEN},
        _token_made,
        refused_with=(400, 403),
        ok_status=200,
        prepare=_no_forged_token,
        who=QUINN,
    ),
    ("POST", PAGE + "/tokens/{token_id:int}/revoke"): Target(
        f"{A}/tokens/{REVOKED}/revoke",
        {},
        _token_revoked,
        refused_with=(400, 403),
        prepare=_live_token,
        who=QUINN,
    ),
    ("POST", PAGE + "/test-lead"): Target(
        A + "/test-lead",
        {},
        _test_lead_sent,
        refused_with=(400, 403),
        ok_status=200,
        prepare=_count_test_leads,
        who=QUINN,
    ),
}
