"""The one interface every broker backend implements.

A broker moves short text messages between the server processes of one deployment: a
process publishes on a channel (one per conversation, one per operator, ...) and every
process subscribed to that channel receives it. It is deliberately dumb: no persistence,
no acknowledgements, no replay. The database is the record; the broker only tells other
nodes that something new is there, so a message lost by the broker costs latency (the
client resyncs from its last sequence number), never data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

# Yielded by :meth:`Broker.messages` when published frames were lost, so sockets must resync
# from the database: ``(RESYNC_CHANNEL, "")`` means every local socket (after a backend
# outage, anything published meanwhile is gone); otherwise the message names the channels
# that lost a frame, one a line, and only the sockets on those channels resync.
RESYNC_CHANNEL = "\x00resync"


class BrokerUnavailable(Exception):
    """The broker's backend cannot be reached (or the broker is closed).

    Raised instead of waiting forever, so a request can fail fast and the caller can fall
    back on the database.
    """


class Broker(Protocol):
    """Publish/subscribe between the nodes that share one backend.

    Delivery is at most once. Messages published on one channel by one publisher arrive in
    the order they were published. A broker has a single consumer of :meth:`messages`,
    normally a :class:`~chat_server.broker.hub.Hub`.
    """

    async def publish(self, channel: str, message: str) -> None:
        """Send ``message`` to every node subscribed to ``channel`` (this one included).

        Raises :class:`BrokerUnavailable` when the message was not sent (the backend is
        unreachable); the broker then yields a resync for ``channel`` once it can. A backend
        that is only slow to confirm may make this return with the message still queued: it
        is then sent late, in order.
        """
        ...

    async def subscribe(self, channel: str) -> None:
        """Start receiving ``channel`` on :meth:`messages`. Idempotent, not reference-counted.

        Returns once the subscription is in effect: a publish that starts after this returns
        is delivered.
        """
        ...

    async def unsubscribe(self, channel: str) -> None:
        """Stop receiving ``channel``. Idempotent; never raises for an unknown channel."""
        ...

    def messages(self) -> AsyncIterator[tuple[str, str]]:
        """Yield ``(channel, message)`` for every publish on a subscribed channel.

        Publishes from any node sharing the backend are included. The iterator ends when the
        broker is closed.
        """
        ...

    async def ping(self) -> bool:
        """Return whether the backend is reachable now (for ``/readyz``). Never raises."""
        ...
