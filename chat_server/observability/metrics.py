"""The node's Prometheus metrics, one set per app in a registry of its own.

A per-app ``CollectorRegistry`` (never prometheus-client's global default) lets several apps
live in one process, as they do in the test suite, without "duplicated timeseries" errors.
The numbers are this node's alone: Prometheus scrapes every node and sums across them.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from chat_server.observability.tally import Tally

# "About half of shoppers leave a chat not answered within 15 seconds": fine buckets up to
# a minute, then the ladder's usual store + pool windows.
FIRST_HUMAN_BUCKETS = (1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120)
CONTENT_TYPE = CONTENT_TYPE_LATEST
DELIVERY_CHANNELS = {"email": "smtp", "webhook": "webhook"}


@dataclass(frozen=True)
class Metrics:
    """Every metric object of one app, registered in ``registry``."""

    registry: CollectorRegistry
    open_connections: Gauge
    rings_offered: Counter
    ring_cancellations: Counter
    ladder_outcomes: Counter
    time_to_first_human: Histogram
    lead_delivery_failures: Counter
    messages_stored: Counter
    pushes: Counter
    texts: Counter

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry(auto_describe=True)
        metrics = cls(
            registry=registry,
            open_connections=Gauge(
                "dealer_chat_open_connections",
                "Websockets open on this node, by side.",
                ["side"],  # visitor, console
                registry=registry,
            ),
            rings_offered=Counter(
                "dealer_chat_rings_offered",
                "Rings offered to an operator (one per operator rung), by tier.",
                ["tier"],  # store, pool
                registry=registry,
            ),
            ring_cancellations=Counter(
                "dealer_chat_ring_cancellations",
                "Open rings cancelled, by reason.",
                ["reason"],  # taken, timeout, left, declined
                registry=registry,
            ),
            ladder_outcomes=Counter(
                "dealer_chat_ladder_outcomes",
                "Conversations closed, by outcome.",
                ["outcome"],  # up, pool, missed, abandoned
                registry=registry,
            ),
            time_to_first_human=Histogram(
                "dealer_chat_time_to_first_human_seconds",
                "Seconds from the shopper's first message to the first human reply.",
                buckets=FIRST_HUMAN_BUCKETS,
                registry=registry,
            ),
            lead_delivery_failures=Counter(
                "dealer_chat_lead_delivery_failures",
                "Failed attempts to deliver a lead to the CRM (each retry counts), by channel.",
                ["channel"],  # smtp, webhook
                registry=registry,
            ),
            messages_stored=Counter(
                "dealer_chat_messages_stored",
                "Chat messages stored (a resend with a known client id is not counted).",
                registry=registry,
            ),
            pushes=Counter(
                "dealer_chat_web_pushes",
                "Web Push requests to operators' devices, by result.",
                # sent (accepted by the push service), gone (404/410: the subscription was
                # deleted), failed (any other answer or no answer), dropped (the queue was full)
                ["result"],
                registry=registry,
            ),
            texts=Counter(
                "dealer_chat_ring_texts",
                "Ring texts to operators' mobiles (and verification codes), by result.",
                ["result"],  # sent, failed
                registry=registry,
            ),
        )
        # Every known series starts at 0, so a dashboard's rate() sees the first event.
        for counter, values in (
            (metrics.open_connections, ("visitor", "console")),
            (metrics.rings_offered, ("store", "pool")),
            (metrics.ring_cancellations, ("taken", "timeout", "left", "declined")),
            (metrics.ladder_outcomes, ("up", "pool", "missed", "abandoned")),
            (metrics.lead_delivery_failures, ("smtp", "webhook")),
            (metrics.pushes, ("sent", "gone", "failed", "dropped")),
            (metrics.texts, ("sent", "failed")),
        ):
            for value in values:
                counter.labels(value)
        return metrics

    def record(self, tally: Tally) -> None:
        """Count what one committed step did."""
        for tier, n in tally.rings_offered.items():
            self.rings_offered.labels(tier).inc(n)
        for reason, n in tally.ring_cancellations.items():
            self.ring_cancellations.labels(reason).inc(n)
        for outcome in tally.outcomes:
            self.ladder_outcomes.labels(outcome).inc()
        if tally.messages_stored:
            self.messages_stored.inc(tally.messages_stored)
        for seconds in tally.first_human_waits:
            self.time_to_first_human.observe(seconds)

    def delivery_failed(self, channel: str) -> None:
        self.lead_delivery_failures.labels(DELIVERY_CHANNELS.get(channel, channel)).inc()

    def render(self) -> bytes:
        """The text exposition format, for ``GET /metrics``."""
        return generate_latest(self.registry)
