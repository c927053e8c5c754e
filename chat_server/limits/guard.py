"""The rate limits of the visitor socket, and the node's socket caps, in one place.

Every counted limit goes through the broker's :class:`~chat_server.broker.RateLimiter`, so
it holds across nodes when the broker is Redis (and fails open while Redis is down). A
message is checked against the visitor's, the address's and the site's limits at once (and
the address's new-conversation limit when it starts one): a refusal counts nowhere, so the
client may send the very same message again after ``retry_after_s``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from chat_server.broker import Decision, Limit, MemoryRateLimiter, RateLimiter
from chat_server.limits.addresses import ClientAddress, ClientAddresses
from chat_server.limits.connections import ConnectionCaps, node_socket_cap
from chat_server.settings import Rate, Settings

# Which limit refused, by key prefix: the ``limit`` field of the ``rate_limited`` frame.
LIMIT_NAMES = {
    "msg:visitor:": "visitor",
    "msg:address:": "address",
    "msg:site:": "site",
    "conv:address:": "conversations",
    "connect:address:": "connects",
    "signin:address:": "sign_ins",
}


@dataclass(frozen=True)
class Refusal:
    """A refused hit, as the client is told: which limit, and whole seconds to wait."""

    limit: str
    retry_after_s: int


def refusal(decision: Decision) -> Refusal | None:
    """None when ``decision`` allows; else which limit refused and the wait (at least 1 s)."""
    if decision.allowed:
        return None
    key = decision.key or ""
    name = next((n for prefix, n in LIMIT_NAMES.items() if key.startswith(prefix)), "rate")
    return Refusal(name, max(1, math.ceil(decision.retry_after_s)))


def _limit(key: str, rate: Rate | None) -> list[Limit]:
    return [] if rate is None else [Limit(key, rate.count, rate.window_s)]


class Guard:
    """One node's abuse limits: client addresses, socket caps and shared rate limits."""

    def __init__(self, settings: Settings, limiter: RateLimiter) -> None:
        self.settings = settings
        self.limiter = limiter
        self.addresses = ClientAddresses(settings.trusted_proxies, settings.limit_exempt)
        self.sockets = ConnectionCaps(
            node_socket_cap(settings.limit_sockets), settings.limit_sockets_per_address
        )

    @classmethod
    def in_memory(cls, settings: Settings | None = None) -> Guard:
        """A guard counting in this process (for a runtime built without a broker URL)."""
        return cls(settings or Settings(), MemoryRateLimiter())

    def address(self, client_host: str | None, headers: Mapping[str, str]) -> ClientAddress:
        """Who is connecting (see :mod:`chat_server.limits.addresses`)."""
        return self.addresses.resolve(client_host, headers)

    @contextmanager
    def socket(self, address: ClientAddress | None) -> Iterator[str | None]:
        """Hold one of this node's socket slots; yields None or why it is refused (1013).

        ``address`` None counts toward the node's total only (operator consoles).
        """
        with self.sockets.admit(address.key if address else None) as refused:
            yield refused

    async def connect(self, address: ClientAddress) -> Refusal | None:
        """A connection attempt from ``address``: None, or the refusal (close 1013)."""
        if address.key is None:
            return None
        limits = _limit(f"connect:address:{address.key}", self.settings.limit_address_connects)
        return refusal(await self.limiter.hit(*limits))

    async def sign_in(self, address: ClientAddress) -> Refusal | None:
        """A console sign-in attempt from ``address``: None, or the refusal.

        Counted on the shared limiter, so an address trying many accounts gets the same
        number of tries however many nodes the balancer spreads it over.
        """
        if address.key is None:
            return None
        limits = _limit(f"signin:address:{address.key}", self.settings.limit_address_sign_ins)
        return refusal(await self.limiter.hit(*limits))

    async def message(
        self,
        *,
        visitor: str,
        site: str,
        address: ClientAddress,
        starts_conversation: bool,
    ) -> Refusal | None:
        """A shopper's message: None, or the refusal (the ``rate_limited`` error frame).

        ``visitor`` names the shopper by their token (``chats.visitors.visitor_key``), so the
        limit holds before the shopper has a database row and whichever node they are on;
        ``site`` is the dealership's site key.
        """
        s = self.settings
        limits = _limit(f"msg:visitor:{visitor}", s.limit_visitor_messages)
        limits += _limit(f"msg:site:{site}", s.limit_site_messages)
        if address.key is not None:
            limits += _limit(f"msg:address:{address.key}", s.limit_address_messages)
            if starts_conversation:
                limits += _limit(f"conv:address:{address.key}", s.limit_address_conversations)
        return refusal(await self.limiter.hit(*limits))
