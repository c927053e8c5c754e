"""The client's address: the socket's peer, or what a trusted proxy says it is.

uvicorn (started with ``forwarded_allow_ips`` = ``DEALER_CHAT_TRUSTED_PROXIES``, see cli.py)
already replaces the peer with the right-most untrusted ``X-Forwarded-For`` entry when the
peer is a trusted proxy, so ``scope["client"]`` is the client whenever the proxy sends that
header (deploy/nginx/dealer-chat.conf does). This module adds ``X-Real-IP`` from a trusted
peer that sent no ``X-Forwarded-For``, and turns the address into the key the per-address
limits count on: IPv6 clients are counted per /64, because one subscriber gets a whole /64
and could otherwise take a fresh address for every attempt.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ClientAddress:
    """Where a socket comes from. ``key`` is None when per-address limits do not apply."""

    ip: str
    key: str | None


def _networks(items: Iterable[str]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in items if item != "*")


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class ClientAddresses:
    """Resolves and classifies client addresses for one node's settings."""

    def __init__(self, trusted_proxies: Iterable[str], exempt: Iterable[str]) -> None:
        trusted = list(trusted_proxies)
        self._trust_all = "*" in trusted
        self._trusted = _networks(trusted)
        self._exempt = _networks(exempt)
        self._warned = False

    def resolve(self, client_host: str | None, headers: Mapping[str, str]) -> ClientAddress:
        """The address of a request whose (uvicorn-resolved) peer is ``client_host``."""
        host = client_host or ""
        forwarded_for = headers.get("x-forwarded-for")
        real_ip = headers.get("x-real-ip")
        if self._is_trusted(host):
            if forwarded_for is None and real_ip and _ip(real_ip) is not None:
                host = real_ip.strip()
        elif forwarded_for is not None and host not in forwarded_for and not self._warned:
            # uvicorn ignored the header: the peer is not trusted. Said once, because behind
            # an unlisted proxy every shopper shares the proxy's address and its limits.
            self._warned = True
            log.warning(
                "ignored X-Forwarded-For from %s, which is not a trusted proxy; if it is "
                "your proxy, add it to DEALER_CHAT_TRUSTED_PROXIES",
                host,
            )
        return ClientAddress(host, self.key(host))

    def key(self, host: str) -> str | None:
        """The per-address counting key of ``host``, or None when it is exempt."""
        ip = _ip(host)
        if ip is None:
            return f"other:{host[:64]}"  # unix sockets, test clients: still counted
        if any(ip in network for network in self._exempt):
            return None
        if isinstance(ip, ipaddress.IPv6Address):
            return str(ipaddress.IPv6Network((ip, 64), strict=False))
        return str(ip)

    def _is_trusted(self, host: str) -> bool:
        if self._trust_all:
            return True
        ip = _ip(host)
        return ip is not None and any(ip in network for network in self._trusted)
