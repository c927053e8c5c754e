"""One-time account links (chat_server/administration/account_links.py): only a hash stored,
one use, an expiry, a password rule with the field named, and the first admin's setup link,
which exists only while the database has no operators. Also the CLI's team commands, which
print links, and ``dealer-chat serve``'s announcement of the setup link."""

from __future__ import annotations

import asyncio
import io
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from chat_server.accounts.operators import OperatorView
from chat_server.accounts.passwords import verify_password
from chat_server.admin import create_dealership, create_operator
from chat_server.admin_commands.team import announce_first_admin
from chat_server.administration import team
from chat_server.administration.account_links import (
    BadLink,
    LinkState,
    create_first_admin,
    create_link,
    first_admin_link,
    open_person_link,
    open_setup_link,
    redeem,
    spend_setup_link,
    token_hash,
)
from chat_server.administration.actors import COMMAND_LINE
from chat_server.administration.errors import SettingsError
from chat_server.settings import Settings, load_settings
from chat_server.store.database import Database, open_database
from chat_server.store.migrate import migrate
from chat_server.store.models import AccountLink, AuditEntry, Operator
from tests.support.admin_cli import run_admin
from tests.support.seeded_world import cheap_hash

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
NEW_PASSWORD = "correct horse battery staple"


async def add_person(db: Database, *, password_hash: str = "") -> int:
    async with db.sessions() as session, session.begin():
        await create_dealership(
            session, slug="a-motors", name="A Motors", time_zone="America/Chicago", origins=[]
        )
        row = await create_operator(
            session,
            email="nia@example.com",
            name="Nia New",
            role="salesperson",
            password="unused password",
            password_hash=password_hash or "x",
            dealership="a-motors",
        )
        row.password_hash = password_hash
        return row.id


async def make_link(db: Database, operator_id: int | None, purpose: str = "invite") -> str:
    async with db.sessions() as session, session.begin():
        link = await create_link(
            session, purpose, operator_id=operator_id, created_by_id=None, now=NOW
        )
    return link.token


async def person(db: Database, operator_id: int) -> Operator:
    async with db.sessions() as session:
        return await session.get_one(Operator, operator_id)


async def use(
    db: Database, token: str, password: str, confirm: str | None = None, at: datetime = NOW
) -> OperatorView:
    async with db.sessions() as session, session.begin():
        return await redeem(session, token, password, password if confirm is None else confirm, at)


async def test_a_link_is_stored_only_as_its_hash(database: Database) -> None:
    nia = await add_person(database)
    token = await make_link(database, nia)
    async with database.sessions() as session:
        rows = list(await session.scalars(select(AccountLink)))
    assert [r.token_hash for r in rows] == [token_hash(token)]
    assert all(token not in (r.token_hash, r.purpose) for r in rows)


async def test_a_link_sets_the_password_once_and_ends_other_sessions(database: Database) -> None:
    nia = await add_person(database, password_hash=cheap_hash("an older password"))
    async with database.sessions() as session, session.begin():
        row = await session.get_one(Operator, nia)
        row.failed_sign_ins, row.locked_until = 4, NOW + timedelta(minutes=10)
    before = await person(database, nia)
    token = await make_link(database, nia, "reset")
    async with database.sessions() as session:
        opened = await open_person_link(session, token, NOW)
    assert (opened.name, opened.email, opened.purpose) == ("Nia New", "nia@example.com", "reset")

    signed_in = await use(database, token, NEW_PASSWORD)
    after = await person(database, nia)
    assert signed_in.id == nia and signed_in.session_epoch == after.session_epoch
    assert after.session_epoch == before.session_epoch + 1
    assert verify_password(after.password_hash, NEW_PASSWORD)
    assert (after.failed_sign_ins, after.locked_until) == (0, None)  # a reset unlocks too
    async with database.sessions() as session:
        [entry] = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "account.password_set")
        )
    assert entry.actor_id == nia and entry.changes["password"] == {"from": "", "to": "(secret)"}

    with pytest.raises(BadLink) as again:
        await use(database, token, "another long password")
    assert again.value.state is LinkState.USED
    assert verify_password((await person(database, nia)).password_hash, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("password", "confirm", "field"),
    [
        ("too short", "too short", "password"),
        ("x" * 1001, "x" * 1001, "password"),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "confirm_password"),
    ],
)
async def test_a_bad_password_is_refused_and_the_link_still_works(
    database: Database, password: str, confirm: str, field: str
) -> None:
    nia = await add_person(database)
    token = await make_link(database, nia)
    with pytest.raises(SettingsError) as refused:
        await use(database, token, password, confirm)
    assert refused.value.field == field
    assert (await person(database, nia)).password_hash == ""
    await use(database, token, NEW_PASSWORD)  # not spent by the refusal


async def test_unknown_expired_and_deactivated_links_open_nothing(database: Database) -> None:
    nia = await add_person(database)
    token = await make_link(database, nia)
    async with database.sessions() as session:
        for bad, state in (
            ("not-a-link", LinkState.UNKNOWN),
            ("", LinkState.UNKNOWN),
            ("x" * 500, LinkState.UNKNOWN),
        ):
            with pytest.raises(BadLink) as gone:
                await open_person_link(session, bad, NOW)
            assert gone.value.state is state
        with pytest.raises(BadLink) as gone:
            await open_person_link(session, token, NOW + timedelta(days=7))
        assert gone.value.state is LinkState.EXPIRED
    with pytest.raises(BadLink):
        await use(database, token, NEW_PASSWORD, at=NOW + timedelta(days=7, seconds=1))
    async with database.sessions() as session, session.begin():
        (await session.get_one(Operator, nia)).active = False
    with pytest.raises(BadLink) as gone:
        await use(database, token, NEW_PASSWORD)
    assert gone.value.state is LinkState.EXPIRED
    assert (await person(database, nia)).password_hash == ""


async def test_a_setup_link_is_no_set_password_link_and_the_other_way_round(
    database: Database,
) -> None:
    setup = await make_link(database, None, "first_admin")
    nia = await add_person(database)
    invitation = await make_link(database, nia)
    async with database.sessions() as session:
        with pytest.raises(BadLink) as gone:
            await open_person_link(session, setup, NOW)
        assert gone.value.state is LinkState.UNKNOWN
        with pytest.raises(BadLink) as gone:
            await open_setup_link(session, invitation, NOW)
        assert gone.value.state is LinkState.UNKNOWN


# --- the first admin ------------------------------------------------------------------------


async def test_the_first_admin_is_made_once_with_the_setup_link(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        link = await first_admin_link(session, NOW)
    assert link is not None and link.expires_at == NOW + timedelta(days=1)
    async with database.sessions() as session:
        assert (await open_setup_link(session, link.token, NOW)).purpose == "first_admin"

    fields = {"name": "Ada Admin", "email": "Ada@Example.com", "password": NEW_PASSWORD}
    for bad, field in (
        ({"name": ""}, "name"),
        ({"email": "ada at example"}, "email"),
        ({"password": "short"}, "password"),
    ):
        with pytest.raises(SettingsError) as refused:
            async with database.sessions() as session, session.begin():
                form = fields | bad
                await create_first_admin(
                    session, link.token, confirm=form["password"], now=NOW, **form
                )
        assert refused.value.field == field
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Operator)) == 0

    async with database.sessions() as session, session.begin():
        admin = await create_first_admin(
            session, link.token, confirm=NEW_PASSWORD, now=NOW, **fields
        )
    assert (admin.role, admin.email, admin.dealership_id, admin.pool_id) == (
        "admin",
        "ada@example.com",
        None,
        None,
    )
    async with database.sessions() as session, session.begin():
        row = await session.get_one(Operator, admin.id)
        assert verify_password(row.password_hash, NEW_PASSWORD)
        [entry] = await session.scalars(select(AuditEntry))
        assert (entry.action, entry.actor_id) == ("team.first_admin", admin.id)
        # Now there is someone: no new setup link, and the old one is used.
        assert await first_admin_link(session, NOW) is None
        with pytest.raises(BadLink) as gone:
            await open_setup_link(session, link.token, NOW)
        assert gone.value.state is LinkState.USED


async def test_a_setup_link_left_over_once_someone_has_an_account_is_spent(
    database: Database,
) -> None:
    async with database.sessions() as session, session.begin():
        link = await first_admin_link(session, NOW)
    assert link is not None
    await add_person(database)
    async with database.sessions() as session, session.begin():
        with pytest.raises(BadLink) as gone:
            await open_setup_link(session, link.token, NOW)
        assert gone.value.state is LinkState.SET_UP
        with pytest.raises(BadLink):
            await create_first_admin(
                session,
                link.token,
                name="Mal",
                email="mal@example.com",
                password=NEW_PASSWORD,
                confirm=NEW_PASSWORD,
                now=NOW,
            )
    async with database.sessions() as session, session.begin():
        await spend_setup_link(session, link.token, NOW)
    async with database.sessions() as session:
        with pytest.raises(BadLink) as gone:
            await open_setup_link(session, link.token, NOW)
        assert gone.value.state is LinkState.USED
        assert await session.scalar(select(func.count()).where(Operator.role == "admin")) == 0


def _serve_settings(database_url: str) -> Settings:
    return load_settings(
        {}, database_url=database_url, host="0.0.0.0", port=8123, secret_key="s" * 40
    )


def test_serve_prints_the_setup_link_only_on_an_empty_database(database_url: str) -> None:
    settings = _serve_settings(database_url)
    out = io.StringIO()
    with redirect_stdout(out):
        assert asyncio.run(announce_first_admin(settings)) is None
    assert "dealer-chat migrate" in out.getvalue()

    migrate(database_url)
    out = io.StringIO()
    with redirect_stdout(out):
        url = asyncio.run(announce_first_admin(settings))
    assert url is not None and url.startswith("http://127.0.0.1:8123/console/setup/")
    assert url in out.getvalue() and "DEALER_CHAT_PUBLIC_URL" in out.getvalue()
    assert "password" not in out.getvalue().lower()  # a link, never a default password

    async def add_someone() -> None:
        async with open_database(database_url) as db:
            await add_person(db)

    asyncio.run(add_someone())
    out = io.StringIO()
    with redirect_stdout(out):
        assert asyncio.run(announce_first_admin(settings)) is None
    assert out.getvalue() == ""


# --- the command line -----------------------------------------------------------------------


def _link_in(output: str) -> str:
    [url] = [line.strip() for line in output.splitlines() if "/console/set-password/" in line]
    return url.rsplit("/", 1)[1]


async def test_the_team_commands_print_links_and_change_people(
    database: Database, database_url: str
) -> None:
    await add_person(database, password_hash=cheap_hash("an older password"))
    out = await asyncio.to_thread(
        run_admin,
        database_url,
        [
            "invite-operator",
            "--email",
            "Sid@Example.com",
            "--name",
            "Sid Seller",
            "--role",
            "salesperson",
            "--dealership",
            "a-motors",
            "--capacity",
            "4",
        ],
    )
    assert "invited Sid Seller <sid@example.com>" in out
    token = _link_in(out)
    async with database.sessions() as session:
        assert (await open_person_link(session, token, datetime.now(UTC))).name == "Sid Seller"
        sid = await session.scalar(select(Operator).where(Operator.email == "sid@example.com"))
        assert sid is not None and (sid.capacity, sid.password_hash) == (4, "")

    out = await asyncio.to_thread(
        run_admin, database_url, ["set-operator", "--email", "sid@example.com", "--role", "manager"]
    )
    assert "Sid Seller: saved" in out
    out = await asyncio.to_thread(
        run_admin, database_url, ["reset-password", "--email", "nia@example.com"]
    )
    assert "password reset for Nia New" in out
    reset = _link_in(out)
    out = await asyncio.to_thread(
        run_admin, database_url, ["deactivate-operator", "--email", "nia@example.com"]
    )
    assert "Nia New: deactivated" in out
    async with database.sessions() as session:
        with pytest.raises(BadLink):  # deactivating voided the reset link
            await open_person_link(session, reset, datetime.now(UTC))
    await asyncio.to_thread(
        run_admin, database_url, ["reactivate-operator", "--email", "nia@example.com"]
    )
    async with database.sessions() as session:
        rows = {o.email: o for o in await session.scalars(select(Operator))}
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert rows["sid@example.com"].role == "manager" and rows["nia@example.com"].active
    assert actions == [
        "team.invite",
        "team.set",
        "team.reset_password",
        "team.deactivate",
        "team.reactivate",
    ]

    # Refusals are one line on stderr naming the field (and exit status 2).
    for args, words in (
        (["reset-password", "--email", "nobody@example.com"], "email: No operator"),
        (["set-operator", "--email", "sid@example.com", "--capacity", "50"], "capacity:"),
        (
            ["invite-operator", "--email", "x@example.com", "--name", "X", "--role", "manager"],
            "needs --dealership or --pool",
        ),
        (
            [
                *("invite-operator", "--email", "sid@example.com", "--name", "Sid"),
                *("--role", "salesperson", "--dealership", "a-motors"),
            ],
            "already exists",
        ),
    ):
        with pytest.raises(RuntimeError, match=words):
            await asyncio.to_thread(run_admin, database_url, args)


async def test_the_command_line_can_add_another_admin(
    database: Database, database_url: str
) -> None:
    out = await asyncio.to_thread(
        run_admin,
        database_url,
        ["invite-operator", "--email", "al@example.com", "--name", "Al", "--role", "admin"],
    )
    token = _link_in(out)
    await use(database, token, NEW_PASSWORD, at=datetime.now(UTC))
    async with database.sessions() as session:
        listed = await team.team(session, COMMAND_LINE, team.PLATFORM)
    assert [(p.name, p.role, p.status) for p in listed.people] == [("Al", "admin", "active")]
