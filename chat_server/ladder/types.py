"""The ladder's vocabulary: phases, events, commands and its frozen state.

Nothing here does I/O. The shell (``chat_server.conversations``) feeds events in and
carries the returned commands out to the database, the broker and the sockets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Phase(StrEnum):
    """Where a conversation stands on the ladder. Also the ``status.state`` on the wire."""

    RINGING_STORE = "ringing_store"
    RINGING_POOL = "ringing_pool"
    CONNECTED = "connected"
    LEAD_CAPTURE = "lead_capture"
    # Contact details are in and nobody answered: the lead has gone out, and the chat stays
    # open for the capture window so the shopper's next message continues the same thread.
    CAPTURED = "captured"
    CLOSED = "closed"


class Tier(StrEnum):
    """Which side of the ladder an operator answers for."""

    STORE = "store"  # the dealership's own salespeople and managers
    POOL = "pool"  # receptionists of a pool that covers the dealership


class Outcome(StrEnum):
    UP = "up"
    POOL = "pool"
    MISSED = "missed"
    ABANDONED = "abandoned"


class Strategy(StrEnum):
    RING_ALL = "ring_all"
    ROUND_ROBIN = "round_robin"


class CancelReason(StrEnum):
    TAKEN = "taken"
    TIMEOUT = "timeout"
    LEFT = "left"
    DECLINED = "declined"


class LeadService(StrEnum):
    """Who handled the chat, as the lead's ``<provider><service>`` will say."""

    STORE = "store"
    POOL = "pool"
    UNANSWERED = "unanswered"


@dataclass(frozen=True)
class LadderConfig:
    """One dealership's ladder timings (seconds), ring strategy and after-hours choice.

    ``after_hours_store_first``: outside sales hours, ring the on-shift store staff (see
    ``Roster.store``) before the pool, as during hours. Off, a closed store is never rung:
    the ladder goes straight to the pool.
    """

    sticky_s: float = 8.0
    store_window_s: float = 20.0
    pool_window_s: float = 25.0
    round_robin_step_s: float = 8.0
    strategy: Strategy = Strategy.RING_ALL
    grace_s: float = 60.0
    capture_window_s: float = 300.0
    after_hours_store_first: bool = True


@dataclass(frozen=True)
class Roster:
    """Who could be rung right now, as the shell sees it at the time of the event.

    ``store_open`` says whether the sales department is open now (its hours). ``store``
    holds the on-shift store operators (available, with spare capacity and a channel
    that can ring them) in the order a round-robin should try them, whether the store
    is open or not: the ladder decides whether they may be rung (see
    ``LadderConfig.after_hours_store_first``). ``pool`` holds the available receptionists
    of the pools covering the dealership; ``sticky`` the salesperson who answered this
    shopper before, when they are available now (and so also in ``store``).
    """

    store_open: bool
    store: tuple[int, ...] = ()
    pool: tuple[int, ...] = ()
    sticky: int | None = None


# --- events -------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """The shopper's first message created the conversation."""

    at: datetime
    roster: Roster


@dataclass(frozen=True)
class Tick:
    """A deadline fired (or anyone wants timers re-checked). Idempotent."""

    at: datetime
    roster: Roster


@dataclass(frozen=True)
class Accept:
    operator: int
    tier: Tier
    at: datetime


@dataclass(frozen=True)
class Decline:
    operator: int
    at: datetime
    roster: Roster


@dataclass(frozen=True)
class ShopperLeft:
    at: datetime


@dataclass(frozen=True)
class ShopperBack:
    at: datetime


@dataclass(frozen=True)
class ContactGiven:
    at: datetime


@dataclass(frozen=True)
class ShopperWrote:
    """The shopper wrote again after leaving their details (phase ``captured``).

    The ladder rings again in the same conversation (store, then pool, with fresh windows),
    and the lead already sent is resent with the new transcript when the chat closes. In
    any other phase it changes nothing: a message there needs no ladder step.
    """

    at: datetime
    roster: Roster


@dataclass(frozen=True)
class Transfer:
    """The owner hands a connected chat on, warm: they stay in it until someone accepts.

    ``to`` names colleagues to ring; empty means every available store operator (a
    receptionist handing a shopper back to the store). ``tier`` is the side the targets
    answer for. Unanswered by the end of a store window, the offer lapses.
    """

    operator: int
    at: datetime
    roster: Roster
    to: tuple[int, ...] = ()
    tier: Tier = Tier.STORE


@dataclass(frozen=True)
class Close:
    """The owner (or the system) closes a connected conversation."""

    at: datetime


@dataclass(frozen=True)
class RosterChanged:
    """Someone came on shift or became available while the conversation rings.

    The shell sends it to every ringing conversation of the dealership. Like ``Tick``, it
    first fires any due timer; then newcomers of the tier that rings are rung at once,
    until the current window ends: receptionists (and store staff, quietly) in the pool
    phase, store staff in a ring-all store phase once the sticky step is over. During the
    sticky step, and with round-robin (one at a time), a newcomer waits for the next
    step. Nobody is cancelled, and nobody who declined is rung. In a phase that rings
    nobody (connected, lead capture, closed) it changes nothing.
    """

    at: datetime
    roster: Roster


Event = (
    Start
    | Tick
    | Accept
    | Decline
    | ShopperLeft
    | ShopperBack
    | ContactGiven
    | ShopperWrote
    | Transfer
    | Close
    | RosterChanged
)


# --- commands -----------------------------------------------------------------


@dataclass(frozen=True)
class Ring:
    """Offer the conversation to these operators until ``until``.

    Ringing an operator who is already rung extends their ring. ``quiet`` rings are
    offers the console lists without sounding (store staff while the pool rings).
    """

    operators: tuple[int, ...]
    tier: Tier
    until: datetime
    quiet: bool = False


@dataclass(frozen=True)
class CancelRings:
    operators: tuple[int, ...]
    reason: CancelReason


@dataclass(frozen=True)
class Announce:
    """Tell the shopper (and consoles) the new phase; ``agent`` is the owner once connected."""

    phase: Phase
    agent: int | None = None


@dataclass(frozen=True)
class Assign:
    operator: int
    tier: Tier


@dataclass(frozen=True)
class CreateLead:
    service: LeadService


@dataclass(frozen=True)
class ResendLead:
    """Send the conversation's lead again (status resend, same ADF id, the transcript as it
    is now): the shopper wrote more after it went out. ``service`` is who handled the chat."""

    service: LeadService


@dataclass(frozen=True)
class Finish:
    outcome: Outcome


@dataclass(frozen=True)
class Handover:
    """A transfer was accepted: ``previous`` leaves the chat, ``current`` owns it now."""

    previous: int
    current: int


@dataclass(frozen=True)
class TransferLapsed:
    """Nobody took the transfer in time; ``owner`` keeps the chat."""

    owner: int


Command = (
    Ring
    | CancelRings
    | Announce
    | Assign
    | CreateLead
    | ResendLead
    | Finish
    | Handover
    | TransferLapsed
)


# --- state --------------------------------------------------------------------


@dataclass(frozen=True)
class LadderState:
    """Everything the ladder remembers about one conversation.

    Stored as JSON on the conversation row (see ``to_json``/``from_json`` in
    ``chat_server.ladder.machine``); the timestamps are copied to columns for queries.
    """

    phase: Phase
    started_at: datetime
    store_until: datetime | None = None  # end of the store window
    pool_until: datetime | None = None  # end of the pool window
    step_until: datetime | None = None  # end of a sticky or round-robin step
    capture_until: datetime | None = None  # how long the contact form waits
    ringing_store: tuple[int, ...] = ()
    ringing_pool: tuple[int, ...] = ()
    rung_store: tuple[int, ...] = ()  # every store operator rung so far (round-robin memory)
    declined: tuple[int, ...] = ()
    sticky_done: bool = False
    owner: int | None = None
    owner_tier: Tier | None = None
    has_contact: bool = False
    away_since: datetime | None = None
    outcome: Outcome | None = None
    store_rung_at: datetime | None = None
    pool_rung_at: datetime | None = None
    accepted_at: datetime | None = None
    capture_at: datetime | None = None
    closed_at: datetime | None = None
    transfer_until: datetime | None = None  # a pending transfer's offer ends then
    transfer_tier: Tier | None = None
    lead_sent: bool = False  # CreateLead was issued (a later change is a ResendLead)
    lead_stale: bool = False  # the shopper wrote after the lead went out: resend on close
    wrote_at: datetime | None = None  # the shopper's last message after capture (rang again)


@dataclass(frozen=True)
class StepResult:
    state: LadderState
    commands: tuple[Command, ...]


class IllegalTransition(Exception):
    """An event that the current phase does not allow; the message names the phase."""

    def __init__(self, phase: Phase, event: object, reason: str) -> None:
        self.phase = phase
        self.event = event
        self.reason = reason
        super().__init__(f"{type(event).__name__} not allowed in phase {phase.value}: {reason}")
