"""The sockets' half of the access matrix (test_access_matrix.py names this file).

Every client frame type, read from the protocol parser itself so that a new frame type with no
entry here fails, is sent against a conversation of dealership B by each role of dealership A;
each is refused with an error frame and B's conversation is left exactly as it was. The
visitor socket refuses a foreign Origin and a foreign site key, and never shows a shopper a
conversation (or a visitor record) of another shopper or another dealership.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat_server.demo_world import DEMO_SITE_KEY
from chat_server.protocol.incoming import parse_console_frame, parse_visitor_frame
from chat_server.store.database import open_database
from chat_server.store.models import Conversation, ConversationNote, Message, RingRecord
from tests.security.conftest import (
    B_ORIGIN,
    B_SHOPPER,
    B_SITE_KEY,
    CONSOLE_ROLES,
    World,
    cookie_header,
)
from tests.support.clients import FrameClient, visitor


def frame_types(parser: Any) -> set[str]:
    """The frame types a parser accepts: the strings it compares ``kind`` with."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(parser)))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and getattr(node.left, "id", None) == "kind":
            for right in node.comparators:
                for leaf in ast.walk(right):
                    if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str):
                        found.add(leaf.value)
    return found


# Each console frame, aimed at B's still-ringing conversation ({open_b}). ``None``: the frame
# names no conversation (it acts on the operator alone), so there is nothing foreign to refuse.
CONSOLE_FRAMES: dict[str, dict[str, Any] | None] = {
    "accept": {},
    "decline": {},
    "close": {},
    "transfer": {"to": None},
    "message": {"client_id": "matrix-1", "body": "hello from A"},
    "typing": {"active": True},
    "note": {"body": "a peek into B"},
    "contact": {"phone": "3125550100", "name": "Overwritten"},
    "lead": None,  # reserved in docs/protocol.md; the parser answers unknown_type
    "presence": None,
}

# What a shopper's socket does after a hello that names B's conversation from A's site.
VISITOR_FRAMES: dict[str, tuple[dict[str, Any], str | None]] = {
    "contact": ({"phone": "3125550199"}, "no_conversation"),  # nothing of theirs to attach to
    "typing": ({"active": True}, None),  # ignored: no conversation of theirs
    "context": ({"vehicle": {"make": "Ford"}}, None),  # only their own visitor record
    "message": ({"client_id": "v-1", "body": "hi"}, None),  # starts a new chat of A's
    "hello": ({}, "bad_frame"),  # only once, first
}


def test_every_console_frame_type_has_an_entry() -> None:
    parsed = frame_types(parse_console_frame)
    assert parsed - CONSOLE_FRAMES.keys() == set(), "console frames with no matrix entry"
    assert {k for k, v in CONSOLE_FRAMES.items() if v is not None} <= parsed


def test_every_visitor_frame_type_has_an_entry() -> None:
    assert frame_types(parse_visitor_frame) == VISITOR_FRAMES.keys()


async def console_socket(world: World, role: str, origin: str | None = None) -> FrameClient:
    cookie = cookie_header(world.principals[role].cookies)
    socket = await connect(
        world.server.ws_url + "/ws/console",
        origin=origin or world.url,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
    )
    client = FrameClient(socket)
    await client.expect("welcome")
    return client


async def snapshot(world: World, conversation_id: str) -> tuple[Any, ...]:
    async with open_database(world.server.database_url) as db, db.sessions() as session:
        row = await session.get_one(Conversation, conversation_id)
        counts = []
        for model in (Message, ConversationNote, RingRecord):
            counts.append(
                await session.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(model.conversation_id == conversation_id)
                )
            )
        return (row.state, row.owner_id, row.contact, row.version, *counts)


# The platform admin reads every tenant's chats by design: test_the_admin_reads_but_never_answers.
TENANT_ROLES = [role for role in CONSOLE_ROLES if role != "admin"]


@pytest.mark.parametrize("role", TENANT_ROLES)
async def test_console_frames_on_a_foreign_conversation_are_refused(
    world: World, role: str
) -> None:
    before = await snapshot(world, world.open_b)
    client = await console_socket(world, role)
    try:
        for kind, fields in CONSOLE_FRAMES.items():
            if fields is None:
                continue
            await client.send({"type": kind, "conversation": world.open_b, **fields})
            error = await client.expect("error")
            assert error["code"] == "no_conversation", (role, kind, error)
        # The frames that name no conversation: presence acts on this operator only, and
        # "lead" is not a client frame at all.
        await client.send({"type": "presence", "status": "away"})
        assert (await client.expect("presence"))["status"] == "away"
        await client.send({"type": "lead", "conversation": world.open_b})
        assert (await client.expect("error"))["code"] == "unknown_type"
        # Nothing of B's reached this console meanwhile.
        assert all(B_SHOPPER not in str(frame) for frame in client.seen)
    finally:
        await client.close()
    assert await snapshot(world, world.open_b) == before


async def test_the_admin_reads_but_never_answers(world: World) -> None:
    """The platform admin may read B's chat (support), but is rung for no dealership: every
    frame that would answer, move or end it is refused, and typing is ignored."""
    before = await snapshot(world, world.open_b)
    client = await console_socket(world, "admin")
    try:
        for kind in ("accept", "decline", "close", "transfer", "message", "contact"):
            fields = CONSOLE_FRAMES[kind]
            assert fields is not None
            await client.send({"type": kind, "conversation": world.open_b, **fields})
            error = await client.expect("error")
            assert error["code"] == "not_allowed", (kind, error)
        await client.send({"type": "typing", "conversation": world.open_b, "active": True})
        await client.send({"type": "presence", "status": "away"})
        # Frames are handled in order: the presence answer comes after the ignored typing.
        assert (await client.expect("presence"))["status"] == "away"
        assert [f for f in client.seen if f.get("type") == "error"][6:] == []
    finally:
        await client.close()
    assert await snapshot(world, world.open_b) == before


async def test_console_frames_cannot_hand_a_chat_to_a_foreign_operator(world: World) -> None:
    """Alex owns a chat of A; transferring it to B's salesperson is refused."""
    before = await snapshot(world, world.owned_a)
    client = await console_socket(world, "salesperson_a")
    try:
        await client.send({"type": "transfer", "conversation": world.owned_a, "to": world.bea_id})
        assert (await client.expect("error"))["code"] == "bad_field"
    finally:
        await client.close()
    assert await snapshot(world, world.owned_a) == before


async def test_console_frames_need_this_origin_and_a_session(world: World) -> None:
    for origin, cookie in (
        ("http://evil.example", True),  # a signed-in operator lured to another site
        (world.url, False),  # no session
    ):
        headers = {}
        if cookie:
            jar = world.principals["salesperson_a"].cookies
            headers["Cookie"] = cookie_header(jar)
        async with connect(
            world.server.ws_url + "/ws/console",
            origin=origin,  # type: ignore[arg-type]
            additional_headers=headers,
        ) as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await socket.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


@pytest.mark.parametrize(
    ("site", "origin"),
    [
        (DEMO_SITE_KEY, "http://evil.example"),  # A's key from a site A does not list
        (B_SITE_KEY, None),  # B's key from A's site (A's origin)
        ("no-such-site", None),
    ],
)
async def test_the_visitor_socket_refuses_a_foreign_origin_or_site(
    world: World, site: str, origin: str | None
) -> None:
    async with connect(
        f"{world.server.ws_url}/ws/visitor?site={site}",
        origin=origin or world.url,  # type: ignore[arg-type]
    ) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_the_visitor_socket_never_joins_a_foreign_conversation(world: World) -> None:
    before = {c: await snapshot(world, c) for c in (world.open_b, world.open_a)}
    # A shopper of B, on B's site: their token must not work on A's site.
    b_shopper, b_welcome = await visitor(world.server.ws_url, B_ORIGIN, site=B_SITE_KEY)
    await b_shopper.close()
    for wanted, token in ((world.open_b, b_welcome["visitor"]), (world.open_a, None)):
        client, welcome = await visitor(
            world.server.ws_url, world.url, token=token, conversation=wanted
        )
        try:
            assert welcome["conversation"] is None and welcome["messages"] == [], welcome
            assert welcome["visitor"] != b_welcome["visitor"]
            for kind, (fields, refused) in VISITOR_FRAMES.items():
                frame = {"type": kind, **fields}
                if kind == "message":
                    frame["client_id"] = uuid.uuid4().hex
                await client.send(frame)
                if refused is not None:
                    assert (await client.expect("error"))["code"] == refused, kind
                elif kind == "message":
                    ack = await client.expect_keeping("ack")
                    assert ack["client_id"] == frame["client_id"]
            started = [f["conversation"] for f in client.seen if f.get("conversation")]
            assert wanted not in started
        finally:
            await client.close()
    for conversation_id, state in before.items():
        assert await snapshot(world, conversation_id) == state
