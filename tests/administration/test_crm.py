"""CRM and API settings: intake addresses, webhook URL, events and secret, cadence, API tokens,
and the test lead, through the service layer, the page, and real receivers (aiosmtpd and a
loopback webhook)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from chat_server.accounts.api_tokens import dealership_for as token_dealership
from chat_server.admin import AdminError, create_dealership
from chat_server.admin_commands import crm as crm_commands
from chat_server.administration.actors import COMMAND_LINE, Actor
from chat_server.administration.audit import MASK
from chat_server.administration.crm_settings import (
    api_tokens,
    check_webhook_url,
    create_api_token,
    crm_view,
    new_webhook_secret,
    parse_addresses,
    parse_cadence,
    revoke_api_token,
    revoke_api_tokens_named,
    set_crm,
)
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.demo_world import DEMO_SLUG
from chat_server.leads.outbox import enqueue_deliveries, resend_lead
from chat_server.leads.signature import HEADER, verify
from chat_server.leads.test_lead import NO_SMTP, SHOPPER, plan_test_lead, send_test_lead
from chat_server.settings import load_settings
from chat_server.store.database import Database, open_database
from chat_server.store.models import AuditEntry, Dealership, Lead, LeadDelivery
from tests.leads.adf_check import parse_adf
from tests.leads.receivers import MailBox, SmtpServer, WebhookReceiver
from tests.operator_console.scenario import add_chat
from tests.support.admin_cli import run_admin
from tests.support.clients import sign_in_cookie
from tests.support.inprocess import InProcessServer

MORGAN = "morgan@demo-motors.test"
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


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
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


# --- checking input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://crm.example.com/leads",
        "http://crm.example.com/leads",  # plain http off this machine
        "http://10.0.0.5/leads",
        "https://",
        "crm.example.com/leads",
        "not a url",
        "https://crm.example.com/a b",
        "https://crm.example.com:99999/leads",
        "javascript:alert(1)",
        "https://" + "x" * 500 + ".com",
    ],
)
def test_a_bad_webhook_url_is_refused(url: str) -> None:
    with pytest.raises(SettingsError) as refused:
        check_webhook_url(url)
    assert refused.value.field == "webhook_url"
    assert "https://" in str(refused.value) or "longer" in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://crm.example.com/leads?token=abc",
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]:9000/hook",
        "",
    ],
)
def test_a_good_webhook_url_is_kept(url: str) -> None:
    assert check_webhook_url(f"  {url} ") == url


def test_addresses_and_cadence_as_typed() -> None:
    assert parse_addresses("a@x.test\n b@y.test ,c@z.test;\r\n\n") == [
        "a@x.test",
        "b@y.test",
        "c@z.test",
    ]
    assert parse_cadence(" 14, 3 1\n3 ") == [1, 3, 14]
    assert parse_cadence("") == []
    for typed, words in (
        ("0", "not 0"),
        ("1, 366", "not 366"),
        ("1, two", "'two'"),
        ("-1", "'-1'"),
    ):
        with pytest.raises(SettingsError) as refused:
            parse_cadence(typed)
        assert refused.value.field == "cadence" and words in str(refused.value)


# --- the service --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"addresses": ["leads@crm.example.com", "not an address"]}, "addresses"),
        ({"addresses": ["leads@crm"]}, "addresses"),
        ({"addresses": ["a@b@crm.example.com"]}, "addresses"),
        ({"addresses": [f"l{i}@crm.example.com" for i in range(11)]}, "addresses"),
        ({"webhook_url": "http://crm.example.com/leads"}, "webhook_url"),
        ({"webhook_events": ["lead.new", "lead.deleted"]}, "webhook_events"),
        ({"cadence_days": [1, 400]}, "cadence"),
    ],
)
async def test_a_refused_crm_change_saves_nothing(
    database: Database, stores: Stores, change: dict[str, Any], field: str
) -> None:
    good: dict[str, Any] = {
        "addresses": ["leads@crm.example.com"],
        "attachment": True,
        "log_ups": True,
        "cadence_days": [1, 2],
        "webhook_url": "https://crm.example.com/hook",
        "webhook_events": ["lead.new"],
    }
    with pytest.raises(SettingsError) as refused:
        async with database.sessions() as session, session.begin():
            await set_crm(session, stores.manager_a, stores.a, **{**good, **change})
    assert refused.value.field == field
    async with database.sessions() as session:
        view = await crm_view(session, stores.manager_a, stores.a)
        entries = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert view["addresses"] == [] and view["webhook_url"] == "" and not view["attachment"]
    assert view["webhook_events"] == ["lead.new", "lead.resend"] and not view["has_webhook_secret"]
    assert entries == 0


async def test_crm_settings_saved_audited_and_the_first_secret_made_once(
    database: Database, stores: Stores
) -> None:
    async with database.sessions() as session, session.begin():
        saved = await set_crm(
            session,
            stores.manager_a,
            stores.a,
            addresses=["Leads@CRM.example.com", "leads@crm.example.com", "bdc@crm.example.com"],
            attachment=True,
            log_ups=True,
            cadence_days=[7, 1, 3],
            webhook_url="https://hooks.example.com/dealer?token=s3cr3t",
            webhook_events=["lead.resend", "lead.new"],
            at=NOW,
        )
    secret = saved["new_webhook_secret"]
    assert secret and len(secret) >= 40
    assert saved["addresses"] == ["Leads@crm.example.com", "bdc@crm.example.com"]
    assert saved["cadence_days"] == [1, 3, 7] and saved["webhook_events"] == EVENTS
    async with database.sessions() as session:
        row = await session.get_one(Dealership, stores.a)
        view = await crm_view(session, stores.manager_a, stores.a)
    assert (row.crm_email, row.crm_addresses) == ("Leads@crm.example.com", ["bdc@crm.example.com"])
    assert row.webhook_secret == secret
    # The view (what the page shows) says a secret is set, and never what it is.
    assert view["has_webhook_secret"] and secret not in json.dumps(view, default=str)

    [changed] = await _audit(database, "crm.set")
    assert changed.at == NOW and changed.actor_name == "Morgan"
    # The URL's query may hold an access token: the log keeps only that there was one.
    assert changed.changes["webhook_url"] == {
        "from": "",
        "to": "https://hooks.example.com/dealer?(hidden)",
    }
    [made] = await _audit(database, "crm.webhook_secret")
    assert made.changes == {"webhook_secret": {"from": "", "to": MASK}}
    assert secret not in json.dumps([changed.changes, made.changes])

    # Saving again (the same webhook) makes no new secret and changes nothing.
    async with database.sessions() as session, session.begin():
        again = await set_crm(
            session, stores.manager_a, stores.a, webhook_url=row.webhook_url, log_ups=True
        )
    assert again["new_webhook_secret"] is None
    assert len(await _audit(database, "crm.set")) == 1


EVENTS = ["lead.new", "lead.resend"]


async def test_a_new_webhook_secret_replaces_the_old_one(
    database: Database, stores: Stores
) -> None:
    async with database.sessions() as session, session.begin():
        first = await new_webhook_secret(session, stores.manager_a, stores.a)
        second = await new_webhook_secret(session, stores.manager_a, stores.a)
        given = await new_webhook_secret(
            session, COMMAND_LINE, stores.a, given="a secret of my own choosing"
        )
    assert first != second and given == "a secret of my own choosing"
    with pytest.raises(SettingsError) as refused:
        async with database.sessions() as session, session.begin():
            await new_webhook_secret(session, COMMAND_LINE, stores.a, given="too short")
    assert refused.value.field == "webhook_secret"
    entries = await _audit(database, "crm.webhook_secret")
    assert [e.changes["webhook_secret"] for e in entries] == [
        {"from": "", "to": MASK},
        {"from": MASK, "to": MASK},
        {"from": MASK, "to": MASK},
    ]
    async with database.sessions() as session:
        assert (await session.get_one(Dealership, stores.a)).webhook_secret == given


async def test_api_tokens_are_shown_once_and_revoked(database: Database, stores: Stores) -> None:
    async with database.sessions() as session, session.begin():
        made = await create_api_token(session, stores.manager_a, stores.a, "  CRM   sync ", at=NOW)
        other = await create_api_token(session, COMMAND_LINE, stores.a, "reports", at=NOW)
    assert made["name"] == "CRM sync" and made["token"].startswith("dct_")
    async with database.sessions() as session:
        assert await token_dealership(session, f"Bearer {made['token']}") == stores.a
        listed = await api_tokens(session, stores.manager_a, stores.a)
    assert {t["name"] for t in listed} == {"CRM sync", "reports"}
    assert made["token"] not in json.dumps(listed, default=str)

    with pytest.raises(SettingsError) as refused:
        async with database.sessions() as session, session.begin():
            await create_api_token(session, stores.manager_a, stores.a, "   ")
    assert refused.value.field == "token_name"

    async with database.sessions() as session, session.begin():
        assert await revoke_api_token(session, stores.manager_a, stores.a, made["id"], at=NOW)
        # Twice: nothing more to do, nothing logged.
        assert not await revoke_api_token(session, stores.manager_a, stores.a, made["id"])
        assert await revoke_api_tokens_named(session, COMMAND_LINE, stores.a, "reports") == 1
    async with database.sessions() as session:
        assert await token_dealership(session, f"Bearer {made['token']}") is None
        assert await token_dealership(session, f"Bearer {other['token']}") is None
        listed = await api_tokens(session, stores.manager_a, stores.a)
    assert all(t["revoked_at"] is not None for t in listed)
    created = await _audit(database, "api_token.create")
    revoked = await _audit(database, "api_token.revoke")
    assert [e.changes for e in created] == [{"token": {"from": "", "to": MASK}}] * 2
    assert len(revoked) == 2


async def test_another_stores_crm_is_out_of_scope(database: Database, stores: Stores) -> None:
    async with database.sessions() as session, session.begin():
        theirs = await create_api_token(session, COMMAND_LINE, stores.b, "theirs")
    manager = stores.manager_a
    pool_manager = Actor(id=None, name="Pat", role="pool_manager", pool_id=None)
    async with database.sessions() as session:
        for attempt in (
            crm_view(session, manager, stores.b),
            set_crm(session, manager, stores.b, log_ups=True),
            new_webhook_secret(session, manager, stores.b),
            create_api_token(session, manager, stores.b, "mine"),
            revoke_api_token(session, manager, stores.b, theirs["id"]),
            # B's token through A's own id: not found, like a missing one.
            revoke_api_token(session, manager, stores.a, theirs["id"]),
            crm_view(session, pool_manager, stores.a),
        ):
            with pytest.raises(NotInScope):
                await attempt
    async with database.sessions() as session:
        assert await token_dealership(session, f"Bearer {theirs['token']}") == stores.b


async def test_the_webhook_gets_only_the_events_chosen(database: Database, stores: Stores) -> None:
    async with database.sessions() as session, session.begin():
        await set_crm(
            session,
            COMMAND_LINE,
            stores.a,
            addresses=["leads@crm.example.com"],
            webhook_url="https://hooks.example.com/leads",
            webhook_events=["lead.resend"],
        )
        conversation = await add_chat(
            session, stores.a, NOW, outcome="missed", lead_status="new", name="Dana Shopper"
        )
        lead = await session.scalar(select(Lead).where(Lead.conversation_id == conversation))
        assert lead is not None
        await enqueue_deliveries(session, lead, NOW)  # lead.new: not chosen
        await resend_lead(session, lead, NOW)  # lead.resend: chosen
        await set_crm(session, COMMAND_LINE, stores.a, webhook_events=[])
        await resend_lead(session, lead, NOW)  # nothing chosen: e-mail only
    async with database.sessions() as session:
        sent = (
            await session.execute(
                select(LeadDelivery.kind, LeadDelivery.channel).order_by(LeadDelivery.id)
            )
        ).all()
    assert [tuple(s) for s in sent] == [
        ("new", "email"),
        ("resend", "email"),
        ("resend", "webhook"),
        ("resend", "email"),
    ]


# --- the test lead, against real receivers -------------------------------------------------


class PickyMailBox(MailBox):
    """Refuses one recipient, as a CRM intake would refuse an address it does not have."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtp() -> Any:
    server = SmtpServer()
    server.box = PickyMailBox()
    server.start()
    yield server
    server.stop()


def smtp_env(smtp: SmtpServer) -> dict[str, str]:
    return {
        "DEALER_CHAT_SMTP_HOST": "127.0.0.1",
        "DEALER_CHAT_SMTP_PORT": str(smtp.port),
        "DEALER_CHAT_SMTP_TLS": "none",
    }


async def test_a_test_lead_reaches_every_target_now(
    database: Database, stores: Stores, smtp: SmtpServer
) -> None:
    with WebhookReceiver([200]) as hook:
        async with database.sessions() as session, session.begin():
            saved = await set_crm(
                session,
                COMMAND_LINE,
                stores.a,
                addresses=["leads@crm.example.com", "nobody@crm.example.com"],
                attachment=True,
                webhook_url=hook.url,
                webhook_events=[],  # a test goes to the webhook whatever it receives
            )
        async with database.sessions() as session:
            plan = await plan_test_lead(session, stores.a, at=NOW, requested_by="Morgan")
        settings = load_settings(smtp_env(smtp), database_url="sqlite+aiosqlite:///:memory:")
        results = await send_test_lead(settings, plan)

    assert [(r.channel, r.target, r.outcome) for r in results] == [
        ("email", "leads@crm.example.com", "delivered"),
        ("email", "nobody@crm.example.com", "failed"),
        ("webhook", hook.url, "delivered"),
    ]
    assert "no such mailbox" in results[1].detail
    assert results[2].detail == "HTTP 200 (signed)"

    [mail] = smtp.box.messages
    assert mail["Subject"].startswith("[TEST] Lead from chat: A Motors, Test Lead")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    adf = parse_adf(text)
    assert adf.findtext(".//customer/contact/name[@part='first']") == "Test"
    assert "TEST lead" in (adf.findtext(".//provider/service") or "")
    assert "It is not a real shopper" in (adf.findtext(".//customer/comments") or "")
    assert "Morgan" in (adf.findtext(".//customer/comments") or "")
    assert [a.get_filename() for a in mail.iter_attachments()] == ["lead.adf.xml"]

    [(headers, body)] = hook.requests
    assert verify(saved["new_webhook_secret"], headers[HEADER.lower()], body, time.time())
    posted = json.loads(body)
    assert posted["test"] is True and posted["lead"]["customer"]["name"] == SHOPPER
    parse_adf(posted["adf"])
    # Sent now, not through the outbox: nothing queued, nothing to retry.
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LeadDelivery)) == 0


async def test_a_test_lead_without_smtp_or_with_a_failing_webhook(
    database: Database, stores: Stores
) -> None:
    with WebhookReceiver([500]) as hook:
        async with database.sessions() as session, session.begin():
            await set_crm(
                session,
                COMMAND_LINE,
                stores.a,
                addresses=["leads@crm.example.com"],
                webhook_url=hook.url,
            )
        async with database.sessions() as session:
            plan = await plan_test_lead(session, stores.a, at=NOW, requested_by="Morgan")
        settings = load_settings({}, database_url="sqlite+aiosqlite:///:memory:")
        results = await send_test_lead(settings, plan)
    assert [(r.outcome, r.detail) for r in results] == [
        ("logged", NO_SMTP),
        ("failed", f"WebhookRefused: HTTP 500 from {hook.url}"),
    ]


# --- the page ---------------------------------------------------------------------------------


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


Start = Callable[..., Awaitable[InProcessServer]]


@asynccontextmanager
async def _as_morgan(server: InProcessServer) -> AsyncIterator[tuple[httpx.AsyncClient, str, str]]:
    """Morgan's signed-in client, the path of A's CRM page, and the session's CSRF token."""
    async with open_database(server.database_url) as db, db.sessions() as session:
        a = await session.scalar(select(Dealership.id).where(Dealership.slug == DEMO_SLUG))
    cookie = await sign_in_cookie(server.url, MORGAN)
    jar = dict(part.split("=", 1) for part in cookie.split("; "))
    async with httpx.AsyncClient(base_url=server.url, cookies=jar) as http:
        path = f"/console/settings/dealerships/{a}/crm"
        yield http, path, csrf_of((await http.get(path)).text)


FORM = {
    "addresses": "leads@crm.example.com",
    "cadence": "1, 3, 7",
    "webhook_events": "lead.new",
}


async def test_secrets_and_tokens_are_shown_once_on_the_page(serve_inprocess: Start) -> None:
    server = await serve_inprocess()
    async with _as_morgan(server) as (http, path, token):
        refused = await http.post(
            path, data={**FORM, "csrf_token": token, "webhook_url": "http://crm.example.com/x"}
        )
        assert refused.status_code == 400 and 'data-testid="error-webhook_url"' in refused.text
        assert 'value="http://crm.example.com/x"' in refused.text  # what was typed stays

        # The first webhook URL makes a secret: on this answer only.
        made = await http.post(
            path,
            data={**FORM, "csrf_token": token, "webhook_url": "https://hooks.example.com/x"},
        )
        assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
        secret = _shown(made.text, "webhook-secret")
        async with open_database(server.database_url) as db, db.sessions() as session:
            stored = await session.scalar(
                select(Dealership.webhook_secret).where(Dealership.slug == DEMO_SLUG)
            )
        assert stored == secret
        again = await http.get(path)
        assert secret not in again.text and 'data-testid="webhook-secret"' not in again.text

        replaced = await http.post(path + "/webhook-secret", data={"csrf_token": token})
        new_secret = _shown(replaced.text, "webhook-secret")
        assert new_secret != secret
        assert new_secret not in (await http.get(path)).text

        # An API token: shown once, listed by name, revoked by id.
        created = await http.post(path + "/tokens", data={"csrf_token": token, "token_name": ""})
        assert created.status_code == 400 and 'data-testid="error-token_name"' in created.text
        created = await http.post(
            path + "/tokens", data={"csrf_token": token, "token_name": "CRM sync"}
        )
        api_token = _shown(created.text, "api-token")
        listing = (await http.get(path)).text
        assert api_token not in listing and "CRM sync" in listing
        leads = await http.get("/api/v1/leads", headers={"Authorization": f"Bearer {api_token}"})
        assert leads.status_code == 200
        token_id = re.findall(r'data-token-id="(\d+)"', listing)[0]
        revoked = await http.post(f"{path}/tokens/{token_id}/revoke", data={"csrf_token": token})
        assert revoked.status_code == 303
        assert "Revoked" in (await http.get(path)).text
        leads = await http.get("/api/v1/leads", headers={"Authorization": f"Bearer {api_token}"})
        assert leads.status_code == 401
        missing = await http.post(f"{path}/tokens/999999/revoke", data={"csrf_token": token})
        assert missing.status_code == 404


def _shown(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">([^<]+)<', html)
    assert found, f"no {testid} on the page"
    return found.group(1).strip()


async def test_the_test_lead_button_shows_each_result(
    serve_inprocess: Start, smtp: SmtpServer
) -> None:
    server = await serve_inprocess(env=smtp_env(smtp))
    with WebhookReceiver([503]) as hook:
        async with _as_morgan(server) as (http, path, token):
            saved = await http.post(
                path,
                data={
                    **FORM,
                    "csrf_token": token,
                    "addresses": "leads@crm.example.com\nnobody@crm.example.com",
                    "webhook_url": hook.url,
                },
            )
            assert saved.status_code == 200  # the first secret, shown once
            sent = await http.post(path + "/test-lead", data={"csrf_token": token})
    assert sent.status_code == 200
    results = re.findall(r'data-outcome="(\w+)" data-testid="test-lead-result"', sent.text)
    assert results == ["delivered", "failed", "failed"]
    assert "no such mailbox" in sent.text and "HTTP 503" in sent.text
    assert len(smtp.box.messages) == 1 and len(hook.requests) == 1
    async with open_database(server.database_url) as db, db.sessions() as session:
        logged = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "crm.test_lead")
        )
    assert logged is not None and logged.actor_name == "Morgan Lee"
    assert logged.changes["sent_to"]["to"][0] == "leads@crm.example.com"


# --- the command line -----------------------------------------------------------------------


async def _replacement(database: Database, *argv: str) -> str:
    """One of the replacement commands (set-crm, create-api-token, revoke-api-token), parsed
    and run as cli.py will once it adds them instead of crm_admin's; its output."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="admin_command", required=True)
    crm_commands.add_replacement_commands(sub)
    run = crm_commands.action(parser.parse_args(argv))
    assert run is not None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        async with database.sessions() as session, session.begin():
            await run(session)
    return out.getvalue()


async def test_the_replacement_crm_commands(database: Database, stores: Stores) -> None:
    out = await _replacement(
        database,
        "set-crm", "--dealership", "a-motors", "--email", "leads@crm.example.com",
        "--email", "bdc@crm.example.com", "--attachment", "--webhook-url",
        "http://127.0.0.1:9/hook", "--webhook-events", "lead.new", "--cadence", "1,3,7",
    )  # fmt: skip
    secret = out.split("not shown again): ", 1)[1].strip()
    async with database.sessions() as session:
        row = await session.get_one(Dealership, stores.a)
    assert (row.crm_email, row.crm_addresses, row.crm_attachment) == (
        "leads@crm.example.com",
        ["bdc@crm.example.com"],
        True,
    )
    assert row.webhook_secret == secret and row.webhook_events == ["lead.new"]
    await _replacement(
        database, "set-crm", "--dealership", "a-motors", "--webhook-secret", "x" * 20, "--email", ""
    )
    async with database.sessions() as session:
        row = await session.get_one(Dealership, stores.a)
    assert (row.webhook_secret, row.crm_email, row.crm_addresses) == ("x" * 20, "", [])
    for argv, words in (
        (("--webhook-url", "http://crm.example.com/x"), "https://"),
        (("--email", "not-an-address"), "not an e-mail address"),
        (("--cadence", "1,0"), "between 1 and 365"),
        (("--webhook-secret", "short"), "at least 16"),
    ):
        with pytest.raises(AdminError) as refused:
            await _replacement(database, "set-crm", "--dealership", "a-motors", *argv)
        assert words in str(refused.value)

    token = (
        await _replacement(database, "create-api-token", "--dealership", "a-motors", "--name", "s")
    ).strip()
    async with database.sessions() as session:
        assert await token_dealership(session, f"Bearer {token}") == stores.a
    out = await _replacement(
        database, "revoke-api-token", "--dealership", "a-motors", "--name", "s"
    )
    assert "revoked 1 token(s)" in out
    async with database.sessions() as session:
        assert await token_dealership(session, f"Bearer {token}") is None


async def test_set_card_and_send_test_lead_commands(
    database_url: str, stores: Stores, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def admin(*args: str) -> str:
        return run_admin(database_url, list(args))

    out = admin("set-card", "--dealership", "a-motors", "--phone", "312 555 0142", "--notes", "Hi")
    assert "'(312) 555-0142'" in out
    with pytest.raises(RuntimeError) as refused:
        admin("set-card", "--dealership", "a-motors", "--phone", "nope")
    assert "is not a phone number" in str(refused.value)
    with pytest.raises(RuntimeError) as refused:
        admin("send-test-lead", "--dealership", "a-motors")
    assert "no CRM address and no webhook" in str(refused.value)

    async with open_database(database_url) as db, db.sessions() as session, session.begin():
        await set_crm(session, COMMAND_LINE, stores.a, addresses=["leads@crm.example.com"])
    for name, value in smtp_env(smtp).items():
        monkeypatch.setenv(name, value)
    out = admin("send-test-lead", "--dealership", "a-motors")
    assert out.startswith("email leads@crm.example.com: delivered: sent via 127.0.0.1")
    assert len(smtp.box.messages) == 1
    assert len(await _audit_at(database_url, "crm.test_lead")) == 1


async def _audit_at(database_url: str, action: str) -> list[AuditEntry]:
    async with open_database(database_url) as db, db.sessions() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
