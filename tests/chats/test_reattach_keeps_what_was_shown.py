"""A socket that attaches a conversation again does not send its messages again.

Found by the chaos test on a busy machine (``shopper 160: [1, 1]``, both live frames on one
socket): the shopper's first message started a chat, the socket stopped following it, and a
resend of that first message attached the same chat again from seq 0, so a copy of seq 1
arriving later went out a second time. The socket now remembers what it showed.
"""

from __future__ import annotations

from chat_server.chats.ladder_shell import advance
from chat_server.delivery.channels import conversation_channel
from chat_server.delivery.fanout import encode
from chat_server.ladder.types import Close
from chat_server.protocol.outgoing import message_frame, typing_frame
from chat_server.store.transcripts import read_transcript
from tests.chats.store_chat import FIRST, Serve, answered, rung_chat


async def test_a_resend_that_attaches_the_chat_again_does_not_repeat_it(
    serve_inprocess: Serve,
) -> None:
    chat = await rung_chat(serve_inprocess, {"store_window": 30, "pool_window": 30})
    await answered(chat)
    server, alex, shopper, conversation = chat.server, chat.alex, chat.shopper, chat.conversation
    # Seq 1 came live before the ack-and-connect frames were read past.
    assert [f["seq"] for f in shopper.seen if f["type"] == "message"] == [1]
    await advance(server.runtime, conversation, lambda now, _r: Close(now))
    await shopper.expect("status", state="closed")

    # The first message again (its ack lost, as far as the widget knows): the socket follows
    # that chat once more. Then a late copy of seq 1, and a typing frame to mark the end.
    await shopper.send(FIRST)
    again = await shopper.expect("ack", client_id="s-0")
    assert (again["conversation"], again["seq"]) == (conversation, 1)
    [stored] = await read_transcript(server.runtime.db, conversation)
    channel = conversation_channel(conversation)
    await server.runtime.hub.publish(channel, encode(message_frame(stored)))
    await server.runtime.hub.publish(channel, encode(typing_frame(conversation, "operator", True)))
    await shopper.expect("typing")
    repeats = [f for f in shopper.seen if f["type"] == "message" and f["seq"] == 1]
    assert len(repeats) == 1, repeats
    for client in (alex, shopper):
        await client.close()
