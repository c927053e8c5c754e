"""``create_app(settings)``: the Starlette application and the lifespan that owns its resources."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import WebSocketRoute
from starlette.templating import Jinja2Templates

from chat_server.api.routes import api_routes
from chat_server.broker import Hub, open_broker, open_rate_limiter
from chat_server.chats.append_batcher import AppendBatcher
from chat_server.chats.ladder_shell import advance
from chat_server.chats.presence import PresenceHeartbeat
from chat_server.chats.ring_texts import send_ring_text
from chat_server.clock import Clock, SystemClock
from chat_server.deadlines import DeadlineRunner
from chat_server.delivery.channels import SHARED_PREFIXES
from chat_server.delivery.texts import open_text_sender
from chat_server.delivery.vapid_keys import load_vapid_keys
from chat_server.delivery.web_push import WebPushSender
from chat_server.history.indexer import SearchIndexer
from chat_server.ladder.types import Tick
from chat_server.leads.chat_resend import resend_chat_lead
from chat_server.leads.create import create_lead, log_up
from chat_server.leads.worker import DeliveryWorker
from chat_server.limits.guard import Guard
from chat_server.observability.metrics import Metrics
from chat_server.observability.task_dump import task_dump_on_signal
from chat_server.runtime import LeadHooks, Runtime
from chat_server.security_headers import SecurityHeaders
from chat_server.settings import Settings
from chat_server.store.database import open_database
from chat_server.transport.console_socket import console_endpoint
from chat_server.transport.fast_path import VisitorSocketFastPath
from chat_server.transport.site_routes import WIDGET_DIR, site_routes
from chat_server.transport.visitor_socket import visitor_endpoint
from operator_console.cross_site import CrossSiteGuard
from operator_console.routes import console_routes, console_templates


def ladder_deadline_handler(rt: Runtime):  # type: ignore[no-untyped-def]
    async def fire(key: str) -> None:
        kind, _, conversation_id = key.partition(":")
        if kind == "text":  # text:<conversation>:<operator>
            conversation_id, _, operator = conversation_id.rpartition(":")
            await send_ring_text(rt, conversation_id, int(operator))
            return
        if kind != "ladder":
            return
        await advance(
            rt,
            conversation_id,
            lambda now, roster: Tick(now, roster),  # type: ignore[arg-type]
            with_roster=True,
        )

    return fire


def create_app(settings: Settings, clock: Clock | None = None) -> Starlette:
    clock = clock or SystemClock()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            open_database(settings.database_url) as db,
            open_broker(settings.broker_url) as broker,
            Hub(broker, shared=SHARED_PREFIXES) as hub,
            AppendBatcher(db) as appends,
            open_rate_limiter(settings.broker_url) as limiter,
        ):
            metrics = Metrics.create()
            vapid = await load_vapid_keys(db, settings, clock)
            # Closed before the database: its last pushes record their results there.
            async with (
                WebPushSender(db, vapid, clock, settings.secret_key, metrics) as push,
                open_text_sender(settings) as texts,
            ):
                rt = Runtime(
                    settings=settings,
                    db=db,
                    broker=broker,
                    hub=hub,
                    clock=clock,
                    appends=appends,
                    leads=LeadHooks(create=create_lead, log_up=log_up, resend=resend_chat_lead),
                    guard=Guard(settings, limiter),
                    metrics=metrics,
                    push=push,
                    texts=texts,
                )
                app.state.runtime = rt
                async with (
                    DeadlineRunner(
                        db,
                        clock,
                        settings.node_name,
                        ladder_deadline_handler(rt),
                        poll_s=settings.deadline_poll_s,
                    ),
                    PresenceHeartbeat(rt),
                    DeliveryWorker(rt),
                    SearchIndexer(db, clock),
                ):
                    with task_dump_on_signal():
                        yield

    app = Starlette(
        routes=[
            *site_routes(),
            *console_routes(),
            *api_routes(),
            WebSocketRoute("/ws/visitor", visitor_endpoint),
            WebSocketRoute("/ws/console", console_endpoint),
        ],
        middleware=[
            # Idle shopper sockets skip the HTTP layers below (transport/fast_path.py).
            Middleware(VisitorSocketFastPath),
            # Outermost first: every response (a refusal too) carries the security headers.
            Middleware(SecurityHeaders),
            Middleware(CrossSiteGuard),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie="dealerchat_session",
                max_age=settings.session_max_age_s,
                same_site="lax",
                https_only=settings.secure_cookies,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.templates = console_templates()
    app.state.site_templates = Jinja2Templates(directory=WIDGET_DIR)
    return app
