"""The team pages and the one-time link pages over HTTP, on an in-process server with the demo
world (Morgan manages Demo Motors; Alex and Sam sell there; Riley answers for Night Owl BDC).

Invitations end with the invitee signed in; deactivation ends a session and a console at once;
a refused form says why beside the field and changes nothing; another store's page is a 404;
with SMTP configured the link is e-mailed; the first admin is made through the setup page.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from sqlalchemy import delete, select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat_server.administration.account_links import create_link, first_admin_link, token_hash
from chat_server.demo_world import DEMO_PASSWORD, DEMO_POOL, DEMO_SLUG
from chat_server.store.models import AccountLink, AuditEntry, Dealership, Operator, Pool
from tests.leads.receivers import smtp_server
from tests.support.inprocess import InProcessServer

Start = Callable[..., Awaitable[InProcessServer]]
MORGAN = "morgan@demo-motors.test"
ALEX = "alex@demo-motors.test"
SAM = "sam@demo-motors.test"
NEW_PASSWORD = "correct horse battery staple"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def link_on(html: str) -> str:
    found = re.search(r'data-testid="one-time-url">([^<]+)<', html)
    assert found, "no one-time link on the page"
    return found.group(1).strip()


async def sign_in(url: str, email: str, password: str = DEMO_PASSWORD) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=url, timeout=20)
    token = csrf_of((await http.get("/console/sign-in")).text)
    response = await http.post(
        "/console/sign-in", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return http


async def sign_in_refused(url: str, email: str, password: str = DEMO_PASSWORD) -> bool:
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        token = csrf_of((await http.get("/console/sign-in")).text)
        response = await http.post(
            "/console/sign-in", data={"email": email, "password": password, "csrf_token": token}
        )
        return response.status_code == 400 and "Wrong e-mail or password" in response.text


async def ids(server: InProcessServer) -> dict[str, int]:
    async with server.runtime.db.sessions() as session:
        found = {o.email: o.id for o in await session.scalars(select(Operator))}
        found["a"] = await session.scalar(select(Dealership.id).where(Dealership.slug == DEMO_SLUG))  # type: ignore[assignment]
        found["pool"] = await session.scalar(select(Pool.id).where(Pool.name == DEMO_POOL))  # type: ignore[assignment]
    return found


async def operator(server: InProcessServer, email: str) -> Operator:
    async with server.runtime.db.sessions() as session:
        row = await session.scalar(select(Operator).where(Operator.email == email))
    assert row is not None
    return row


async def post(
    http: httpx.AsyncClient, path: str, form: dict[str, str] | None = None
) -> httpx.Response:
    """Post a form as the console's own page does: its CSRF token, from this origin."""
    page = await http.get("/console/password")
    data = {**(form or {}), "csrf_token": csrf_of(page.text)}
    return await http.post(path, data=data)


@pytest.fixture
async def server(serve_inprocess: Start) -> InProcessServer:
    return await serve_inprocess()


@pytest.fixture
async def morgan(server: InProcessServer) -> AsyncIterator[httpx.AsyncClient]:
    http = await sign_in(server.url, MORGAN)
    yield http
    await http.aclose()


async def test_an_invitation_ends_with_the_invitee_signed_in(
    server: InProcessServer, morgan: httpx.AsyncClient
) -> None:
    known = await ids(server)
    page_path = f"/console/settings/dealerships/{known['a']}/team"
    page = await morgan.get(page_path)
    assert page.status_code == 200
    for name in ("Alex Rivera", "Sam Patel", "Morgan Lee"):
        assert name in page.text
    assert "Riley Chen" not in page.text  # the pool's, not the store's

    # A stale form changes nothing; an address in use is told beside the e-mail field.
    stale = await morgan.post(
        page_path + "/invite",
        data={"name": "Nia New", "email": "nia@example.com", "csrf_token": "stale"},
    )
    assert stale.status_code == 400 and "The form expired" in stale.text
    taken = await post(morgan, page_path + "/invite", {"name": "Alex Again", "email": ALEX.upper()})
    assert taken.status_code == 400
    assert re.search(r'data-testid="error-email">An operator with this e-mail already', taken.text)
    assert 'value="Alex Again"' in taken.text  # what they typed stays in the form

    invited = await post(
        morgan,
        page_path + "/invite",
        {"name": "Nia New", "email": "nia@example.com", "role": "salesperson", "capacity": ""},
    )
    assert invited.status_code == 303 and invited.headers["location"] == page_path
    shown = await morgan.get(page_path)
    assert "Nia New: invited. Give them the link below." in shown.text
    assert "E-mail is not set up on this server" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    url = link_on(shown.text)
    assert url.startswith(server.url + "/console/set-password/")
    assert "one-time-url" not in (await morgan.get(page_path)).text  # shown once

    async with httpx.AsyncClient(base_url=server.url, timeout=20) as nia:
        path = url.removeprefix(server.url)
        page = await nia.get(path)
        assert page.status_code == 200 and "Welcome, Nia New" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "same-origin"  # never to another site
        token = csrf_of(page.text)
        short = await nia.post(
            path, data={"password": "short", "confirm_password": "short", "csrf_token": token}
        )
        assert short.status_code == 400 and 'data-testid="error-password"' in short.text
        done = await nia.post(
            path,
            data={
                "password": NEW_PASSWORD,
                "confirm_password": NEW_PASSWORD,
                "csrf_token": token,
            },
        )
        assert done.status_code == 303 and done.headers["location"] == "/console"
        console = await nia.get("/console")
        assert console.status_code == 200 and "Nia New" in console.text
        assert (await nia.get(path)).status_code == 410  # one use
    await (await sign_in(server.url, "nia@example.com", NEW_PASSWORD)).aclose()
    async with server.runtime.db.sessions() as session:
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["team.invite", "account.password_set"]


async def test_deactivation_ends_the_session_and_the_console_at_once(
    server: InProcessServer, morgan: httpx.AsyncClient
) -> None:
    known = await ids(server)
    page_path = f"/console/settings/dealerships/{known['a']}/team"
    sam = await sign_in(server.url, SAM)
    cookie = "; ".join(f"{k}={v}" for k, v in sam.cookies.items())
    socket = await connect(
        server.ws_url + "/ws/console", origin=server.url, additional_headers={"Cookie": cookie}
    )  # type: ignore[arg-type]
    assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "welcome"

    response = await post(morgan, f"{page_path}/{known[SAM]}/deactivate")
    assert response.status_code == 303
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(socket.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    gone = await sam.get("/console")
    assert gone.status_code == 303 and gone.headers["location"] == "/console/sign-in"
    await sam.aclose()
    assert await sign_in_refused(server.url, SAM)
    page = (await morgan.get(page_path)).text
    assert re.search(r'data-email="sam@demo-motors.test" data-status="deactivated"', page)
    assert "Sam Patel: deactivated." in page

    assert (await post(morgan, f"{page_path}/{known[SAM]}/reactivate")).status_code == 303
    await (await sign_in(server.url, SAM)).aclose()


async def test_a_refused_change_is_told_beside_its_field_and_changes_nothing(
    server: InProcessServer, morgan: httpx.AsyncClient
) -> None:
    known = await ids(server)
    page_path = f"/console/settings/dealerships/{known['a']}/team"
    before = await operator(server, ALEX)
    refused = await post(
        morgan, f"{page_path}/{known[ALEX]}/set", {"role": "salesperson", "capacity": "99"}
    )
    assert refused.status_code == 400
    assert 'data-testid="person-error-capacity">Capacity is a whole number' in refused.text
    assert (await operator(server, ALEX)).capacity == before.capacity
    myself = await post(morgan, f"{page_path}/{known[MORGAN]}/deactivate")
    assert myself.status_code == 400 and "You cannot deactivate yourself." in myself.text
    # Someone who is not this store's (the pool's receptionist), an unknown action: 404.
    riley = known["riley@nightowl-bdc.test"]
    assert (await post(morgan, f"{page_path}/{riley}/deactivate")).status_code == 404
    assert (await post(morgan, f"{page_path}/{known[ALEX]}/promote")).status_code == 404
    assert (await operator(server, "riley@nightowl-bdc.test")).active

    saved = await post(
        morgan, f"{page_path}/{known[ALEX]}/set", {"role": "salesperson", "capacity": "5"}
    )
    assert saved.status_code == 303
    assert (await operator(server, ALEX)).capacity == 5
    # One's own form has no role field: the capacity alone changes.
    mine = await post(morgan, f"{page_path}/{known[MORGAN]}/set", {"capacity": "4"})
    assert mine.status_code == 303
    me = await operator(server, MORGAN)
    assert (me.role, me.capacity) == ("manager", 4)


async def test_another_stores_team_is_not_found_and_stays_as_it_was(
    server: InProcessServer, morgan: httpx.AsyncClient
) -> None:
    await server.admin(
        "create-dealership",
        *("--slug", "b-motors", "--name", "B Motors", "--time-zone", "America/New_York"),
    )
    await server.admin(
        "invite-operator",
        *("--email", "bea@example.com", "--name", "Bea", "--role", "salesperson"),
        *("--dealership", "b-motors"),
    )
    bea = await operator(server, "bea@example.com")
    b_path = f"/console/settings/dealerships/{bea.dealership_id}/team"
    assert (await morgan.get(b_path)).status_code == 404
    for path, form in (
        (b_path + "/invite", {"name": "Mal", "email": "mal@example.com", "role": "manager"}),
        (f"{b_path}/{bea.id}/deactivate", {}),
        (f"{b_path}/{bea.id}/set", {"role": "manager", "capacity": "9"}),
        (f"{b_path}/{bea.id}/reset-password", {}),
    ):
        assert (await post(morgan, path, form)).status_code == 404, path
    after = await operator(server, "bea@example.com")
    assert (after.active, after.role, after.capacity) == (True, "salesperson", bea.capacity)
    async with server.runtime.db.sessions() as session:
        assert (
            await session.scalar(select(Operator).where(Operator.email == "mal@example.com"))
            is None
        )
        links = list(
            await session.scalars(select(AccountLink).where(AccountLink.operator_id == bea.id))
        )
    assert len(links) == 1 and links[0].expires_at > server.clock.now()  # CLI's invitation intact


async def test_a_pool_manager_runs_the_pools_receptionists(
    server: InProcessServer, morgan: httpx.AsyncClient
) -> None:
    known = await ids(server)
    out = await server.admin(
        "invite-operator",
        *("--email", "pat@example.com", "--name", "Pat Pool", "--role", "pool_manager"),
        *("--pool", DEMO_POOL),
    )
    url = next(line.strip() for line in out.splitlines() if "/console/set-password/" in line)
    path = "/console/set-password/" + url.rsplit("/", 1)[1]  # the CLI names 127.0.0.1:8000
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as pat:
        token = csrf_of((await pat.get(path)).text)
        form = {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "csrf_token": token}
        assert (await pat.post(path, data=form)).status_code == 303
        pool_path = f"/console/settings/pools/{known['pool']}/team"
        page = await pat.get(pool_path)
        assert (
            page.status_code == 200 and "Riley Chen" in page.text and "Receptionists" in page.text
        )
        assert "Alex Rivera" not in page.text
        riley = known["riley@nightowl-bdc.test"]
        saved = await post(
            pat, f"{pool_path}/{riley}/set", {"role": "receptionist", "capacity": "12"}
        )
        assert saved.status_code == 303
        assert (
            await pat.get(f"/console/settings/dealerships/{known['a']}/team")
        ).status_code == 404
    assert (await operator(server, "riley@nightowl-bdc.test")).capacity == 12
    assert (await morgan.get(pool_path)).status_code == 404


async def test_with_smtp_the_link_is_e_mailed_and_a_reset_stops_the_old_password(
    serve_inprocess: Start,
) -> None:
    with smtp_server() as smtp:
        server = await serve_inprocess(
            env={
                "DEALER_CHAT_SMTP_HOST": "127.0.0.1",
                "DEALER_CHAT_SMTP_PORT": str(smtp.port),
                "DEALER_CHAT_SMTP_TLS": "none",
                "DEALER_CHAT_PUBLIC_URL": "https://chat.example.com",
            }
        )
        known = await ids(server)
        page_path = f"/console/settings/dealerships/{known['a']}/team"
        morgan = await sign_in(server.url, MORGAN)
        alex = await sign_in(server.url, ALEX)
        invited = await post(
            morgan,
            page_path + "/invite",
            {"name": "Nia New", "email": "nia@example.com", "role": "manager", "capacity": "2"},
        )
        assert invited.status_code == 303
        page = (await morgan.get(page_path)).text
        assert "the link was e-mailed to nia@example.com" in page
        url = link_on(page)
        assert url.startswith("https://chat.example.com/console/set-password/")
        [message] = smtp.box.messages
        assert smtp.box.recipients == [["nia@example.com"]]
        assert "invited to the dealer-chat console of Demo Motors" in message["Subject"]
        assert url in message.get_content()

        reset = await post(morgan, f"{page_path}/{known[ALEX]}/reset-password")
        assert reset.status_code == 303
        assert len(smtp.box.messages) == 2
        assert (await alex.get("/console")).status_code == 303  # signed out at once
        assert await sign_in_refused(server.url, ALEX)  # the old password stopped
        reset_url = link_on((await morgan.get(page_path)).text)
        assert reset_url in smtp.box.messages[1].get_content()
        await alex.aclose()
        await morgan.aclose()


async def test_the_setup_page_makes_the_first_admin_once(server: InProcessServer) -> None:
    async with server.runtime.db.sessions() as session, session.begin():
        # An installation with nobody in it yet (the demo world's people removed).
        await session.execute(delete(Operator))
        link = await first_admin_link(session, server.clock.now())
    assert link is not None
    path = f"/console/setup/{link.token}"
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as ada:
        page = await ada.get(path)
        assert page.status_code == 200 and "Set up dealer-chat" in page.text
        form = {
            "name": "Ada Admin",
            "email": "ada@example.com",
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD + "?",
            "csrf_token": csrf_of(page.text),
        }
        mismatch = await ada.post(path, data=form)
        assert (
            mismatch.status_code == 400 and 'data-testid="error-confirm_password"' in mismatch.text
        )
        assert 'value="ada@example.com"' in mismatch.text
        made = await ada.post(path, data=form | {"confirm_password": NEW_PASSWORD})
        assert made.status_code == 303 and made.headers["location"] == "/console/settings"
        assert (await ada.get("/console/settings")).status_code == 200
        assert (await ada.get(path)).status_code == 410
        again = await ada.post(path, data=form | {"confirm_password": NEW_PASSWORD})
        assert again.status_code == 410

    # A setup link that outlived the installation's set-up is spent when someone tries it.
    async with server.runtime.db.sessions() as session, session.begin():
        late = await create_link(
            session, "first_admin", operator_id=None, created_by_id=None, now=server.clock.now()
        )
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as mal:
        page = await mal.get(f"/console/setup/{late.token}")
        assert page.status_code == 410 and "set up already" in page.text
        token = csrf_of((await mal.get("/console/sign-in")).text)
        tried = await mal.post(f"/console/setup/{late.token}", data={"csrf_token": token})
        assert tried.status_code == 410
    async with server.runtime.db.sessions() as session:
        spent = await session.scalar(
            select(AccountLink.used_at).where(AccountLink.token_hash == token_hash(late.token))
        )
        admins = list(await session.scalars(select(Operator.email)))
    assert spent is not None and admins == ["ada@example.com"]
