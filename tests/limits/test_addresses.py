"""Client addresses: the peer, a trusted proxy's X-Real-IP, IPv6 per /64, exemptions."""

from __future__ import annotations

import logging

import pytest

from chat_server.limits.addresses import ClientAddresses

LOOPBACK = ("127.0.0.0/8", "::1")


def test_the_peer_is_the_client_without_proxy_headers() -> None:
    addresses = ClientAddresses(["127.0.0.1"], [])
    assert addresses.resolve("198.51.100.4", {}).key == "198.51.100.4"


def test_x_real_ip_is_believed_from_a_trusted_proxy_only() -> None:
    addresses = ClientAddresses(["10.0.0.0/8"], [])
    assert addresses.resolve("10.1.2.3", {"x-real-ip": "203.0.113.9"}).ip == "203.0.113.9"
    assert addresses.resolve("198.51.100.4", {"x-real-ip": "203.0.113.9"}).ip == "198.51.100.4"
    # Garbage in the header leaves the peer in place.
    assert addresses.resolve("10.1.2.3", {"x-real-ip": "not an ip"}).ip == "10.1.2.3"


def test_x_forwarded_for_wins_over_x_real_ip() -> None:
    # uvicorn already resolved X-Forwarded-For into the client host: it is not undone here.
    addresses = ClientAddresses(["*"], [])
    headers = {"x-forwarded-for": "203.0.113.1", "x-real-ip": "203.0.113.2"}
    assert addresses.resolve("203.0.113.1", headers).ip == "203.0.113.1"


def test_an_untrusted_forwarder_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "chat_server.limits.addresses")
    addresses = ClientAddresses(["127.0.0.1"], [])
    for _ in range(3):
        address = addresses.resolve("192.0.2.50", {"x-forwarded-for": "203.0.113.1"})
        assert address.ip == "192.0.2.50"
    assert [r.getMessage() for r in caplog.records if "TRUSTED_PROXIES" in r.getMessage()] == [
        "ignored X-Forwarded-For from 192.0.2.50, which is not a trusted proxy; if it is your "
        "proxy, add it to DEALER_CHAT_TRUSTED_PROXIES"
    ]


def test_ipv6_clients_are_counted_per_64() -> None:
    addresses = ClientAddresses([], [])
    one = addresses.resolve("2001:db8:1:2:aaaa::1", {}).key
    same_subscriber = addresses.resolve("2001:db8:1:2:bbbb::7", {}).key
    neighbour = addresses.resolve("2001:db8:1:3::1", {}).key
    assert one == same_subscriber == "2001:db8:1:2::/64"
    assert neighbour != one
    assert addresses.resolve("::ffff:198.51.100.4", {}).key == "198.51.100.4"


def test_exempt_addresses_have_no_key() -> None:
    addresses = ClientAddresses([], LOOPBACK)
    assert addresses.resolve("127.0.0.7", {}).key is None
    assert addresses.resolve("::1", {}).key is None
    assert addresses.resolve("198.51.100.4", {}).key == "198.51.100.4"
    # Not an IP at all (a unix socket, a test client): still counted, under its name.
    assert addresses.resolve("testclient", {}).key == "other:testclient"
    assert addresses.resolve(None, {}).key == "other:"
