"""A status that arrives after a newer one is never shown.

Found by the chaos test (issue 12): a shopper's widget stayed on "waiting for someone" while
a salesperson was already answering. The start of a chat publishes ``status ringing_store``
after its commit; a salesperson on another node accepted in between, and that node's
``status connected`` reached the shopper first. Status frames now carry the conversation's
row version, and a socket passes on only statuses newer than the newest it has shown (its
welcome's included).
"""

from __future__ import annotations

from datetime import timedelta

from chat_server.chats.ladder_shell import advance
from chat_server.delivery.channels import conversation_channel
from chat_server.delivery.fanout import encode
from chat_server.ladder.types import Tick
from chat_server.protocol.outgoing import status_frame
from tests.chats.store_chat import Serve, answered, rung_chat
from tests.support.clients import visitor


async def test_a_late_older_status_does_not_put_the_chat_back(serve_inprocess: Serve) -> None:
    chat = await rung_chat(serve_inprocess, {"store_window": 30, "pool_window": 30})
    connected = await answered(chat)
    server, alex, shopper, conversation = chat.server, chat.alex, chat.shopper, chat.conversation
    assert isinstance(connected["version"], int)

    # The start's status, late: older than the one the shopper has. Then a newer one.
    channel = conversation_channel(conversation)
    late = status_frame(conversation, "ringing_store", None, 1, connected["version"] - 1)
    newer = status_frame(conversation, "connected", "Alex Rivera", 1, connected["version"] + 1)
    await server.runtime.hub.publish(channel, encode(late))
    await server.runtime.hub.publish(channel, encode(newer))
    passed_on = await shopper.expect("status")
    assert (passed_on["state"], passed_on["version"]) == ("connected", connected["version"] + 1)

    # A reconnecting widget is welcomed with the current version; older ones stay history.
    again, welcome = await visitor(
        server.ws_url,
        server.url,
        token=chat.welcome["visitor"],
        conversation=conversation,
        last_seq=1,
    )
    assert welcome["state"] == "connected"
    await server.runtime.hub.publish(channel, encode(late))
    final = status_frame(conversation, "closed", None, 1, connected["version"] + 5)
    await server.runtime.hub.publish(channel, encode(final))
    assert (await again.expect("status"))["state"] == "closed"
    for client in (alex, shopper, again):
        await client.close()


async def test_every_status_of_one_late_step_is_shown_in_order(serve_inprocess: Serve) -> None:
    """A deadline that fires late (its node was killed) walks the chat through the pool and
    closes it in one step: two statuses at the same version, and the last one counts."""
    chat = await rung_chat(
        serve_inprocess, {"store_window": 5, "pool_window": 5, "capture_window": 5}
    )
    server, alex, shopper, conversation = chat.server, chat.alex, chat.shopper, chat.conversation

    late = server.clock.now() + timedelta(minutes=10)
    await advance(
        server.runtime,
        conversation,
        lambda _now, roster: Tick(late, roster),  # type: ignore[arg-type]
        with_roster=True,
    )
    states = []
    while not states or states[-1] != "closed":
        states.append((await shopper.expect("status"))["state"])
    assert len(states) >= 2 and states[-1] == "closed", states
    for client in (alex, shopper):
        await client.close()
