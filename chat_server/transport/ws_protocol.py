"""uvicorn's sans-I/O websocket protocol, plus a way for the app to drop a peer that stopped
reading.

ASGI only closes a websocket politely, and politeness needs the peer: uvicorn's ``send()``
first waits until the peer has drained the write buffer (flow control), so a close frame
queued behind frames the peer never reads is never written, and ``transport.close()`` waits
for buffered bytes to be flushed. A peer that stopped reading therefore kept its socket, its
task and its buffers forever. This protocol offers the app an ASGI extension,
``dealer_chat.abort``, whose ``abort()`` resets the TCP connection at once (RST, nothing more is
sent); a keepalive timeout resets it too, for the same reason.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Callable
from typing import Any

from chat_server.transport.lean_ws import LeanWebSocketProtocol

ABORT_EXTENSION = "dealer_chat.abort"


def abort_of(scope: dict[str, Any]) -> Callable[[], None] | None:
    """The connection's ``abort()``, or None when the server does not offer one."""
    extension = scope.get("extensions", {}).get(ABORT_EXTENSION)
    return extension["abort"] if extension else None


class AbortableWebSocketProtocol(LeanWebSocketProtocol):
    """``ws=`` for uvicorn: the sans-I/O implementation with an abort the app can call.

    Based on the lean variant (transport/lean_ws.py), which holds less per idle socket.
    """

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        # The ASGI task is created but has not run yet: the app sees the extension.
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][ABORT_EXTENSION] = {"abort": self.abort}

    def abort(self) -> None:
        """Reset the connection now, whatever is still buffered for the peer."""
        if self.transport is None:
            return
        raw = self.transport.get_extra_info("socket")
        if raw is not None:
            # Linger 0: close() sends RST and frees the kernel's send buffer, instead of a FIN
            # queued behind data a peer with a zero window will never take.
            with contextlib.suppress(OSError):
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def keepalive_timeout(self) -> None:
        # uvicorn closes politely here; a peer that answers no ping will not read that either.
        closing = self.close_sent or self.transport.is_closing()
        super().keepalive_timeout()
        if not closing:
            self.abort()
