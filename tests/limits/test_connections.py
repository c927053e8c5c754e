"""Socket caps of one node: per address, in total, released when the socket ends."""

from __future__ import annotations

import resource

from chat_server.limits.connections import ConnectionCaps, node_socket_cap


def test_per_address_cap_and_release() -> None:
    caps = ConnectionCaps(total=100, per_address=2)
    with caps.admit("a") as first, caps.admit("a") as second:
        assert first is None and second is None
        with caps.admit("a") as third:
            assert third is not None and "your address" in third
        with caps.admit("b") as other_address:
            assert other_address is None
        assert caps.from_address("a") == 2
    assert caps.from_address("a") == 0 and caps.open == 0
    with caps.admit("a") as again:
        assert again is None


def test_total_cap_counts_exempt_and_console_sockets_too() -> None:
    caps = ConnectionCaps(total=2, per_address=0)
    with caps.admit(None), caps.admit("a"):
        with caps.admit(None) as refused:
            assert refused == "server busy: try again later"
        with caps.admit("b") as refused_too:
            assert refused_too is not None
    assert caps.open == 0


def test_a_refused_socket_holds_no_slot() -> None:
    caps = ConnectionCaps(total=1, per_address=1)
    with caps.admit("a"), caps.admit("a") as refused:
        assert refused is not None
        assert caps.open == 1 and caps.from_address("a") == 1


def test_the_node_cap_stays_below_the_open_files_limit() -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    auto = node_socket_cap(0)
    assert 0 < auto < soft
    assert node_socket_cap(10) == 10
    assert node_socket_cap(soft * 10) == auto  # asked for too many: clamped, with a warning
