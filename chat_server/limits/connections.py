"""Caps on this node's concurrent sockets: per client address, and in total.

These are per node on purpose: what they protect (descriptors, memory) is per process, and
a count that needs Redis to release a slot would leak slots whenever a node dies. The total
stays below the open-files limit so that a flood of sockets is refused cleanly (close 1013)
before ``accept()`` starts failing for everyone, database connections included.
"""

from __future__ import annotations

import logging
import resource
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


def node_socket_cap(configured: int) -> int:
    """The total socket cap: ``configured``, or (0) derived from and kept below RLIMIT_NOFILE.

    A tenth of the descriptors (at least 256) stays free for the database pool, Redis, log
    files and HTTP requests. Read after the server lifted its soft limit (cli.py).
    """
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft = 1_000_000 if soft == resource.RLIM_INFINITY else soft
    ceiling = max(1, soft - max(256, soft // 10))
    if configured == 0:
        return ceiling
    if configured > ceiling:
        log.warning(
            "DEALER_CHAT_LIMIT_SOCKETS=%d is above what %d open files allow; using %d",
            configured,
            soft,
            ceiling,
        )
        return ceiling
    return configured


class ConnectionCaps:
    """Counts open sockets; :meth:`admit` refuses one over a cap and releases it afterwards."""

    def __init__(self, total: int, per_address: int) -> None:
        self.total = total
        self.per_address = per_address  # 0: no per-address cap
        self.open = 0
        self._by_address: dict[str, int] = {}

    @contextmanager
    def admit(self, address_key: str | None) -> Iterator[str | None]:
        """Hold a slot for the ``with`` block; yields None, or why the socket is refused.

        ``address_key`` None (an exempt address, an operator console) counts only toward
        the total.
        """
        refused = self._refusal(address_key)
        if refused is not None:
            yield refused
            return
        self.open += 1
        if address_key is not None:
            self._by_address[address_key] = self._by_address.get(address_key, 0) + 1
        try:
            yield None
        finally:
            self.open -= 1
            if address_key is not None:
                left = self._by_address[address_key] - 1
                if left:
                    self._by_address[address_key] = left
                else:
                    del self._by_address[address_key]

    def from_address(self, address_key: str) -> int:
        """Sockets open now from ``address_key``."""
        return self._by_address.get(address_key, 0)

    def _refusal(self, address_key: str | None) -> str | None:
        if self.open >= self.total:
            return "server busy: try again later"
        if (
            address_key is not None
            and self.per_address
            and self._by_address.get(address_key, 0) >= self.per_address
        ):
            return "too many connections from your address: try again later"
        return None
