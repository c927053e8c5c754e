"""The ladder in plain words, for the settings page: what a chat at a given moment would do.

"A chat at 8:15 pm on Saturday rings the pool for 25 s, then asks for contact details."

The words are not a second copy of the ladder's rules: :func:`stages` runs the pure machine
(``start`` and a ``Tick`` at each ``next_wakeup``) on a made-up first message with a made-up
roster, and reads the rings it commands. Whatever the machine would do, the preview says, so
the two cannot drift apart. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .machine import next_wakeup, start, step
from .types import Announce, LadderConfig, Phase, Ring, Roster, Start, Tick, Tier

__all__ = ["Stage", "StageKind", "describe", "stages", "texts_note"]

# A made-up roster: three salespeople (so a round-robin visibly moves on), one receptionist.
_SALESPEOPLE = (1, 2, 3)
_RECEPTIONISTS = (101,)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# The machine ends every run within the sum of its windows; this bounds the loop regardless.
_MAX_STEPS = 1000


class StageKind(StrEnum):
    STICKY = "sticky"  # the returning shopper's salesperson alone
    STORE_ALL = "store_all"  # every salesperson on shift at once
    STORE_ONE_AT_A_TIME = "store_one_at_a_time"  # round-robin
    POOL = "pool"  # the receptionists of the pool
    CONTACT = "contact"  # nobody answered: the widget asks for contact details


@dataclass(frozen=True)
class Stage:
    """One step of the ladder as the shopper would live it; ``step_s`` is a round-robin's
    time per salesperson."""

    kind: StageKind
    seconds: float = 0.0
    step_s: float | None = None


def stages(
    config: LadderConfig,
    *,
    at: datetime,
    store_open: bool,
    salespeople_on_shift: bool = True,
    pool_staffed: bool = True,
    returning_shopper: bool = False,
) -> tuple[Stage, ...]:
    """What the ladder does with a first message at ``at`` (aware), read from the machine.

    ``store_open``: sales is open then (hours and dated exceptions); ``salespeople_on_shift``:
    someone could be rung in the store; ``pool_staffed``: a pool covers the dealership and a
    receptionist is on shift; ``returning_shopper``: a salesperson who answered this shopper
    before is on shift (the sticky ring). Always ends with the ``CONTACT`` stage: nobody in
    the made-up roster ever accepts.
    """
    store = _SALESPEOPLE if salespeople_on_shift else ()
    roster = Roster(
        store_open=store_open,
        store=store,
        pool=_RECEPTIONISTS if pool_staffed else (),
        # The last in line: a round robin starts with the first, so a ring of this one alone
        # at the start can only be the sticky step.
        sticky=store[-1] if returning_shopper and store else None,
    )
    rings: list[tuple[datetime, Ring]] = []
    result = start(Start(at=at, roster=roster), config)
    now = at
    for _ in range(_MAX_STEPS):
        rings += [(now, c) for c in result.commands if isinstance(c, Ring) and not c.quiet]
        if any(isinstance(c, Announce) and c.phase is Phase.LEAD_CAPTURE for c in result.commands):
            break
        wake = next_wakeup(result.state, config)
        if wake is None or result.state.phase not in (Phase.RINGING_STORE, Phase.RINGING_POOL):
            break
        now = wake
        result = step(result.state, Tick(at=now, roster=roster), config)
    return (*_stages_of(rings, sticky=roster.sticky), Stage(StageKind.CONTACT))


def _stages_of(rings: list[tuple[datetime, Ring]], *, sticky: int | None) -> list[Stage]:
    """Group the rings the machine sent into stages, in the order they rang."""
    out: list[Stage] = []
    store = [(at, ring) for at, ring in rings if ring.tier is Tier.STORE]
    if store and sticky is not None and store[0][1].operators == (sticky,):
        at, ring = store.pop(0)
        out.append(Stage(StageKind.STICKY, _seconds(at, ring.until)))
    if store:
        first_at, first = store[0]
        last_until = max(ring.until for _, ring in store)
        total = _seconds(first_at, last_until)
        if len(store) == 1 and len(first.operators) > 1:
            out.append(Stage(StageKind.STORE_ALL, total))
        elif all(len(ring.operators) == 1 for _, ring in store):
            step_s = _seconds(first_at, first.until)
            out.append(Stage(StageKind.STORE_ONE_AT_A_TIME, total, step_s))
        else:  # not a shape the machine sends today; say the plain truth
            out.append(Stage(StageKind.STORE_ALL, total))
    for at, ring in rings:
        if ring.tier is Tier.POOL:
            out.append(Stage(StageKind.POOL, _seconds(at, ring.until)))
            break
    return out


def describe(
    config: LadderConfig,
    *,
    at: datetime,
    store_open: bool,
    salespeople_on_shift: bool = True,
    pool_staffed: bool = True,
    returning_shopper: bool = False,
    with_date: bool = False,
) -> str:
    """One sentence: "A chat at 10:00 am on Tuesday rings every salesperson on shift for
    20 s, then the pool for 25 s, then asks for contact details."

    ``at`` is the moment in the dealership's own time zone (it is printed as it stands);
    ``with_date`` adds the date ("on Thursday 25 December"), for a dated closure.
    """
    found = stages(
        config,
        at=at,
        store_open=store_open,
        salespeople_on_shift=salespeople_on_shift,
        pool_staffed=pool_staffed,
        returning_shopper=returning_shopper,
    )
    moment = f"at {clock_words(at)} on {day_words(at, with_date=with_date)}"
    subject = f"A returning shopper's chat {moment}" if returning_shopper else f"A chat {moment}"
    parts = [_stage_words(stage, store_open) for stage in found[:-1]]
    if not parts:
        return f"{subject} asks for contact details at once: nobody could be rung."
    steps = ", then ".join(parts)
    return f"{subject} rings {steps}, then asks for contact details."


def texts_note(found: tuple[Stage, ...], text_after_s: float) -> str:
    """What the ring texts add to ``found``: a ring still unanswered after ``text_after_s``
    also goes out as a text, so a ring that ends first sends none (the shell's rule)."""
    rings = [s for s in found if s.kind is not StageKind.CONTACT]
    if not rings:
        return "Nobody is rung, so no ring text goes out."
    after = seconds_words(text_after_s)
    # A round-robin ring lasts one step; any other ring its whole stage.
    short = [s for s in rings if _ring_seconds(s) <= text_after_s]
    if len(short) == len(rings):
        longest = seconds_words(max(_ring_seconds(s) for s in rings))
        return f"No ring lasts over {longest}, so no ring text goes out (texts wait {after})."
    sentence = f"A ring not answered within {after} also goes out as a text to a verified mobile"
    if not short:
        return sentence + "."
    return f"{sentence}, except {_and(_ring_name(s) for s in short)}, which end first."


def _ring_seconds(stage: Stage) -> float:
    return stage.step_s if stage.step_s is not None else stage.seconds


def _ring_name(stage: Stage) -> str:
    seconds = seconds_words(stage.seconds)
    match stage.kind:
        case StageKind.STICKY:
            return f"the returning shopper's salesperson's ring ({seconds})"
        case StageKind.STORE_ONE_AT_A_TIME:
            return f"the one-at-a-time rings ({seconds_words(_ring_seconds(stage))} each)"
        case StageKind.STORE_ALL:
            return f"the store's ring ({seconds})"
        case _:
            return f"the pool's ring ({seconds})"


def _and(items: Iterable[str]) -> str:
    words = list(items)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _stage_words(stage: Stage, store_open: bool) -> str:
    # Outside sales hours the store is rung only because the dealership chose to ring
    # whoever is still on shift: say so.
    on_shift = "on shift" if store_open else "still on shift"
    seconds = seconds_words(stage.seconds)
    match stage.kind:
        case StageKind.STICKY:
            return f"their salesperson alone for {seconds} first"
        case StageKind.STORE_ALL:
            return f"every salesperson {on_shift} for {seconds}"
        case StageKind.STORE_ONE_AT_A_TIME:
            each = seconds_words(stage.step_s or stage.seconds)
            who = "salespeople" if store_open else "salespeople still on shift"
            return f"{who} one at a time, {each} each, for {seconds}"
        case StageKind.POOL:
            return f"the pool for {seconds}"
        case _:
            return "nobody"


def seconds_words(seconds: float) -> str:
    """25 -> "25 s", 2.5 -> "2.5 s", 300 -> "5 min"."""
    if seconds >= 120 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{round(seconds, 1):g} s"


def clock_words(at: datetime) -> str:
    """ "8:15 pm", "10:00 am", "12:00 pm" (noon)."""
    hour = at.hour % 12 or 12
    return f"{hour}:{at.minute:02d} {'am' if at.hour < 12 else 'pm'}"


def day_words(at: datetime, *, with_date: bool = False) -> str:
    """ "Saturday", or "Thursday 25 December" with the date (English, whatever the locale)."""
    day = _DAYS[at.weekday()]
    return f"{day} {at.day} {_MONTHS[at.month - 1]}" if with_date else day


def _seconds(start_at: datetime, until: datetime) -> float:
    return (until - start_at).total_seconds()
