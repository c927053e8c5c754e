"""The team service (chat_server/administration/team.py): invitations, deactivation, role and
capacity, password resets. Each bad field is refused by name with nothing saved, each actor
reaches only their own people, every change is audited, and a deactivated operator's sessions
end at once: they cannot sign in and are never rung."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from chat_server.accounts.operators import operator_view
from chat_server.accounts.passwords import verify_password
from chat_server.accounts.sessions import current_operator
from chat_server.accounts.sign_in import authenticate
from chat_server.admin import cover, create_dealership, create_operator, create_pool
from chat_server.administration import team
from chat_server.administration.account_links import (
    BadLink,
    LinkState,
    open_person_link,
    token_hash,
)
from chat_server.administration.actors import COMMAND_LINE, Actor, actor_of
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.chats.roster import build_roster
from chat_server.clock import FakeClock
from chat_server.store.database import Database
from chat_server.store.models import AccountLink, AuditEntry, Dealership, Operator, PushSubscription
from chat_server.store.records import dealership_view
from tests.support.seeded_world import cheap_hash

PASSWORD = "an old long password"
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@dataclass
class World:
    """Dealerships A and B; pool P covers A, pool Q covers nothing; one admin."""

    db: Database
    a: int
    b: int
    p: int
    q: int
    ids: dict[str, int]
    actors: dict[str, Actor]


PEOPLE = (
    # key, role, dealership, pool
    ("ada", "admin", None, None),
    ("mia", "manager", "a-motors", None),
    ("sal", "salesperson", "a-motors", None),
    ("sue", "salesperson", "a-motors", None),
    ("bo", "manager", "b-motors", None),
    ("bea", "salesperson", "b-motors", None),
    ("pam", "pool_manager", None, "Pool P"),
    ("rex", "receptionist", None, "Pool P"),
    ("quill", "receptionist", None, "Pool Q"),
)


@pytest.fixture
async def world(database: Database) -> World:
    hashed = cheap_hash(PASSWORD)
    async with database.sessions() as session, session.begin():
        a = await create_dealership(
            session, slug="a-motors", name="A Motors", time_zone="America/Chicago", origins=[]
        )
        b = await create_dealership(
            session, slug="b-motors", name="B Motors", time_zone="America/New_York", origins=[]
        )
        p = await create_pool(session, "Pool P")
        q = await create_pool(session, "Pool Q")
        await cover(session, "Pool P", "a-motors")
        ids: dict[str, int] = {}
        actors: dict[str, Actor] = {}
        for key, role, dealership, pool in PEOPLE:
            row = await create_operator(
                session,
                email=f"{key}@example.com",
                name=key.title(),
                role=role,
                password=PASSWORD,
                password_hash=hashed,
                dealership=dealership,
                pool=pool,
            )
            ids[key] = row.id
            actors[key] = actor_of(operator_view(row))
    return World(database, a.id, b.id, p.id, q.id, ids, actors)


async def run(world: World, action: Any) -> Any:
    async with world.db.sessions() as session, session.begin():
        return await action(session)


async def operator(world: World, key_or_id: str | int) -> Operator:
    operator_id = world.ids[key_or_id] if isinstance(key_or_id, str) else key_or_id
    async with world.db.sessions() as session:
        return await session.get_one(Operator, operator_id)


async def counts(world: World) -> tuple[int, int, int]:
    async with world.db.sessions() as session:
        return tuple(  # type: ignore[return-value]
            [
                await session.scalar(select(func.count()).select_from(model))
                for model in (Operator, AccountLink, AuditEntry)
            ]
        )


async def audit_entries(world: World, action: str) -> list[AuditEntry]:
    async with world.db.sessions() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


async def invite(world: World, actor: str, where: team.Workplace, **fields: Any) -> Any:
    form = {"name": "Nia New", "email": "nia@example.com", "role": "salesperson"} | fields
    return await run(world, lambda s: team.invite(s, world.actors[actor], where, now=NOW, **form))


# --- invitations ----------------------------------------------------------------------------


async def test_an_invitation_adds_a_person_with_no_password_and_a_one_time_link(
    world: World,
) -> None:
    invitation = await invite(world, "mia", team.dealership(world.a), capacity="4")
    row = await operator(world, invitation.operator_id)
    assert (row.name, row.email, row.role, row.capacity) == (
        "Nia New",
        "nia@example.com",
        "salesperson",
        4,
    )
    assert (row.dealership_id, row.pool_id, row.active) == (world.a, None, True)
    # No password at all until the link is used: nothing verifies against an empty hash.
    assert row.password_hash == ""
    assert not verify_password(row.password_hash, "")
    link = invitation.link
    assert link.purpose == "invite" and link.expires_at == NOW + timedelta(days=7)
    assert len(link.token) >= 43  # 32 random bytes
    async with world.db.sessions() as session:
        stored = await session.scalar(select(AccountLink).where(AccountLink.operator_id == row.id))
        opened = await open_person_link(session, link.token, NOW)
    assert stored is not None and stored.token_hash == token_hash(link.token)
    assert link.token not in stored.token_hash
    assert (opened.name, opened.email) == ("Nia New", "nia@example.com")
    [entry] = await audit_entries(world, "team.invite")
    assert (entry.actor_id, entry.dealership_id, entry.target) == (
        world.ids["mia"],
        world.a,
        "Nia New <nia@example.com>",
    )
    assert entry.changes["role"] == {"from": None, "to": "salesperson"}
    assert entry.changes["capacity"] == {"from": None, "to": 4}


async def test_an_invitation_without_a_capacity_gets_the_roles_usual_one(world: World) -> None:
    invitation = await invite(
        world, "pam", team.pool(world.p), role="receptionist", email="rae@example.com"
    )
    row = await operator(world, invitation.operator_id)
    assert (row.role, row.pool_id, row.dealership_id, row.capacity) == (
        "receptionist",
        world.p,
        None,
        team.DEFAULT_CAPACITY["receptionist"],
    )


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": "   "}, "name", "name"),
        ({"name": "x" * 201}, "name", "at most 200"),
        ({"email": "not an address"}, "email", "not an e-mail"),
        ({"email": "SAL@Example.com"}, "email", "already exists"),  # any case: one account
        ({"role": "admin"}, "role", "salesperson or manager"),  # a manager never grants admin
        ({"role": "receptionist"}, "role", "salesperson or manager"),
        ({"capacity": "0"}, "capacity", "1 to 20"),
        ({"capacity": "21"}, "capacity", "1 to 20"),
        ({"capacity": "three"}, "capacity", "1 to 20"),
    ],
)
async def test_a_bad_invitation_is_refused_on_its_field_with_nothing_saved(
    world: World, fields: dict[str, str], field: str, words: str
) -> None:
    before = await counts(world)
    with pytest.raises(SettingsError) as refused:
        await invite(world, "mia", team.dealership(world.a), **fields)
    assert refused.value.field == field
    assert words in str(refused.value)
    assert await counts(world) == before


async def test_a_pool_gives_only_pool_roles_and_the_platform_only_admins(world: World) -> None:
    with pytest.raises(SettingsError) as refused:
        await invite(world, "pam", team.pool(world.p), role="salesperson")
    assert refused.value.field == "role" and "receptionist or pool manager" in str(refused.value)
    with pytest.raises(SettingsError):
        await invite(world, "ada", team.PLATFORM, role="manager")
    made = await invite(world, "ada", team.PLATFORM, role="admin", email="al@example.com")
    assert (await operator(world, made.operator_id)).role == "admin"


# --- scope ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "where"),
    [
        ("mia", "dealership b"),  # another store's manager
        ("mia", "pool p"),  # a store manager runs no pool
        ("mia", "platform"),  # nobody but an admin makes an admin
        ("pam", "pool q"),  # another pool
        ("pam", "dealership a"),  # the store the pool covers is still not theirs
        ("sal", "dealership a"),  # salespeople change nothing
        ("rex", "pool p"),  # nor do receptionists
    ],
)
async def test_nobody_reaches_people_outside_their_scope(
    world: World, actor: str, where: str
) -> None:
    kind, _, which = where.partition(" ")
    place = {
        "dealership": lambda: team.dealership({"a": world.a, "b": world.b}[which]),
        "pool": lambda: team.pool({"p": world.p, "q": world.q}[which]),
        "platform": lambda: team.PLATFORM,
    }[kind]()
    before = await counts(world)
    with pytest.raises(NotInScope):
        await run(world, lambda s: team.team(s, world.actors[actor], place))
    with pytest.raises(NotInScope):
        await invite(world, actor, place, role=place.roles[0])
    assert await counts(world) == before


async def test_a_person_is_reached_only_through_their_own_workplace(world: World) -> None:
    """Bea works at B: A's page (which Mia manages) cannot name her, nor can the admin reach
    her through A's page; an unknown id looks the same."""
    bea = world.ids["bea"]
    for actor in ("mia", "ada"):
        for change in (team.deactivate, team.reset_password):
            with pytest.raises(NotInScope):
                await run(
                    world,
                    lambda s, c=change, a=actor: c(
                        s, world.actors[a], team.dealership(world.a), bea
                    ),
                )
    with pytest.raises(NotInScope):
        await run(
            world,
            lambda s: team.deactivate(s, world.actors["mia"], team.dealership(world.a), 999999),
        )
    # A receptionist of the pool that covers A is not A's staff either.
    with pytest.raises(NotInScope):
        await run(
            world,
            lambda s: team.set_role_and_capacity(
                s, world.actors["mia"], team.dealership(world.a), world.ids["rex"], capacity=5
            ),
        )
    assert (await operator(world, "bea")).active


async def test_the_team_lists_each_person_with_what_rings_them(world: World) -> None:
    async with world.db.sessions() as session, session.begin():
        session.add(
            PushSubscription(
                operator_id=world.ids["sal"],
                endpoint="https://push.example/sal",
                p256dh="k",
                auth="a",
                label="Chrome on Android",
                created_at=NOW,
            )
        )
        sue = await session.get_one(Operator, world.ids["sue"])
        sue.mobile_phone = "+13125550199"
        sue.mobile_verified_at = NOW
    invited = await invite(world, "mia", team.dealership(world.a))
    await run(
        world,
        lambda s: team.deactivate(
            s, world.actors["mia"], team.dealership(world.a), world.ids["sue"], NOW
        ),
    )
    listed = await run(
        world, lambda s: team.team(s, world.actors["mia"], team.dealership(world.a), NOW)
    )
    assert listed.name == "A Motors"
    assert listed.roles == (("salesperson", "Salesperson"), ("manager", "Manager"))
    people = {p.name: p for p in listed.people}
    assert [p.name for p in listed.people] == ["Mia", "Sal", "Nia New", "Sue"]
    assert people["Sal"].devices == ("Chrome on Android",)
    assert people["Sue"].devices == ("Texts to …0199",)  # never the whole number
    assert people["Mia"].is_you and not people["Sal"].is_you
    assert {n: p.status for n, p in people.items()} == {
        "Mia": "active",
        "Sal": "active",
        "Nia New": "invited",
        "Sue": "deactivated",
    }
    assert people["Sue"].deactivated_at == NOW
    later = await run(
        world,
        lambda s: team.team(
            s, world.actors["mia"], team.dealership(world.a), NOW + timedelta(days=8)
        ),
    )
    assert {p.id: p.status for p in later.people}[invited.operator_id] == "invite_expired"


# --- deactivation ---------------------------------------------------------------------------


async def test_deactivating_ends_sessions_at_once_keeps_history_and_is_audited(
    world: World,
) -> None:
    sal = world.ids["sal"]
    async with world.db.sessions() as session, session.begin():
        row = await session.get_one(Operator, sal)
        row.presence, row.online_until = "available", NOW + timedelta(minutes=5)
    before = await operator(world, "sal")
    rt = SimpleNamespace(db=world.db, clock=FakeClock(NOW))
    cookie = {"operator": sal, "epoch": before.session_epoch}
    assert await current_operator(rt, cookie) is not None  # type: ignore[arg-type]

    changed = await run(
        world,
        lambda s: team.deactivate(s, world.actors["mia"], team.dealership(world.a), sal, NOW),
    )
    after = await operator(world, "sal")
    assert changed.epoch == after.session_epoch == before.session_epoch + 1
    assert (after.active, after.deactivated_at, after.presence, after.online_until) == (
        False,
        NOW,
        "away",
        None,
    )
    # The row and its history stay; the cookie they hold is dead, and so is their password.
    assert after.email == "sal@example.com"
    assert await current_operator(rt, cookie) is None  # type: ignore[arg-type]
    assert await current_operator(rt, {"operator": sal, "epoch": after.session_epoch}) is None  # type: ignore[arg-type]
    assert await authenticate(rt, "sal@example.com", PASSWORD) is None  # type: ignore[arg-type]
    [entry] = await audit_entries(world, "team.deactivate")
    assert entry.changes == {"active": {"from": True, "to": False}}
    assert entry.dealership_id == world.a

    # Twice is once: nothing more changes or is logged.
    await run(
        world,
        lambda s: team.deactivate(s, world.actors["mia"], team.dealership(world.a), sal, NOW),
    )
    assert len(await audit_entries(world, "team.deactivate")) == 1
    assert (await operator(world, "sal")).session_epoch == after.session_epoch

    await run(
        world,
        lambda s: team.reactivate(s, world.actors["mia"], team.dealership(world.a), sal, NOW),
    )
    back = await operator(world, "sal")
    assert (back.active, back.deactivated_at) == (True, None)
    assert await authenticate(rt, "sal@example.com", PASSWORD) is not None  # type: ignore[arg-type]
    [entry] = await audit_entries(world, "team.reactivate")
    assert entry.changes == {"active": {"from": False, "to": True}}


async def test_a_deactivated_salesperson_is_never_rung(world: World) -> None:
    async with world.db.sessions() as session, session.begin():
        for key in ("sal", "sue"):
            row = await session.get_one(Operator, world.ids[key])
            row.presence, row.online_until = "available", NOW + timedelta(minutes=5)
        # Even a device that still rings them, and presence set back by a console left open.
        session.add(
            PushSubscription(
                operator_id=world.ids["sal"],
                endpoint="https://push.example/sal",
                p256dh="k",
                auth="a",
                created_at=NOW,
            )
        )

    async def roster() -> tuple[int, ...]:
        async with world.db.sessions() as session:
            row = await session.get_one(Dealership, world.a)
            found = await build_roster(
                session,
                dealership_view(row),
                department="sales",
                visitor_id=0,
                conversation_id="none",
                at=NOW,
            )
        return found.store

    assert set(await roster()) == {world.ids["sal"], world.ids["sue"]}
    await run(
        world,
        lambda s: team.deactivate(
            s, world.actors["mia"], team.dealership(world.a), world.ids["sal"], NOW
        ),
    )
    async with world.db.sessions() as session, session.begin():
        row = await session.get_one(Operator, world.ids["sal"])
        row.presence = "available"
    assert await roster() == (world.ids["sue"],)


async def test_nobody_deactivates_themselves_or_the_last_admin(world: World) -> None:
    with pytest.raises(SettingsError, match="yourself"):
        await run(
            world,
            lambda s: team.deactivate(
                s, world.actors["mia"], team.dealership(world.a), world.ids["mia"], NOW
            ),
        )
    # The command line acts as an admin without being one of them.
    with pytest.raises(SettingsError, match="at least one active admin"):
        await run(
            world, lambda s: team.deactivate(s, COMMAND_LINE, team.PLATFORM, world.ids["ada"], NOW)
        )
    assert (await operator(world, "mia")).active and (await operator(world, "ada")).active


async def test_deactivating_voids_the_persons_open_links(world: World) -> None:
    invitation = await invite(world, "mia", team.dealership(world.a))
    await run(
        world,
        lambda s: team.deactivate(
            s, world.actors["mia"], team.dealership(world.a), invitation.operator_id, NOW
        ),
    )
    await run(
        world,
        lambda s: team.reactivate(
            s, world.actors["mia"], team.dealership(world.a), invitation.operator_id, NOW
        ),
    )
    async with world.db.sessions() as session:
        with pytest.raises(BadLink) as gone:
            await open_person_link(session, invitation.link.token, NOW + timedelta(seconds=1))
    assert gone.value.state is LinkState.EXPIRED


# --- role and capacity ----------------------------------------------------------------------


async def test_role_and_capacity_change_within_the_workplace(world: World) -> None:
    sal = world.ids["sal"]
    before = await operator(world, "sal")
    changed = await run(
        world,
        lambda s: team.set_role_and_capacity(
            s, world.actors["mia"], team.dealership(world.a), sal, role="manager", capacity="7"
        ),
    )
    after = await operator(world, "sal")
    assert (after.role, after.capacity) == ("manager", 7)
    # A new role ends their sessions: no open console keeps the old role's rights.
    assert changed.epoch == after.session_epoch == before.session_epoch + 1
    [entry] = await audit_entries(world, "team.set")
    assert entry.changes == {
        "role": {"from": "salesperson", "to": "manager"},
        "capacity": {"from": before.capacity, "to": 7},
    }
    # Capacity alone keeps the sessions; the same values again change and log nothing.
    changed = await run(
        world,
        lambda s: team.set_role_and_capacity(
            s, world.actors["mia"], team.dealership(world.a), sal, capacity=2
        ),
    )
    assert changed.epoch is None and (await operator(world, "sal")).capacity == 2
    await run(
        world,
        lambda s: team.set_role_and_capacity(
            s, world.actors["mia"], team.dealership(world.a), sal, role="manager", capacity=2
        ),
    )
    assert len(await audit_entries(world, "team.set")) == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"role": "admin"}, "role"),
        ({"role": "pool_manager"}, "role"),
        ({"capacity": "25"}, "capacity"),
        ({"role": "manager", "capacity": "-1"}, "capacity"),  # nothing saved half-way
    ],
)
async def test_a_bad_role_or_capacity_is_refused_with_nothing_saved(
    world: World, fields: dict[str, str], field: str
) -> None:
    before = await operator(world, "sal")
    with pytest.raises(SettingsError) as refused:
        await run(
            world,
            lambda s: team.set_role_and_capacity(
                s, world.actors["mia"], team.dealership(world.a), world.ids["sal"], **fields
            ),
        )
    assert refused.value.field == field
    after = await operator(world, "sal")
    assert (after.role, after.capacity, after.session_epoch) == (
        before.role,
        before.capacity,
        before.session_epoch,
    )
    assert await audit_entries(world, "team.set") == []


async def test_nobody_changes_their_own_role_but_may_change_their_capacity(world: World) -> None:
    mia = world.ids["mia"]
    with pytest.raises(SettingsError) as refused:
        await run(
            world,
            lambda s: team.set_role_and_capacity(
                s, world.actors["mia"], team.dealership(world.a), mia, role="salesperson"
            ),
        )
    assert refused.value.field == "role"
    await run(
        world,
        lambda s: team.set_role_and_capacity(
            s, world.actors["mia"], team.dealership(world.a), mia, capacity=5
        ),
    )
    assert (await operator(world, "mia")).capacity == 5


async def test_a_pool_manager_runs_their_pools_receptionists(world: World) -> None:
    rex = world.ids["rex"]
    await run(
        world,
        lambda s: team.set_role_and_capacity(
            s, world.actors["pam"], team.pool(world.p), rex, capacity=12
        ),
    )
    await run(
        world, lambda s: team.deactivate(s, world.actors["pam"], team.pool(world.p), rex, NOW)
    )
    assert not (await operator(world, "rex")).active
    [entry] = await audit_entries(world, "team.deactivate")
    assert (entry.pool_id, entry.dealership_id) == (world.p, None)
    with pytest.raises(NotInScope):
        await run(
            world,
            lambda s: team.deactivate(
                s, world.actors["pam"], team.pool(world.p), world.ids["quill"], NOW
            ),
        )


# --- password resets ------------------------------------------------------------------------


async def test_a_reset_stops_the_old_password_now_and_ends_sessions(world: World) -> None:
    before = await operator(world, "sal")
    reset = await run(
        world,
        lambda s: team.reset_password(
            s, world.actors["mia"], team.dealership(world.a), world.ids["sal"], NOW
        ),
    )
    after = await operator(world, "sal")
    assert reset.link.purpose == "reset" and reset.link.expires_at == NOW + timedelta(days=1)
    assert not verify_password(after.password_hash, PASSWORD)
    assert reset.epoch == after.session_epoch == before.session_epoch + 1
    [entry] = await audit_entries(world, "team.reset_password")
    assert entry.changes == {"password": {"from": "(secret)", "to": ""}}  # masked
    async with world.db.sessions() as session:
        opened = await open_person_link(session, reset.link.token, NOW)
    assert opened.email == "sal@example.com" and opened.purpose == "reset"


async def test_a_reset_for_someone_invited_is_a_new_invitation(world: World) -> None:
    first = await invite(world, "mia", team.dealership(world.a))
    again = await run(
        world,
        lambda s: team.reset_password(
            s, world.actors["mia"], team.dealership(world.a), first.operator_id, NOW
        ),
    )
    assert again.link.purpose == "invite" and again.epoch is None
    assert [e.action for e in await audit_entries(world, "team.reinvite")] == ["team.reinvite"]
    async with world.db.sessions() as session:
        with pytest.raises(BadLink):  # only the newest link opens the account
            await open_person_link(session, first.link.token, NOW)
        assert (await open_person_link(session, again.link.token, NOW)).name == "Nia New"


async def test_no_reset_of_ones_own_password_or_a_deactivated_persons(world: World) -> None:
    with pytest.raises(SettingsError, match="Password page"):
        await run(
            world,
            lambda s: team.reset_password(
                s, world.actors["mia"], team.dealership(world.a), world.ids["mia"], NOW
            ),
        )
    await run(
        world,
        lambda s: team.deactivate(
            s, world.actors["mia"], team.dealership(world.a), world.ids["sal"], NOW
        ),
    )
    with pytest.raises(SettingsError, match="reactivate"):
        await run(
            world,
            lambda s: team.reset_password(
                s, world.actors["mia"], team.dealership(world.a), world.ids["sal"], NOW
            ),
        )
    assert verify_password((await operator(world, "mia")).password_hash, PASSWORD)


async def test_the_command_line_finds_a_persons_workplace_by_e_mail(world: World) -> None:
    async with world.db.sessions() as session:
        assert await team.workplace_of(session, "SAL@example.com") == (
            team.dealership(world.a),
            world.ids["sal"],
        )
        assert await team.workplace_of(session, "rex@example.com") == (
            team.pool(world.p),
            world.ids["rex"],
        )
        assert await team.workplace_of(session, "ada@example.com") == (
            team.PLATFORM,
            world.ids["ada"],
        )
        with pytest.raises(SettingsError) as refused:
            await team.workplace_of(session, "nobody@example.com")
    assert refused.value.field == "email"
