"""``/metrics`` on an in-process server: what a chat that is answered, and one that is missed,
count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chat_server.observability.metrics import Metrics
from chat_server.observability.tally import Tally
from tests.leads.chats import DANA, FAST_LADDER, FAST_RETRIES, eventually, unanswered_chat
from tests.observability.scrape import Samples, scrape
from tests.support.clients import FrameClient, console, new_client_id, visitor
from tests.support.inprocess import InProcessServer
from tests.support.ports import free_port

ALEX = "alex@demo-motors.test"
SAM = "sam@demo-motors.test"
OUTCOMES = ("up", "pool", "missed", "abandoned")


async def available(server: InProcessServer, email: str) -> FrameClient:
    client, _ = await console(server.url, email)
    await client.send({"type": "presence", "status": "available"})
    await client.expect("presence", status="available")
    return client


async def sockets_closed(server: InProcessServer) -> Samples:
    """The next scrape once both connection gauges are back to 0 (closing is asynchronous)."""

    async def check() -> Samples | None:
        samples = await scrape(server)
        open_ = [samples("dealer_chat_open_connections", side=s) for s in ("visitor", "console")]
        return samples if open_ == [0, 0] else None

    return await eventually(check)


async def test_an_answered_chat_counts_rings_a_taken_cancel_an_up_and_time_to_first_human(
    serve_inprocess: Callable[..., Awaitable[InProcessServer]],
) -> None:
    server = await serve_inprocess({"store_window": 30, "pool_window": 30})
    await server.admin("set-hours", "--dealership", "demo-motors", "--always-open")
    before = await scrape(server)
    assert before("dealer_chat_rings_offered_total", tier="store") == 0
    assert before("dealer_chat_messages_stored_total") == 0
    assert before("dealer_chat_time_to_first_human_seconds_count") == 0

    alex = await available(server, ALEX)
    sam = await available(server, SAM)
    shopper, _ = await visitor(server.ws_url, server.url)
    during = await scrape(server)
    assert during("dealer_chat_open_connections", side="console") == 2
    assert during("dealer_chat_open_connections", side="visitor") == 1

    await shopper.send({"type": "message", "client_id": new_client_id(), "body": "Blue RAV4?"})
    conversation = (await shopper.expect_keeping("ack"))["conversation"]
    await alex.expect("ring", conversation=conversation)
    await sam.expect("ring", conversation=conversation)
    await alex.send({"type": "accept", "conversation": conversation})
    await alex.expect("conversation", id=conversation, state="connected")
    await sam.expect("ring_cancelled", conversation=conversation, reason="taken")
    # Twelve seconds pass before the first reply: the histogram counts seconds, not
    # milliseconds (not in the 1 s bucket, in the 30 s one).
    await server.advance(12)
    await alex.send(
        {"type": "message", "conversation": conversation, "client_id": "a1", "body": "Yes!"}
    )
    await alex.expect_keeping("ack", client_id="a1")
    await shopper.send({"type": "message", "client_id": "s2", "body": "Test drive?"})
    await alex.expect("message", seq=3)
    # A resend of a stored message is acked again but stored (and counted) once.
    await shopper.send({"type": "message", "client_id": "s2", "body": "Test drive?"})
    await shopper.expect_keeping("ack", client_id="s2")
    await alex.send({"type": "close", "conversation": conversation})
    await alex.expect("conversation", id=conversation, state="closed")
    for client in (alex, sam, shopper):
        await client.close()

    after = await sockets_closed(server)
    assert after("dealer_chat_rings_offered_total", tier="store") == 2  # Alex and Sam
    assert after("dealer_chat_rings_offered_total", tier="pool") == 0
    assert after("dealer_chat_ring_cancellations_total", reason="taken") == 1  # Sam's
    assert after("dealer_chat_ring_cancellations_total", reason="timeout") == 0
    assert {o: after("dealer_chat_ladder_outcomes_total", outcome=o) for o in OUTCOMES} == {
        "up": 1,
        "pool": 0,
        "missed": 0,
        "abandoned": 0,
    }
    # Three chat messages, and the closing message that tells the shopper the chat ended.
    assert after("dealer_chat_messages_stored_total") == 4
    assert after("dealer_chat_time_to_first_human_seconds_count") == 1
    assert after("dealer_chat_time_to_first_human_seconds_bucket", le="1.0") == 0
    assert after("dealer_chat_time_to_first_human_seconds_bucket", le="30.0") == 1
    assert 12 <= after("dealer_chat_time_to_first_human_seconds_sum") < 30


async def test_a_missed_chat_counts_its_outcome_and_each_failed_smtp_delivery(
    serve_inprocess: Callable[..., Awaitable[InProcessServer]],
) -> None:
    closed_port = free_port()  # nothing listens there: every SMTP attempt is refused
    env = {
        "DEALER_CHAT_SMTP_HOST": "127.0.0.1",
        "DEALER_CHAT_SMTP_PORT": str(closed_port),
        "DEALER_CHAT_SMTP_TLS": "none",
        **FAST_RETRIES,
    }
    server = await serve_inprocess(FAST_LADDER, env=env)
    await server.admin("set-crm", "--dealership", "demo-motors", "--email", "leads@crm.example")
    await unanswered_chat(server, DANA)

    async def failed_twice() -> Samples | None:
        samples = await scrape(server)
        failed = samples("dealer_chat_lead_delivery_failures_total", channel="smtp")
        return samples if failed >= 2 else None  # the first attempt and a retry

    await eventually(failed_twice)
    after = await sockets_closed(server)
    assert after("dealer_chat_lead_delivery_failures_total", channel="webhook") == 0
    assert {o: after("dealer_chat_ladder_outcomes_total", outcome=o) for o in OUTCOMES} == {
        "up": 0,
        "pool": 0,
        "missed": 1,
        "abandoned": 0,
    }
    assert after("dealer_chat_rings_offered_total", tier="store") == 0  # nobody was available
    assert after("dealer_chat_messages_stored_total") == 1
    assert after("dealer_chat_time_to_first_human_seconds_count") == 0


def test_two_apps_in_one_process_keep_separate_metrics() -> None:
    first, second = Metrics.create(), Metrics.create()
    tally = Tally(messages_stored=2, outcomes=["up"], first_human_waits=[3.5])
    tally.rings_offered["store"] += 2
    first.record(tally)
    text = first.render().decode()
    assert "dealer_chat_messages_stored_total 2.0" in text
    assert 'dealer_chat_ladder_outcomes_total{outcome="up"} 1.0' in text
    assert 'dealer_chat_time_to_first_human_seconds_bucket{le="5.0"} 1.0' in text
    assert "dealer_chat_messages_stored_total 0.0" in second.render().decode()
