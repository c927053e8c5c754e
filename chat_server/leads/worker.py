"""The outbox worker: any live node sends due lead deliveries, each under a lease.

Like ``chat_server/deadlines.py``: poll for due rows, claim one with a conditional UPDATE
that succeeds only when nobody holds an unexpired lease, send, then record the result. A node
that dies mid-send leaves a lease that expires and another node sends again; receivers see
the same idempotency key (webhook) or Message-ID (e-mail) and can drop the repeat.
The same loop raises the 30-minute "untouched new lead" alert, once per lead.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

import httpx
from sqlalchemy import and_, exists, or_, select, update

from chat_server.background import PollingWorker
from chat_server.delivery.channels import operator_channel
from chat_server.delivery.fanout import PendingFrames, publish
from chat_server.leads.backoff import RetryPolicy, next_attempt
from chat_server.leads.smtp import lead_message, lead_message_id, send_lead_email
from chat_server.leads.webhook import post_lead
from chat_server.observability.redact import safe_url
from chat_server.protocol.outgoing import lead_alert_frame
from chat_server.runtime import Runtime
from chat_server.store.models import Dealership, Lead, LeadDelivery, LeadTask, Operator

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
BATCH = 20


def retry_policy(rt: Runtime) -> RetryPolicy:
    s = rt.settings
    return RetryPolicy(s.delivery_retry_first_s, s.delivery_retry_cap_s, s.delivery_give_up_s)


class DeliveryWorker(PollingWorker):
    """Owned by the app's lifespan; ``wake()`` after queueing to send without waiting."""

    name = "lead-delivery"
    failure_message = "lead delivery poll failed"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt.settings.delivery_poll_s)
        self._rt = rt
        self._http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Self:
        self._http = httpx.AsyncClient(timeout=15, follow_redirects=False)
        return await super().__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await super().__aexit__(exc_type, exc, tb)
        if self._http is not None:
            await self._http.aclose()

    async def tick(self) -> None:
        await self.send_due()
        await self.alert_untouched()

    async def send_due(self) -> int:
        """Claim and send every due delivery; returns how many this node attempted."""
        now = self._rt.clock.now()
        async with self._rt.db.sessions() as session, session.begin():
            ids = list(
                await session.scalars(
                    select(LeadDelivery.id)
                    .where(
                        LeadDelivery.state == "pending",
                        LeadDelivery.next_attempt_at <= now,
                        _lease_free(now),
                    )
                    .order_by(LeadDelivery.next_attempt_at, LeadDelivery.id)
                    .limit(BATCH)
                )
            )
        attempted = 0
        for delivery_id in ids:
            try:
                if not await self._claim(delivery_id):
                    continue
                attempted += 1
                await self._attempt(delivery_id)
            except asyncio.CancelledError:
                # This node is stopping (a restart, a deploy) while claiming or sending: hand
                # any claim back rather than leave it to expire, which kept the lead from the
                # CRM for the whole LEASE after a restart. (The claim's UPDATE may have
                # committed even when the cancel came while awaiting it.) A send that did
                # reach the receiver repeats with the same idempotency key, which it drops.
                await asyncio.shield(self._release(delivery_id))
                raise
        return attempted

    async def _release(self, delivery_id: int) -> None:
        """Give up this node's claim on a delivery (nothing if another node holds it)."""
        async with self._rt.db.sessions() as session, session.begin():
            await session.execute(
                update(LeadDelivery)
                .where(
                    LeadDelivery.id == delivery_id,
                    LeadDelivery.lease_owner == self._rt.settings.node_name,
                )
                .values(lease_owner=None, lease_until=None)
            )

    async def _claim(self, delivery_id: int) -> bool:
        now = self._rt.clock.now()
        async with self._rt.db.sessions() as session, session.begin():
            result = await session.execute(
                update(LeadDelivery)
                .where(
                    LeadDelivery.id == delivery_id,
                    LeadDelivery.state == "pending",
                    LeadDelivery.next_attempt_at <= now,
                    _lease_free(now),
                )
                .values(lease_owner=self._rt.settings.node_name, lease_until=now + LEASE)
            )
            return result.rowcount == 1  # type: ignore[attr-defined]

    async def _attempt(self, delivery_id: int) -> None:
        async with self._rt.db.sessions() as session:
            row = await session.get_one(LeadDelivery, delivery_id)
            dealership = await session.scalar(
                select(Dealership)
                .join(Lead, Lead.dealership_id == Dealership.id)
                .where(Lead.id == row.lead_id)
            )
        assert dealership is not None
        try:
            if row.channel == "email":
                sender = self._rt.settings.smtp_from
                message = lead_message(
                    sender,
                    row.target,
                    row.subject,
                    row.body,
                    dealership.crm_attachment,
                    lead_message_id(row.idempotency_key, row.created_at, sender),
                )
                outcome = await send_lead_email(self._rt.settings, message)
            else:
                assert self._http is not None
                outcome = await post_lead(
                    self._http,
                    row.target,
                    dealership.webhook_secret,
                    row.body,
                    row.idempotency_key,
                )
        except Exception as error:  # any failure is retried: the receiver may come back
            self._rt.metrics.delivery_failed(row.channel)
            # A webhook URL may carry a token (in the query or as a password): log it masked.
            target = _loggable(row.channel, row.target)
            log.warning(
                "lead delivery %s (%s to %s) failed: %s: %s",
                delivery_id,
                row.channel,
                target,
                type(error).__name__,
                str(error).replace(row.target, target)[:300],
                extra={"lead": row.lead_id, "dealership": dealership.id},
            )
            await self._failed(row, f"{type(error).__name__}: {error}"[:500])
            return
        log.info(
            "lead %s delivered (%s to %s): %s",
            row.lead_id,
            row.channel,
            _loggable(row.channel, row.target),
            outcome,
            extra={"lead": row.lead_id, "dealership": dealership.id},
        )
        await self._finish(
            delivery_id,
            state="delivered",
            delivered_at=self._rt.clock.now(),
            attempts=row.attempts + 1,
            last_error=outcome[:500],
        )

    async def _failed(self, row: LeadDelivery, error: str) -> None:
        now = self._rt.clock.now()
        attempts = row.attempts + 1
        when = next_attempt(retry_policy(self._rt), attempts, row.created_at, now)
        if when is None:
            await self._finish(row.id, state="failed", attempts=attempts, last_error=error)
        else:
            await self._finish(row.id, attempts=attempts, last_error=error, next_attempt_at=when)

    async def _finish(self, delivery_id: int, **values: object) -> None:
        async with self._rt.db.sessions() as session, session.begin():
            await session.execute(
                update(LeadDelivery)
                .where(
                    LeadDelivery.id == delivery_id,
                    LeadDelivery.lease_owner == self._rt.settings.node_name,
                )
                .values(lease_owner=None, lease_until=None, **values)
            )

    async def alert_untouched(self) -> int:
        """Tell the dealership's managers about new leads nobody touched for 30 minutes."""
        now = self._rt.clock.now()
        cutoff = now - timedelta(seconds=self._rt.settings.lead_alert_after_s)
        touched = exists().where(LeadTask.lead_id == Lead.id, LeadTask.channel != "")
        async with self._rt.db.sessions() as session, session.begin():
            leads = list(
                await session.scalars(
                    select(Lead)
                    .where(
                        Lead.status == "new",
                        Lead.spam_reason == "",
                        Lead.alerted_at.is_(None),
                        Lead.created_at <= cutoff,
                        ~touched,
                    )
                    .limit(BATCH)
                )
            )
        frames = PendingFrames()
        for lead in leads:
            async with self._rt.db.sessions() as session, session.begin():
                # Conditional, so two nodes never both alert for the same lead.
                won = await session.execute(
                    update(Lead)
                    .where(Lead.id == lead.id, Lead.alerted_at.is_(None))
                    .values(alerted_at=now)
                )
                if won.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                managers = await session.scalars(
                    select(Operator.id).where(
                        Operator.dealership_id == lead.dealership_id, Operator.role == "manager"
                    )
                )
                for manager in managers:
                    frames.add(
                        operator_channel(manager),
                        lead_alert_frame(lead.id, lead.name, now - lead.created_at),
                    )
            log.warning(
                "lead %s untouched since %s: managers alerted",
                lead.id,
                lead.created_at,
                extra={"lead": lead.id, "dealership": lead.dealership_id},
            )
        await publish(self._rt, frames)
        return len(leads)


def _loggable(channel: str, target: str) -> str:
    """The CRM's intake address as is (the dealer's, not a shopper's); a URL masked."""
    return target if channel == "email" else safe_url(target)


def _lease_free(now: datetime) -> object:
    return or_(LeadDelivery.lease_until.is_(None), and_(LeadDelivery.lease_until < now))
