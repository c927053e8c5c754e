"""Two dealerships on one real server, and everyone who might knock on its doors.

Dealership A is the demo's Demo Motors (salesperson Alex, manager Morgan, and receptionist Riley
of the Night Owl BDC pool that covers A). Dealership B, Other Motors, has its own salesperson
and is *not* covered by that pool. Each has a closed chat with a lead, an open chat that is
still ringing, and an API token. One server per test module: sign-ins are slow on purpose.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from chat_server.accounts.api_tokens import create_token
from chat_server.admin import create_dealership, create_operator, create_pool
from chat_server.demo_world import DEMO_PASSWORD, DEMO_SITE_KEY
from chat_server.store.database import open_database
from chat_server.store.models import Conversation, Dealership, Lead, Operator, Pool
from tests.operator_console.scenario import add_chat
from tests.support.seeded_world import cheap_hash
from tests.support.server_process import ServerProcess

ALEX = "alex@demo-motors.test"
MORGAN = "morgan@demo-motors.test"
RILEY = "riley@nightowl-bdc.test"
PAT = "pat@nightowl-bdc.test"  # Night Owl BDC's pool manager
NIGHT_OWL = "Night Owl BDC"
ADA = "ada@platform.test"  # the installation's platform admin
# Not principals of the matrix: their sessions are the forged-request tests' to end.
SAM = "sam@demo-motors.test"  # a salesperson of A
QUINN = "quinn@demo-motors.test"  # a second manager of A
BEA = "bea@other-motors.test"
B_SITE_KEY = "other-motors-site"
B_ORIGIN = "http://other.example"
# Names that must never show up in the other tenant's answers.
A_SHOPPER = "Alice Adealer"
B_SHOPPER = "Bob Bdealer"

CONSOLE_ROLES = {
    "salesperson_a": ALEX,
    "manager_a": MORGAN,
    "receptionist_a": RILEY,
    "pool_manager_p": PAT,
    "admin": ADA,
}
PRINCIPALS = (
    "anonymous",
    "salesperson_a",
    "manager_a",
    "receptionist_a",
    "pool_manager_p",
    "admin",
    "api_token_a",
    "api_token_b",
)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def cookie_header(cookies: dict[str, str]) -> str:
    """The ``Cookie`` header a browser holding ``cookies`` would send."""
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def jar(base_url: str, cookies: dict[str, str]) -> httpx.Cookies:
    """A cookie jar holding ``cookies`` for this host, as the server's own Set-Cookie would,
    so a renewed session cookie replaces the old one instead of being sent beside it."""
    found = httpx.Cookies()
    host = httpx.URL(base_url).host
    for name, value in cookies.items():
        found.set(name, value, domain=host)
    return found


@dataclass
class Principal:
    """Who is asking: a cookie jar (maybe signed in), its CSRF token, maybe an API token."""

    name: str
    cookies: dict[str, str]
    csrf: str
    headers: dict[str, str] = field(default_factory=dict)

    def client(self, base_url: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base_url, cookies=jar(base_url, self.cookies), headers=self.headers, timeout=20
        )


async def anonymous_session(base_url: str) -> tuple[dict[str, str], str]:
    """A pre-sign-in session: the cookie and the CSRF token a visitor of the sign-in page gets."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        page = await http.get("/console/sign-in")
        return dict(http.cookies.items()), csrf_of(page.text)


async def signed_in(base_url: str, email: str) -> tuple[dict[str, str], str]:
    """Sign in through the form; the session cookie and the session's CSRF token."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        token = csrf_of((await http.get("/console/sign-in")).text)
        response = await http.post(
            "/console/sign-in",
            data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303, response.text
        # The session's CSRF token is new at sign-in: read it from a signed-in page.
        return dict(http.cookies.items()), csrf_of((await http.get("/console/password")).text)


@dataclass
class World:
    server: ServerProcess
    a_id: int
    b_id: int
    lead_a: int
    lead_b: int
    closed_a: str  # a closed chat of A with a lead
    closed_b: str
    open_a: str  # still ringing the store
    open_b: str
    owned_a: str  # connected, owned by Alex
    bea_id: int
    pool_p: int  # Night Owl BDC: Pat's pool, covering A
    pool_q: int  # Day Desk BDC: no principal's pool
    principals: dict[str, Principal]

    @property
    def url(self) -> str:
        return self.server.url

    def ids(self) -> dict[str, object]:
        return {
            "a_id": self.a_id,
            "b_id": self.b_id,
            "lead_a": self.lead_a,
            "lead_b": self.lead_b,
            "closed_a": self.closed_a,
            "closed_b": self.closed_b,
            "open_a": self.open_a,
            "open_b": self.open_b,
            "owned_a": self.owned_a,
            "bea_id": self.bea_id,
            "pool_p": self.pool_p,
            "pool_q": self.pool_q,
            "a_site": DEMO_SITE_KEY,
            "b_site": B_SITE_KEY,
        }

    async def renew(self, role: str) -> None:
        """Sign ``role`` in again (after a test signed it out)."""
        cookies, csrf = await signed_in(self.url, CONSOLE_ROLES[role])
        self.principals[role] = Principal(role, cookies, csrf)


def _backend_urls(request: pytest.FixtureRequest, folder: Path) -> tuple[str, str]:
    if os.environ.get("DEALER_CHAT_TEST_BACKEND", "embedded") == "pg-redis":
        pg = request.getfixturevalue("pg")
        redis = request.getfixturevalue("redis_srv")
        return pg.create_database(f"t_{uuid.uuid4().hex[:12]}"), redis.url
    return f"sqlite+aiosqlite:///{folder / 'security.sqlite3'}", "memory://"


async def _seed(database_url: str) -> dict[str, object]:
    now = datetime.now(UTC)
    async with open_database(database_url) as db, db.sessions() as session, session.begin():
        other = await create_dealership(
            session,
            slug="other-motors",
            name="Other Motors",
            time_zone="America/New_York",
            origins=[B_ORIGIN],
            site_key=B_SITE_KEY,
        )
        bea = await create_operator(
            session,
            email=BEA,
            name="Bea Other",
            role="salesperson",
            password=DEMO_PASSWORD,
            password_hash=cheap_hash(DEMO_PASSWORD),
            dealership="other-motors",
        )
        for email, name, role, pool, dealership in (
            (PAT, "Pat Pool", "pool_manager", NIGHT_OWL, None),
            (ADA, "Ada Admin", "admin", None, None),
            (QUINN, "Quinn Manager", "manager", None, "demo-motors"),
        ):
            await create_operator(
                session,
                email=email,
                name=name,
                role=role,
                password=DEMO_PASSWORD,
                password_hash=cheap_hash(DEMO_PASSWORD),
                pool=pool,
                dealership=dealership,
            )
        other_pool = await create_pool(session, "Day Desk BDC")
        pool_p = await session.scalar(select(Pool.id).where(Pool.name == NIGHT_OWL))
        a_id = await session.scalar(select(Dealership.id).where(Dealership.slug == "demo-motors"))
        assert a_id is not None
        alex = await session.scalar(select(Operator.id).where(Operator.email == ALEX))
        closed_a = await add_chat(
            session, a_id, now, outcome="missed", lead_status="new", name=A_SHOPPER
        )
        closed_b = await add_chat(
            session, other.id, now, outcome="missed", lead_status="new", name=B_SHOPPER
        )
        open_a = await add_chat(session, a_id, now, outcome=None)
        open_b = await add_chat(session, other.id, now, outcome=None, name=B_SHOPPER)
        owned_a = await add_chat(
            session, a_id, now, outcome=None, owner=alex, tier="store", accepted=1
        )
        await session.execute(
            update(Conversation).where(Conversation.id == owned_a).values(state="connected")
        )
        token_a = await create_token(session, a_id, "matrix", now)
        token_b = await create_token(session, other.id, "matrix", now)
        leads = dict((await session.execute(select(Lead.conversation_id, Lead.id))).all())
        return {
            "a_id": a_id,
            "b_id": other.id,
            "lead_a": leads[closed_a],
            "lead_b": leads[closed_b],
            "closed_a": closed_a,
            "closed_b": closed_b,
            "open_a": open_a,
            "open_b": open_b,
            "owned_a": owned_a,
            "bea_id": bea.id,
            "pool_p": pool_p,
            "pool_q": other_pool.id,
            "tokens": (token_a, token_b),
        }


@pytest.fixture(scope="module")
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    folder = tmp_path_factory.mktemp("security")
    database_url, broker_url = _backend_urls(request, folder)
    server = ServerProcess(folder / "node", database_url=database_url, broker_url=broker_url)
    server.start()
    try:
        seeded = await _seed(database_url)
        token_a, token_b = seeded.pop("tokens")  # type: ignore[misc]
        principals: dict[str, Principal] = {}
        for name in PRINCIPALS:
            if name in CONSOLE_ROLES:
                cookies, csrf = await signed_in(server.url, CONSOLE_ROLES[name])
                principals[name] = Principal(name, cookies, csrf)
            else:
                # No console session, but a CSRF token of its own, so a refusal is about who
                # is asking rather than a missing token.
                cookies, csrf = await anonymous_session(server.url)
                token = {"api_token_a": token_a, "api_token_b": token_b}.get(name)
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                principals[name] = Principal(name, cookies, csrf, headers)
        yield World(server=server, principals=principals, **seeded)  # type: ignore[arg-type]
    finally:
        server.stop()
