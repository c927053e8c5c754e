"""What the running server shares between requests, owned by the app's lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from chat_server.broker import Broker, Hub
from chat_server.clock import Clock
from chat_server.limits.guard import Guard
from chat_server.observability.metrics import Metrics
from chat_server.settings import Settings
from chat_server.store.database import Database
from chat_server.store.sites import SiteCache

if TYPE_CHECKING:
    # Type-only: these live in layers above this one (tests/test_layers.py allows that).
    from sqlalchemy.ext.asyncio import AsyncSession

    from chat_server.chats.append_batcher import AppendBatcher
    from chat_server.delivery.fanout import PendingFrames
    from chat_server.delivery.texts import TextSender
    from chat_server.delivery.web_push import WebPushSender
    from chat_server.ladder.types import LeadService
    from chat_server.store.models import Conversation


@dataclass(frozen=True)
class LeadHooks:
    """What the ladder's shell needs from the leads package, inside the ladder's transaction.

    The composition root (``app.py``) passes ``leads.create``'s functions here, so ``chats``
    never imports ``leads`` (the two are services of one layer; see docs/architecture.md).
    """

    # create(session, conversation, service, at, frames) -> lead id, or None (no usable contact)
    create: Callable[
        [AsyncSession, Conversation, LeadService, datetime, PendingFrames | None],
        Awaitable[int | None],
    ]
    # log_up(session, conversation, at) -> lead id, or None when the dealership logs no Ups
    log_up: Callable[[AsyncSession, Conversation, datetime], Awaitable[int | None]]
    # resend(session, conversation, service, at) -> lead id: the shopper wrote more after
    # their lead went out (leads/chat_resend.py); None skips resends (tests' bare runtimes)
    resend: (
        Callable[[AsyncSession, Conversation, LeadService, datetime], Awaitable[int | None]] | None
    ) = None


@dataclass
class LocalSockets:
    """Counts of this node's open sockets, per conversation (shoppers) and per operator.

    ``visitor_locks`` serialise one conversation's arrivals and departures on this node, so a
    tab that reconnects while the old socket is still being torn down cannot leave the
    shopper marked as gone.
    """

    visitors: dict[str, int] = field(default_factory=dict)
    visitor_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    operators: dict[int, int] = field(default_factory=dict)

    def visitor_lock(self, conversation_id: str) -> asyncio.Lock:
        return self.visitor_locks.setdefault(conversation_id, asyncio.Lock())

    def add_visitor(self, conversation_id: str) -> int:
        self.visitors[conversation_id] = self.visitors.get(conversation_id, 0) + 1
        return self.visitors[conversation_id]

    def remove_visitor(self, conversation_id: str) -> int:
        left = self.visitors.get(conversation_id, 1) - 1
        if left <= 0:
            self.visitors.pop(conversation_id, None)
            lock = self.visitor_locks.get(conversation_id)
            if lock is not None and not lock.locked():
                del self.visitor_locks[conversation_id]
            return 0
        self.visitors[conversation_id] = left
        return left

    def add_operator(self, operator_id: int) -> None:
        self.operators[operator_id] = self.operators.get(operator_id, 0) + 1

    def remove_operator(self, operator_id: int) -> int:
        left = self.operators.get(operator_id, 1) - 1
        if left <= 0:
            self.operators.pop(operator_id, None)
            return 0
        self.operators[operator_id] = left
        return left


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: Database
    broker: Broker
    hub: Hub
    clock: Clock
    appends: AppendBatcher  # group commit of chat messages
    leads: LeadHooks
    sockets: LocalSockets = field(default_factory=LocalSockets)
    # Dealerships by site key for the visitor handshake, for a few seconds (store/sites.py).
    sites: SiteCache = field(default_factory=SiteCache)
    # Per app, in a registry of its own: several apps in one process never collide.
    metrics: Metrics = field(default_factory=Metrics.create)
    # Abuse limits; the app's lifespan passes one counting where the broker is.
    guard: Guard = field(default_factory=Guard.in_memory)
    # Rings to operators' phones (delivery/web_push.py); None in tests that need no pushes.
    push: WebPushSender | None = None
    # Ring texts and phone codes (delivery/texts.py); None without a text provider.
    texts: TextSender | None = None
