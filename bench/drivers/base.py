"""What every scenario asks of a target, whatever its wire format.

Scenarios speak in visitors, chat pairs and consoles; a driver turns those into frames. Chat
bodies carry the intended send time: ``"b <seq> <stamp_ns>"`` (messages) and
``"r <trial> <stamp_ns>"`` (the first message that should ring the consoles).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from bench.peer import Dialer, Peer

CHAT = "chat"  # decoded kind of a delivered chat message; payload: its body
RING = "ring"  # decoded kind of a ring at a console; payload: the first words


def stamped(prefix: str, seq: int, stamp_ns: int) -> str:
    return f"{prefix} {seq} {stamp_ns}"


def read_stamp(body: object, prefix: str) -> tuple[int, int] | None:
    """``(seq, stamp_ns)`` from a stamped body, or None for any other text."""
    if not isinstance(body, str) or not body.startswith(prefix + " "):
        return None
    parts = body.split()
    if len(parts) != 3:
        return None
    try:
        return int(parts[1]), int(parts[2])
    except ValueError:
        return None


class Driver(ABC):
    """Speaks one target's protocol on sockets opened through a shared ``Dialer``."""

    def __init__(self, base_url: str, dialer: Dialer) -> None:
        self.base_url = base_url
        self.ws_url = base_url.replace("http://", "ws://")
        self.dialer = dialer

    @abstractmethod
    async def visitor(self, room: str) -> Peer:
        """A new shopper socket, ready (welcomed / joined its room) and otherwise idle."""

    @abstractmethod
    async def reconnect(self, peer: Peer) -> Peer:
        """A new socket for the same shopper as ``peer`` (which is gone), ready again."""

    @abstractmethod
    async def chat_pair(self, room: str) -> tuple[Peer, Peer]:
        """A sender and a receiver such that what the sender says reaches the receiver."""

    @abstractmethod
    def chat_text(self, sender: Peer, body: str, seq: int) -> str:
        """The frame that makes ``sender`` say ``body`` (``seq`` is unique per message)."""

    @abstractmethod
    async def consoles(self, count: int) -> list[Peer]:
        """``count`` staff sockets that will each be told (RING or CHAT) of a new chat."""

    @abstractmethod
    async def start_chat(self, visitor: Peer, body: str, trial: int) -> None:
        """Send the shopper's first message, which should reach every console."""
