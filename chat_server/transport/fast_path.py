"""``/ws/visitor`` past the HTTP middleware: most of a node's sockets are idle shoppers.

An ASGI app stays on the await chain of its connection for as long as the connection lives,
so every layer between uvicorn and the endpoint (sessions, CSRF and security-header
middleware, the exception middleware, the router, the route) keeps a coroutine frame, its
closures and a second ``WebSocket`` alive per socket: about 6 KiB of a shopper socket's
memory (``python -m bench.memtrace``). None of those layers acts on the visitor socket (they
handle HTTP, or the console's session cookie), so this middleware, placed first, hands it
straight to its endpoint. The route stays in the routing table for ``url_for`` and for apps
built without this middleware.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from chat_server.transport.visitor_socket import visitor_endpoint

VISITOR_PATH = "/ws/visitor"


class VisitorSocketFastPath:
    """Pure ASGI middleware: visitor websockets go directly to ``visitor_endpoint``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("root_path", "") + VISITOR_PATH
        if scope["type"] == "websocket" and scope["path"] == path:
            await visitor_endpoint(WebSocket(scope, receive=receive, send=send))
            return
        await self.app(scope, receive, send)
