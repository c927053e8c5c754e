"""Sessions and forged requests: no session fixation, sign-out that ends copies of the cookie,
and every state-changing console route refusing a missing or wrong CSRF token or another site.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import delete, func, select, update
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from chat_server.accounts.passwords import verify_password
from chat_server.demo_world import DEMO_PASSWORD
from chat_server.store.database import open_database
from chat_server.store.models import LeadTask, Operator, PushSubscription
from tests.security.conftest import (
    MORGAN,
    SAM,
    World,
    anonymous_session,
    cookie_header,
    csrf_of,
    jar,
    signed_in,
)
from tests.security.matrix_kit import SIGN_IN, Target
from tests.security.settings_routes import SETTINGS_CSRF
from tests.security.test_access_matrix import app_endpoints, outcome_of

SESSION = "dealerchat_session"


async def console_socket_closes(world: World, cookies: dict[str, str]) -> bool:
    """True when the console socket refuses this cookie (closes with 1008 before a welcome)."""
    cookie = cookie_header(cookies)
    async with connect(
        world.server.ws_url + "/ws/console",
        origin=world.url,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
    ) as socket:
        try:
            await socket.recv()
        except ConnectionClosed as closed:
            return closed.rcvd is not None and closed.rcvd.code == 1008
        return False


async def test_a_planted_pre_sign_in_cookie_never_becomes_a_session(world: World) -> None:
    # The attacker visits the sign-in page and plants that (validly signed) cookie in the
    # victim's browser; the victim then signs in on the attacker's form and token.
    planted, planted_csrf = await anonymous_session(world.url)
    async with httpx.AsyncClient(base_url=world.url, cookies=jar(world.url, planted)) as victim:
        response = await victim.post(
            "/console/sign-in",
            data={"email": SAM, "password": DEMO_PASSWORD, "csrf_token": planted_csrf},
        )
        assert response.status_code == 303
        after = victim.cookies.get(SESSION)
        assert after and after != planted[SESSION]
        assert (await victim.get("/console")).status_code == 200
        assert csrf_of((await victim.get("/console/password")).text) != planted_csrf

    async with httpx.AsyncClient(base_url=world.url, cookies=jar(world.url, planted)) as attacker:
        assert outcome_of(await attacker.get("/console")) == SIGN_IN
        assert (await attacker.get(f"/console/api/conversations/{world.open_a}")).status_code == 401
    assert await console_socket_closes(world, planted)


async def test_sign_out_ends_every_copy_of_the_session(world: World) -> None:
    here, here_csrf = await signed_in(world.url, SAM)
    elsewhere, _ = await signed_in(world.url, SAM)  # another device
    copy = dict(here)  # e.g. lifted from a shared computer before the sign-out
    async with httpx.AsyncClient(base_url=world.url, cookies=jar(world.url, here)) as http:
        response = await http.post("/console/sign-out", data={"csrf_token": here_csrf})
        assert outcome_of(response) == SIGN_IN
        assert outcome_of(await http.get("/console")) == SIGN_IN
    for cookies in (copy, elsewhere):
        async with httpx.AsyncClient(base_url=world.url, cookies=jar(world.url, cookies)) as http:
            assert outcome_of(await http.get("/console")) == SIGN_IN
            assert (await http.get("/console/leads/999")).status_code == 303
        assert await console_socket_closes(world, cookies)
    # Signing in again works, with a session of its own.
    again, _ = await signed_in(world.url, SAM)
    assert again[SESSION] not in (copy[SESSION], elsewhere[SESSION])


async def _open_console(world: World, cookies: dict[str, str]) -> ClientConnection:
    """A console socket past its welcome."""
    socket = await connect(
        world.server.ws_url + "/ws/console",
        origin=world.url,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie_header(cookies)},
    )
    welcome = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert welcome["type"] == "welcome"
    return socket


async def test_sign_out_closes_the_consoles_already_open(world: World) -> None:
    here, here_csrf = await signed_in(world.url, SAM)
    elsewhere, _ = await signed_in(world.url, SAM)  # a console left open on another device
    colleague, _ = await signed_in(world.url, MORGAN)
    left_open = await _open_console(world, elsewhere)
    theirs = await _open_console(world, colleague)
    async with httpx.AsyncClient(base_url=world.url, cookies=jar(world.url, here)) as http:
        response = await http.post("/console/sign-out", data={"csrf_token": here_csrf})
        assert outcome_of(response) == SIGN_IN
    with pytest.raises(ConnectionClosed) as closed:
        while True:  # frames queued before the close (presence, rings) come first
            await asyncio.wait_for(left_open.recv(), 5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "signed out")
    # Another operator's console is untouched.
    await asyncio.wait_for(await theirs.ping(), 5)
    await theirs.close()


# --- CSRF and cross-site requests -----------------------------------------------------------

FORGERIES: dict[str, tuple[dict[str, str], bool]] = {
    # name: (extra headers, send the right token?)
    "no token": ({}, False),
    "wrong token": ({}, False),
    "another site's Origin": ({"Origin": "http://evil.example"}, True),
    "an opaque Origin": ({"Origin": "null"}, True),
    "Sec-Fetch-Site cross-site": ({"Sec-Fetch-Site": "cross-site"}, True),
    "Sec-Fetch-Site same-site": ({"Sec-Fetch-Site": "same-site"}, True),
}


ENDPOINT = "https://push.example.test/forged-device"
SUBSCRIPTION = {
    "endpoint": ENDPOINT,
    "keys": {"p256dh": "BA" + "A" * 85, "auth": "A" * 22},  # 65 bytes from 0x04, 16 bytes
}


async def _sams(world: World) -> Operator:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        sam = await session.scalar(select(Operator).where(Operator.email == SAM))
    assert sam is not None
    return sam


async def _sam_has_device(world: World, http: httpx.AsyncClient) -> bool:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        found = await session.scalar(
            select(PushSubscription.id).where(PushSubscription.endpoint == ENDPOINT)
        )
    return found is not None


async def _sam_device_gone(world: World, http: httpx.AsyncClient) -> bool:
    return not await _sam_has_device(world, http)


async def _give_sam_a_device(world: World) -> None:
    sam = await _sams(world)
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        # The same device with the same id every time, whatever an earlier test left.
        await session.execute(delete(PushSubscription).where(PushSubscription.endpoint == ENDPOINT))
        await session.flush()
        session.add(
            PushSubscription(
                id=SAM_DEVICE,
                operator_id=sam.id,
                endpoint=ENDPOINT,
                p256dh=SUBSCRIPTION["keys"]["p256dh"],  # type: ignore[index]
                auth=SUBSCRIPTION["keys"]["auth"],  # type: ignore[index]
                label="forgery target",
                created_at=datetime.now(UTC),
                last_error="",
            )
        )


async def _give_sam_a_mobile(world: World) -> None:
    async with (
        open_database(world.server.database_url) as db,
        db.sessions() as session,
        session.begin(),
    ):
        await session.execute(
            update(Operator).where(Operator.email == SAM).values(mobile_phone="+13125550199")
        )


async def _sam_mobile_gone(world: World, http: httpx.AsyncClient) -> bool:
    return (await _sams(world)).mobile_phone == ""


async def _nothing_to_see(world: World, http: httpx.AsyncClient) -> bool:
    """Routes of a feature this server has off (no text provider): a right token gets past the
    CSRF check to the 503 that says so, and changes nothing either way."""
    return False


SAM_DEVICE = 424242


async def _signed_out(world: World, http: httpx.AsyncClient) -> bool:
    return outcome_of(await http.get("/console")) == SIGN_IN


async def _attempt_logged(world: World, http: httpx.AsyncClient) -> bool:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        done = await session.scalar(
            select(func.count())
            .select_from(LeadTask)
            .where(LeadTask.lead_id == world.lead_a, LeadTask.done_at.is_not(None))
        )
    return bool(done)


async def _password_changed(world: World, http: httpx.AsyncClient) -> bool:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        stored = await session.scalar(select(Operator.password_hash).where(Operator.email == SAM))
    assert stored is not None
    return not verify_password(stored, DEMO_PASSWORD)


async def _signed_in_here(world: World, http: httpx.AsyncClient) -> bool:
    return outcome_of(await http.get("/console")) != SIGN_IN


TARGETS: dict[tuple[str, str], Target] = {
    ("POST", "/console/sign-out"): Target("/console/sign-out", {}, _signed_out),
    ("POST", "/console/leads/{lead_id:int}/{action:str}"): Target(
        "/console/leads/{lead_a}/attempt", {"channel": "call", "note": "forged"}, _attempt_logged
    ),
    ("POST", "/console/password"): Target(
        "/console/password",
        {
            "current_password": DEMO_PASSWORD,
            "new_password": "forged new password",
            "confirm_password": "forged new password",
        },
        _password_changed,
        refused_with=(400, 403),  # the page shows "the form expired" (400)
    ),
    # Sign-in has no session to protect yet: its own test below (login CSRF).
    ("POST", "/console/sign-in"): Target("/console/sign-in", {}, _signed_in_here),
    # The console's JSON routes (token in X-CSRF-Token).
    ("POST", "/console/api/push/devices"): Target(
        "/console/api/push/devices",
        {},
        _sam_has_device,
        json={"subscription": SUBSCRIPTION, "label": "forged"},
        ok_status=201,
        refused_with=(403,),
    ),
    ("POST", "/console/api/push/devices/{device_id}/delete"): Target(
        f"/console/api/push/devices/{SAM_DEVICE}/delete",
        {},
        _sam_device_gone,
        json={},
        ok_status=204,
        prepare=_give_sam_a_device,
    ),
    ("POST", "/console/api/push/unsubscribe"): Target(
        "/console/api/push/unsubscribe",
        {},
        _sam_device_gone,
        json={"endpoint": ENDPOINT},
        ok_status=204,
        prepare=_give_sam_a_device,
    ),
    ("POST", "/console/api/phone"): Target(
        "/console/api/phone", {}, _nothing_to_see, json={"phone": "+13125550199"}, ok_status=503
    ),
    ("POST", "/console/api/phone/verify"): Target(
        "/console/api/phone/verify", {}, _nothing_to_see, json={"code": "123456"}, ok_status=503
    ),
    ("POST", "/console/api/phone/delete"): Target(
        "/console/api/phone/delete",
        {},
        _sam_mobile_gone,
        json={},
        ok_status=204,
        prepare=_give_sam_a_mobile,
    ),
    # A ring link's decline needs no session: the signed link is the credential. Its own
    # test below.
    ("POST", "/console/ring/{token}/decline"): Target(
        "/console/ring/not-a-link/decline", {}, _nothing_to_see
    ),
    # The settings pages (issue 14): each page's targets beside it.
    **SETTINGS_CSRF,
}


def test_every_state_changing_console_route_is_covered() -> None:
    unsafe = {
        (method, path)
        for method, path in app_endpoints()
        if method not in ("GET", "HEAD", "OPTIONS", "WS") and path.startswith("/console")
    }
    assert unsafe == TARGETS.keys()


OWN_TESTS = ("/console/sign-in", "/console/ring/{token}/decline")


async def _post(
    http: httpx.AsyncClient,
    target: Target,
    path: str,
    token: str | None,
    headers: dict[str, str],
) -> httpx.Response:
    if target.json is not None:
        token_header = {"X-CSRF-Token": token} if token else {}
        return await http.post(path, json=target.json, headers={**headers, **token_header})
    form = {**target.form, **({"csrf_token": token} if token else {})}
    return await http.post(path, data=form, headers=headers)


@pytest.mark.parametrize(
    "key", [k for k in TARGETS if k[1] not in OWN_TESTS], ids=lambda k: f"{k[0]} {k[1]}"
)
async def test_forged_console_posts_are_refused(world: World, key: tuple[str, str]) -> None:
    target = TARGETS[key]
    path = target.path.format(**world.ids())
    cookies, csrf = await signed_in(world.url, target.who)
    async with httpx.AsyncClient(base_url=world.url, cookies=jar(world.url, cookies)) as http:
        for name, (headers, right_token) in FORGERIES.items():
            if target.prepare is not None:
                await target.prepare(world)
            token = csrf if right_token else ("x" * len(csrf) if name == "wrong token" else None)
            response = await _post(http, target, path, token, headers)
            assert response.status_code in target.refused_with, (name, response.status_code)
            assert not await target.took_effect(world, http), f"{name} took effect on {path}"
        # The same request from the console itself (same Origin, right token) goes through.
        same = {"Origin": world.url, "Sec-Fetch-Site": "same-origin"}
        if target.prepare is not None:
            await target.prepare(world)
        if key == ("POST", "/console/password"):
            wrong_current = {**target.form, "current_password": "not it", "csrf_token": csrf}
            response = await http.post(path, data=wrong_current, headers=same)
            assert response.status_code == 400 and "not right" in response.text
        else:
            response = await _post(http, target, path, csrf, same)
            assert response.status_code == target.ok_status, response.text
            if target.took_effect is not _nothing_to_see:
                assert await target.took_effect(world, http)


async def test_a_ring_link_decline_needs_the_link_not_a_session(world: World) -> None:
    """The notification's Decline posts its signed link with no CSRF token (a service worker
    holds none): another site's post is still refused by the cross-site guard, and a link
    that is not ours declines nothing."""
    async with httpx.AsyncClient(base_url=world.url) as http:
        path = "/console/ring/not-a-link/decline"
        for name, (headers, _right) in FORGERIES.items():
            response = await http.post(path, headers=headers)
            cross_site = "Origin" in str(headers) or "Sec-Fetch-Site" in str(headers)
            expected = 403 if cross_site and name not in ("no token", "wrong token") else 410
            assert response.status_code == expected, (name, response.status_code)
        same = {"Origin": world.url, "Sec-Fetch-Site": "same-origin"}
        assert (await http.post(path, headers=same)).status_code == 410


async def test_forged_sign_ins_are_refused(world: World) -> None:
    """Login CSRF: another site must not sign the victim in to the attacker's account."""
    for name, (headers, right_token) in FORGERIES.items():
        async with httpx.AsyncClient(base_url=world.url) as http:
            csrf = csrf_of((await http.get("/console/sign-in")).text)
            token = csrf if right_token else ("x" * len(csrf) if name == "wrong token" else None)
            form = {"email": SAM, "password": DEMO_PASSWORD}
            if token:
                form["csrf_token"] = token
            response = await http.post("/console/sign-in", data=form, headers=headers)
            assert response.status_code in (400, 403), (name, response.status_code)
            assert not await _signed_in_here(world, http), name
