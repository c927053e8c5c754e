"""Console sign-in: argon2 hashes, CSRF on forms, a signed cookie, sign-out that sticks."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat_server.accounts.passwords import hash_password, verify_password
from chat_server.demo_world import DEMO_PASSWORD
from chat_server.store.database import open_database
from chat_server.store.models import Operator
from tests.support.inprocess import InProcessServer

ALEX = "alex@demo-motors.test"


@pytest.fixture
async def server(serve_inprocess: Callable[..., Awaitable[InProcessServer]]) -> InProcessServer:
    return await serve_inprocess()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


async def test_passwords_are_stored_as_argon2_hashes(server: InProcessServer) -> None:
    async with open_database(server.database_url) as db, db.sessions() as session:
        hashes = list(await session.scalars(select(Operator.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(DEMO_PASSWORD not in h for h in hashes)


def test_new_passwords_are_hashed_at_production_strength() -> None:
    """The tests' seeded logins carry cheap hashes (tests/support/seeded_world.py); a password
    the product hashes gets argon2-cffi's RFC 9106 low-memory profile: 64 MiB, 3 passes."""
    stored = hash_password("a new password of some length")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(stored, "a new password of some length")


async def test_wrong_password_and_missing_csrf_are_refused(server: InProcessServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        token = csrf_of((await http.get("/console/sign-in")).text)
        wrong = await http.post(
            "/console/sign-in", data={"email": ALEX, "password": "nope", "csrf_token": token}
        )
        assert wrong.status_code == 400 and "Wrong e-mail or password" in wrong.text
        no_csrf = await http.post(
            "/console/sign-in", data={"email": ALEX, "password": DEMO_PASSWORD}
        )
        assert no_csrf.status_code == 400 and "expired" in no_csrf.text
        assert (await http.get("/console", follow_redirects=False)).status_code == 303


async def test_sign_in_then_sign_out_closes_the_console_to_that_cookie(
    server: InProcessServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        token = csrf_of((await http.get("/console/sign-in")).text)
        signed = await http.post(
            "/console/sign-in",
            data={"email": ALEX, "password": DEMO_PASSWORD, "csrf_token": token},
        )
        assert signed.status_code == 303
        cookie = http.cookies.get("dealerchat_session")
        assert cookie
        console = await http.get("/console")
        assert console.status_code == 200 and "Alex Rivera" in console.text
        # Sign-out needs the form's CSRF token too.
        assert (await http.post("/console/sign-out")).status_code == 403
        out = await http.post("/console/sign-out", data={"csrf_token": csrf_of(console.text)})
        assert out.status_code == 303
        assert (await http.get("/console", follow_redirects=False)).status_code == 303

    # The console socket refuses a visitor with no session, and a foreign Origin.
    for headers, origin in (
        ({}, server.url),
        ({"Cookie": f"dealerchat_session={cookie}"}, "http://evil.example"),
    ):
        async with connect(
            server.ws_url + "/ws/console",
            origin=origin,
            additional_headers=headers,  # type: ignore[arg-type]
        ) as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await socket.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
