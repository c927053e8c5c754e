"""Canned replies through the service layer: placeholders checked, order kept, scope held,
nothing half-saved, every change audited; the console lists them in the order set."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from chat_server.admin import create_dealership
from chat_server.administration.actors import COMMAND_LINE, Actor
from chat_server.administration.canned_replies import (
    PLACEHOLDERS,
    add_reply,
    check_placeholders,
    edit_reply,
    list_replies,
    move_reply,
    remove_reply,
)
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.chats.canned import PLACEHOLDER, canned_replies, fill
from chat_server.store.database import Database
from chat_server.store.models import AuditEntry, CannedReply
from tests.support.admin_cli import run_admin


@dataclass
class Stores:
    a: int
    b: int
    manager_a: Actor


@pytest.fixture
async def stores(database: Database) -> Stores:
    async with database.sessions() as session, session.begin():
        a = await create_dealership(
            session, slug="a-motors", name="A Motors", time_zone="America/Chicago", origins=[]
        )
        b = await create_dealership(
            session, slug="b-motors", name="B Motors", time_zone="America/Chicago", origins=[]
        )
    return Stores(a.id, b.id, Actor(id=None, name="Morgan", role="manager", dealership_id=a.id))


async def _audit(database: Database, action: str) -> list[AuditEntry]:
    async with database.sessions() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_placeholders_are_the_ones_the_console_fills() -> None:
    assert set(re.findall(r"\w+", PLACEHOLDER.pattern)) == set(PLACEHOLDERS)
    body = " ".join("{" + p + "}" for p in PLACEHOLDERS)
    check_placeholders(body)  # accepted
    assert "{" not in fill(body, dealership="A", agent="B", vehicle=None)


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("Hi {name}!", "{name}"),
        ("The {Vehicle} is here", "{Vehicle}"),
        ("{price} and {stock} and {price}", "{price}, {stock}"),
        ("Empty {} braces", "{}"),
        ("{ agent }", "{ agent }"),
    ],
)
def test_an_unknown_placeholder_is_named(body: str, names: str) -> None:
    with pytest.raises(SettingsError) as refused:
        check_placeholders(body)
    assert refused.value.field == "body"
    assert f"Unknown placeholder {names}:" in str(refused.value)
    assert "{dealership}, {agent}, {vehicle}" in str(refused.value)


@pytest.mark.parametrize("body", ["Hi {agent", "Hi agent}", "{{agent}}", "a } b { c", "{agent}}"])
def test_an_unbalanced_brace_is_refused(body: str) -> None:
    with pytest.raises(SettingsError) as refused:
        check_placeholders(body)
    assert refused.value.field == "body"
    assert "brace" in str(refused.value) or "Unknown placeholder" in str(refused.value)


async def test_add_edit_move_remove_in_order_and_audited(
    database: Database, stores: Stores
) -> None:
    actor = stores.manager_a
    async with database.sessions() as session, session.begin():
        first = await add_reply(
            session, actor, stores.a, title="  Zebra   greeting ", body="Hi, {agent} here.\r\n"
        )
        second = await add_reply(session, actor, stores.a, title="Apple", body="At {dealership}")
        third = await add_reply(session, actor, stores.a, title="Mango", body="The {vehicle}")
    assert first["title"] == "Zebra greeting" and first["body"] == "Hi, {agent} here."
    async with database.sessions() as session:
        # The order they were added in, not the alphabet: the console lists them so too.
        listed = await list_replies(session, actor, stores.a)
        console = await canned_replies(session, stores.a)
    assert [r["title"] for r in listed] == ["Zebra greeting", "Apple", "Mango"]
    assert [r["title"] for r in console] == ["Zebra greeting", "Apple", "Mango"]

    async with database.sessions() as session, session.begin():
        await move_reply(session, actor, stores.a, third["id"], "up")
        await move_reply(session, actor, stores.a, first["id"], "down")
        # The first cannot go up: nothing changes, nothing is logged.
        await move_reply(session, actor, stores.a, third["id"], "up")
    async with database.sessions() as session:
        assert [r["title"] for r in await canned_replies(session, stores.a)] == [
            "Mango",
            "Zebra greeting",
            "Apple",
        ]
    moves = await _audit(database, "canned.move")
    assert [m.changes["position"] for m in moves] == [
        {"from": 3, "to": 2},
        {"from": 1, "to": 2},
    ]

    async with database.sessions() as session, session.begin():
        await edit_reply(
            session, actor, stores.a, second["id"], title="Apple", body="Welcome to {dealership}"
        )
        await remove_reply(session, actor, stores.a, third["id"])
    edits = await _audit(database, "canned.edit")
    assert edits[0].changes == {
        "body": {"from": "At {dealership}", "to": "Welcome to {dealership}"}
    }
    assert edits[0].actor_name == "Morgan" and edits[0].dealership_id == stores.a
    removed = await _audit(database, "canned.remove")
    assert removed[0].changes["title"] == {"from": "Mango", "to": None}
    assert len(await _audit(database, "canned.add")) == 3
    async with database.sessions() as session:
        assert [r["title"] for r in await canned_replies(session, stores.a)] == [
            "Zebra greeting",
            "Apple",
        ]


async def test_replies_saved_before_positions_keep_their_alphabetical_order(
    database: Database, stores: Stores
) -> None:
    async with database.sessions() as session, session.begin():
        for title in ("Test drive", "Greeting", "Still available"):
            session.add(CannedReply(dealership_id=stores.a, title=title, body="x", position=0))
    async with database.sessions() as session, session.begin():
        listed = await list_replies(session, COMMAND_LINE, stores.a)
        assert [r["title"] for r in listed] == ["Greeting", "Still available", "Test drive"]
        await move_reply(session, COMMAND_LINE, stores.a, listed[2]["id"], "up")
    async with database.sessions() as session:
        titles = [r["title"] for r in await canned_replies(session, stores.a)]
    assert titles == ["Greeting", "Test drive", "Still available"]


@pytest.mark.parametrize(
    ("title", "body", "field", "words"),
    [
        ("", "Hello", "title", "title"),
        ("x" * 81, "Hello", "title", "80"),
        ("Hi", "   ", "body", "text"),
        ("Hi", "y" * 2001, "body", "2000"),
        ("Hi", "Our price is {price}", "body", "{price}"),
        ("Hi", "Hello {agent", "body", "brace"),
    ],
)
async def test_a_refused_reply_saves_nothing(
    database: Database, stores: Stores, title: str, body: str, field: str, words: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        async with database.sessions() as session, session.begin():
            await add_reply(session, stores.manager_a, stores.a, title=title, body=body)
    assert refused.value.field == field and words in str(refused.value)
    async with database.sessions() as session:
        assert await list_replies(session, stores.manager_a, stores.a) == []
    assert await _audit(database, "canned.add") == []


async def test_a_refused_edit_leaves_the_reply_as_it_was(
    database: Database, stores: Stores
) -> None:
    async with database.sessions() as session, session.begin():
        reply = await add_reply(session, stores.manager_a, stores.a, title="Hi", body="Hello")
    with pytest.raises(SettingsError):
        async with database.sessions() as session, session.begin():
            await edit_reply(
                session, stores.manager_a, stores.a, reply["id"], title="New", body="{oops}"
            )
    async with database.sessions() as session:
        [kept] = await list_replies(session, stores.manager_a, stores.a)
    assert (kept["title"], kept["body"]) == ("Hi", "Hello")
    assert await _audit(database, "canned.edit") == []


async def test_another_stores_replies_are_out_of_scope(database: Database, stores: Stores) -> None:
    async with database.sessions() as session, session.begin():
        theirs = await add_reply(session, COMMAND_LINE, stores.b, title="B's", body="Hello")
    manager = stores.manager_a
    salesperson = Actor(id=None, name="Alex", role="salesperson", dealership_id=stores.a)
    async with database.sessions() as session:
        with pytest.raises(NotInScope):
            await list_replies(session, manager, stores.b)
        with pytest.raises(NotInScope):
            await add_reply(session, manager, stores.b, title="x", body="y")
        with pytest.raises(NotInScope):
            await list_replies(session, salesperson, stores.a)
        # B's reply through A's own dealership id: not found, like a missing one.
        for change in (
            edit_reply(session, manager, stores.a, theirs["id"], title="x", body="y"),
            remove_reply(session, manager, stores.a, theirs["id"]),
            move_reply(session, manager, stores.a, theirs["id"], "up"),
        ):
            with pytest.raises(NotInScope):
                await change
    async with database.sessions() as session:
        [kept] = await list_replies(session, COMMAND_LINE, stores.b)
    assert kept["title"] == "B's"


async def test_the_canned_commands(database_url: str, stores: Stores) -> None:
    def admin(*args: str) -> str:
        return run_admin(database_url, list(args))

    admin("canned-add", "--dealership", "a-motors", "--title", "Greeting", "--body", "Hi {agent}")
    admin("canned-add", "--dealership", "a-motors", "--title", "Drive", "--body", "The {vehicle}")
    admin("canned-move", "--dealership", "a-motors", "--reply", "Drive", "--up")
    admin("canned-edit", "--dealership", "a-motors", "--reply", "Greeting", "--body", "Hello!")
    listed = admin("canned-list", "--dealership", "a-motors", "--json")
    rows = [json.loads(line) for line in listed.splitlines()]
    assert [(r["title"], r["body"]) for r in rows] == [
        ("Drive", "The {vehicle}"),
        ("Greeting", "Hello!"),
    ]
    admin("canned-remove", "--dealership", "a-motors", "--reply", str(rows[0]["id"]))
    assert "1. [" in admin("canned-list", "--dealership", "a-motors")
    for args, words in (
        (("canned-add", "--title", "Bad", "--body", "Our {price}"), "Unknown placeholder {price}"),
        (("canned-remove", "--reply", "No such reply"), "No canned reply titled"),
        (("canned-edit", "--reply", "Greeting"), "give --title, --body or both"),
    ):
        with pytest.raises(RuntimeError) as refused:
            admin(args[0], "--dealership", "a-motors", *args[1:])
        assert words in str(refused.value)
    with pytest.raises(RuntimeError) as refused:
        admin("canned-list", "--dealership", "nowhere")
    assert "nowhere" in str(refused.value)
