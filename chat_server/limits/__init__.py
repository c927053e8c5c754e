"""Abuse limits on the sockets: who the client is, how many sockets it holds, how fast it talks.

* :mod:`~chat_server.limits.addresses` names the client (its peer, or what a trusted proxy says).
* :mod:`~chat_server.limits.connections` caps this node's concurrent sockets, per address and
  in total (close 1013, try again later).
* :mod:`~chat_server.limits.guard` holds the rate limits (messages per visitor, per address
  and per site; new conversations and connection attempts per address), counted by the
  broker's :class:`~chat_server.broker.RateLimiter` so they hold across nodes.

The per-socket flood limit (frames per second, close 1008) stays in
:mod:`chat_server.transport.connection`: it needs no shared state.
"""
