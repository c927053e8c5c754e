"""The visitor socket's rate limits, on the memory limiter with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chat_server.broker import MemoryRateLimiter
from chat_server.limits.addresses import ClientAddress
from chat_server.limits.guard import Guard, Refusal
from chat_server.settings import Rate, Settings

SHOPPER = ClientAddress("198.51.100.4", "198.51.100.4")
NEIGHBOUR = ClientAddress("198.51.100.5", "198.51.100.5")
EXEMPT = ClientAddress("127.0.0.1", None)


class FakeClock:
    def __init__(self) -> None:
        self.at = datetime(2025, 3, 1, 12, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def guard(clock: FakeClock, **limits: object) -> Guard:
    settings = Settings(
        limit_visitor_messages=None,
        limit_address_messages=None,
        limit_site_messages=None,
        limit_address_conversations=None,
        limit_address_connects=None,
    ).with_overrides(**limits)
    return Guard(settings, MemoryRateLimiter(clock))


async def send(
    g: Guard, visitor: int, address: ClientAddress = SHOPPER, *, site: int = 1, new: bool = False
) -> Refusal | None:
    return await g.message(
        visitor=f"v{visitor}", site=f"site{site}", address=address, starts_conversation=new
    )


async def test_per_visitor_limit_names_itself_and_the_wait() -> None:
    clock = FakeClock()
    g = guard(clock, limit_visitor_messages=Rate(3, 60))
    assert [await send(g, 1) for _ in range(3)] == [None, None, None]
    clock.advance(15)
    assert await send(g, 1) == Refusal("visitor", 45)
    assert await send(g, 2) is None  # another shopper is not affected
    clock.advance(45)
    assert await send(g, 1) is None


async def test_per_address_limit_spans_shoppers_and_skips_exempt_addresses() -> None:
    g = guard(FakeClock(), limit_address_messages=Rate(2, 60))
    assert await send(g, 1) is None and await send(g, 2) is None
    assert await send(g, 3) == Refusal("address", 60)
    assert await send(g, 3, NEIGHBOUR) is None
    assert [await send(g, 4, EXEMPT) for _ in range(5)] == [None] * 5


async def test_the_site_ceiling_holds_whatever_the_address() -> None:
    g = guard(FakeClock(), limit_site_messages=Rate(2, 60))
    assert await send(g, 1, SHOPPER) is None and await send(g, 2, NEIGHBOUR) is None
    assert await send(g, 3, EXEMPT) == Refusal("site", 60)
    assert await send(g, 3, EXEMPT, site=2) is None


async def test_new_conversations_are_counted_per_address_per_hour() -> None:
    clock = FakeClock()
    g = guard(clock, limit_address_conversations=Rate(2, 3600))
    assert await send(g, 1, new=True) is None and await send(g, 2, new=True) is None
    assert await send(g, 3, new=True) == Refusal("conversations", 3600)
    assert await send(g, 3, new=False) is None  # a message in an open chat is fine
    clock.advance(3600)
    assert await send(g, 3, new=True) is None


async def test_connection_attempts_per_address() -> None:
    clock = FakeClock()
    g = guard(clock, limit_address_connects=Rate(2, 60))
    assert await g.connect(SHOPPER) is None and await g.connect(SHOPPER) is None
    assert await g.connect(SHOPPER) == Refusal("connects", 60)
    assert await g.connect(EXEMPT) is None
    clock.advance(59.2)
    assert await g.connect(SHOPPER) == Refusal("connects", 1)  # rounded up, never 0


async def test_a_refused_message_uses_no_quota() -> None:
    g = guard(FakeClock(), limit_visitor_messages=Rate(1, 60), limit_site_messages=Rate(3, 60))
    assert await send(g, 1) is None
    for _ in range(5):
        assert (await send(g, 1)) == Refusal("visitor", 60)
    # Five refusals later the site still has two of its three slots.
    assert await send(g, 2) is None and await send(g, 3) is None
    assert await send(g, 4) == Refusal("site", 60)


async def test_switched_off_limits_allow_everything() -> None:
    g = guard(FakeClock())
    assert [await send(g, 1, new=True) for _ in range(500)] == [None] * 500
