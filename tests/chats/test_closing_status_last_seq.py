"""A ladder step's status frame names the conversation's real last message.

Found by the chaos test on a busy machine (issue 12): ``shopper 189: {1, 2, 3, 4} <= {1, 2}``.
Messages are numbered by their own ``UPDATE conversations SET last_seq = last_seq + n``
(group commit), which the ladder's versioned write does not see. A close that read the row
before two more messages were numbered published ``status closed`` with ``last_seq`` 2; the
shopper's socket had 1 and 2, so it had nothing to fetch (``Connection.fill_tail``), showed
the chat closed and went, and the live frames of 3 and 4, late on a busy machine, came to
nobody. ``advance`` now reads ``last_seq`` again once its own UPDATE holds the row.

Here the message is numbered inside the step itself (the ``mutate`` hook runs after the row
was read), the way an append from another node lands between the read and the write, and the
shopper's socket must get it before it hears that the chat closed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.chats.ladder_shell import advance
from chat_server.chats.messages import append_message
from chat_server.ladder.types import Close
from chat_server.store.models import Conversation
from tests.chats.store_chat import Serve, answered, rung_chat


async def test_a_close_announces_a_message_numbered_after_it_read_the_row(
    serve_inprocess: Serve,
) -> None:
    chat = await rung_chat(serve_inprocess, {"store_window": 30, "pool_window": 30})
    await answered(chat)
    server, alex, shopper, conversation = chat.server, chat.alex, chat.shopper, chat.conversation

    async def numbered_meanwhile(session: AsyncSession, row: Conversation) -> None:
        # Stored and numbered after the step read the row; never published (as if its
        # node's frame were still on the way).
        at: datetime = server.clock.now()
        await append_message(
            session,
            row.id,
            author_kind="staff",
            author_id=None,
            author_name="Alex Rivera",
            body="Yes, in blue. Thanks for chatting!",
            client_id="a-1",
            at=at,
        )

    await advance(
        server.runtime, conversation, lambda now, _r: Close(now), mutate=numbered_meanwhile
    )
    # In that order: what the socket missed, then the close (nothing is said after it).
    reply = await shopper.expect("message", seq=2)
    assert reply["body"] == "Yes, in blue. Thanks for chatting!"
    status = await shopper.expect("status", state="closed")
    assert status["last_seq"] == 2
    for client in (alex, shopper):
        await client.close()
