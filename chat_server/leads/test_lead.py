"""A test lead: a clearly marked sample sent right now to every CRM target of a dealership, so
a manager sees delivery work (or why it does not) before a real shopper depends on it.

The document is the real one (``build_adf`` and ``webhook_body``, as the outbox builds them)
for a made-up shopper named "Test Lead", whose comments and provider service say it is a
test. It is sent at once, not through the outbox: nothing is retried and nothing is stored,
and each target's result comes back to the caller. The caller checks that the operator may
manage the dealership first (chat_server/administration).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.leads.adf import build_adf, email_subject
from chat_server.leads.document import webhook_body
from chat_server.leads.facts import LeadFacts, TranscriptLine
from chat_server.leads.outbox import crm_addresses
from chat_server.leads.smtp import lead_message, lead_message_id, send_lead_email
from chat_server.leads.webhook import post_lead
from chat_server.observability.redact import safe_url
from chat_server.settings import Settings
from chat_server.store.models import Dealership

log = logging.getLogger(__name__)

SHOPPER = "Test Lead"
SHOPPER_EMAIL = "test.lead@example.com"  # example.com is reserved: it reaches nobody
SHOPPER_PHONE = "+12025550123"  # 555-01xx numbers are reserved for fiction
SERVICE = "TEST lead from dealer-chat's CRM settings (not a real shopper)"
SUBJECT_MARK = "[TEST]"
NO_SMTP = "logged only: no SMTP server configured"
TARGET_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class TestLeadPlan:
    """Everything a test send needs, read from the store, so no session stays open while
    the network is waited on."""

    __test__ = False  # not a pytest test class, whatever its name

    dealership_id: int
    addresses: tuple[str, ...]
    attachment: bool
    webhook_url: str
    webhook_secret: str
    adf: str
    subject: str
    webhook_body: str
    idempotency_key: str
    at: datetime

    @property
    def has_targets(self) -> bool:
        return bool(self.addresses or self.webhook_url)


@dataclass(frozen=True)
class TargetResult:
    channel: str  # email, webhook
    target: str
    outcome: str  # delivered, failed, logged (no SMTP server: not sent)
    detail: str

    @property
    def delivered(self) -> bool:
        return self.outcome == "delivered"


def sample_facts(dealership: Dealership, at: datetime, requested_by: str) -> LeadFacts:
    """The sample lead: a made-up shopper, no vehicle (the ADF says so), and a transcript of
    one line saying what this is and who sent it."""
    local = at.astimezone(ZoneInfo(dealership.time_zone))
    who = requested_by or "someone"
    note = (
        f"This is a TEST lead that {who} sent from the CRM settings page of dealer-chat to "
        "check that leads arrive. It is not a real shopper: please delete it."
    )
    return LeadFacts(
        lead_id=0,
        adf_id=f"dealer-chat:{dealership.slug}:test:{local.strftime('%Y%m%dT%H%M%S')}",
        status="new",
        requested_at=local,
        service=SERVICE,
        department="sales",
        segment="lead",
        name=SHOPPER,
        email=SHOPPER_EMAIL,
        phone=SHOPPER_PHONE,
        preferred_time="nopreference",
        dealership_name=dealership.name,
        dealership_phone=dealership.phone,
        transcript=(TranscriptLine(local, "dealer-chat", note),),
    )


async def plan_test_lead(
    session: AsyncSession, dealership_id: int, *, at: datetime, requested_by: str
) -> TestLeadPlan:
    dealership = await session.get_one(Dealership, dealership_id)
    facts = sample_facts(dealership, at, requested_by)
    adf = build_adf(facts)
    key = f"test-lead-{dealership.id}-{uuid.uuid4().hex[:16]}"
    body = json.loads(webhook_body(facts, adf, key, at))
    body["test"] = True  # a receiver can tell it apart without reading the comments
    return TestLeadPlan(
        dealership_id=dealership.id,
        addresses=tuple(crm_addresses(dealership)),
        attachment=dealership.crm_attachment,
        webhook_url=dealership.webhook_url,
        webhook_secret=dealership.webhook_secret,
        adf=adf,
        subject=f"{SUBJECT_MARK} {email_subject(facts)}",
        webhook_body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        idempotency_key=key,
        at=at,
    )


async def _email(settings: Settings, plan: TestLeadPlan, index: int, to: str) -> TargetResult:
    if not settings.smtp_host:
        return TargetResult("email", to, "logged", NO_SMTP)
    sender = settings.smtp_from
    message = lead_message(
        sender,
        to,
        plan.subject,
        plan.adf,
        plan.attachment,
        lead_message_id(f"{plan.idempotency_key}-{index}", plan.at, sender),
    )
    return TargetResult("email", to, "delivered", await send_lead_email(settings, message))


async def _webhook(http: httpx.AsyncClient, plan: TestLeadPlan) -> TargetResult:
    outcome = await post_lead(
        http, plan.webhook_url, plan.webhook_secret, plan.webhook_body, plan.idempotency_key
    )
    signed = "signed" if plan.webhook_secret else "not signed: no secret set"
    return TargetResult("webhook", plan.webhook_url, "delivered", f"{outcome} ({signed})")


async def send_test_lead(
    settings: Settings, plan: TestLeadPlan, *, http: httpx.AsyncClient | None = None
) -> list[TargetResult]:
    """Send the plan's lead to each CRM address and the webhook at once; one result per
    target, in the page's order (addresses, then the webhook). Never raises for a target
    that fails: its result says why."""
    own_client = http is None
    client = http or httpx.AsyncClient(timeout=TARGET_TIMEOUT_S / 2, follow_redirects=False)
    try:
        sends = [
            ("email", to, _email(settings, plan, index, to))
            for index, to in enumerate(plan.addresses)
        ]
        if plan.webhook_url:
            sends.append(("webhook", plan.webhook_url, _webhook(client, plan)))
        results = await asyncio.gather(
            *(_bounded(channel, target, send) for channel, target, send in sends)
        )
    finally:
        if own_client:
            await client.aclose()
    for result in results:
        where = safe_url(result.target) if result.channel == "webhook" else result.target
        log.info(
            "test lead of dealership %s to %s %s: %s",
            plan.dealership_id,
            result.channel,
            where,
            result.outcome,
        )
    return list(results)


async def _bounded(
    channel: str, target: str, send: Coroutine[Any, Any, TargetResult]
) -> TargetResult:
    """One target's send, its failure turned into a result, cut off after a while so the
    page answers even when a receiver never does."""
    try:
        return await asyncio.wait_for(send, TARGET_TIMEOUT_S)
    except TimeoutError:
        return TargetResult(channel, target, "failed", f"no answer within {TARGET_TIMEOUT_S:g} s")
    except Exception as error:  # any failure is the answer the manager asked for
        text = str(error) or type(error).__name__
        return TargetResult(channel, target, "failed", f"{type(error).__name__}: {text}"[:300])
