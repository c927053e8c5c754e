"""One dealership's ladder settings: ring strategy, timings and the after-hours choice.

The console's ladder page and ``dealer-chat admin set-ladder`` both call :func:`set_ladder`
(it supersedes ``chat_server.admin.set_ladder``). Values are checked against bounds that
keep the ladder useful for a shopper (the comments on ``BOUNDS`` say why), everything is
checked before anything is written, and each change is audited as ``ladder.set``.

Where each value goes: ``LadderConfig`` (chat_server/ladder/types.py) takes the strategy,
the windows, the round-robin step, the sticky step, the grace period, the capture window
and the after-hours choice; the ring texts (chats/ladder_shell.py) read ``text_after_s``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.shifts import STORE_RINGABLE_ROLES, on_shift
from chat_server.administration import audit
from chat_server.administration.actors import Actor
from chat_server.administration.errors import SettingsError
from chat_server.administration.scope import dealership_for
from chat_server.ladder.hours import DatedHours, department_open, parse_dated
from chat_server.ladder.preview import (
    StageKind,
    clock_words,
    day_words,
    describe,
    stages,
    texts_note,
)
from chat_server.ladder.types import LadderConfig, Strategy
from chat_server.store.models import Dealership, Operator, PoolCoverage

STRATEGIES: tuple[tuple[str, str], ...] = (
    (Strategy.RING_ALL.value, "All at once (first to accept wins)"),
    (Strategy.ROUND_ROBIN.value, "One at a time (round robin)"),
)
# Outside sales hours: ring the salespeople still on shift before the pool, or the pool only.
AFTER_HOURS: tuple[tuple[str, str], ...] = (
    ("store_first", "Salespeople on shift, then the pool"),
    ("pool", "The pool only"),
)


@dataclass(frozen=True)
class Bound:
    low: float
    high: float
    label: str  # how a message names the field


# Seconds. Wide enough for any real store, narrow enough that a typo cannot strand a shopper.
BOUNDS: dict[str, Bound] = {
    # 0 switches the sticky ring off. A minute of ringing one person alone is already long:
    # about half of shoppers leave a chat that nobody answers within 15 seconds.
    "sticky_s": Bound(0, 60, "The sticky ring"),
    # Under 5 s nobody can reach a ringing phone; past 10 minutes the shopper is long gone
    # and the pool never gets its turn.
    "store_window_s": Bound(5, 600, "The store window"),
    # The same for the pool: a receptionist needs a few seconds, a shopper will not wait ten
    # minutes before being asked for contact details.
    "pool_window_s": Bound(5, 600, "The pool window"),
    # One salesperson's turn in a round robin: 3 s is the least to reach the Accept button;
    # two minutes per person would leave the others idle while the shopper waits.
    "round_robin_step_s": Bound(3, 120, "The round-robin step"),
    # A page change or a phone switching networks reconnects in a second or two, so 5 s is
    # the least; after 15 minutes away the shopper is not coming back to this chat.
    "grace_s": Bound(5, 900, "The grace period"),
    # The contact form needs time to be typed (30 s at least); an hour is the longest a
    # waiting chat should stay open before it is closed.
    "capture_window_s": Bound(30, 3600, "The contact-capture window"),
    # 0 texts at once; a text later than five minutes can no longer reach a ring in time
    # (no ring lasts longer than the 600 s window).
    "text_after_s": Bound(0, 300, "The ring text delay"),
}
FIELDS = ("strategy", *BOUNDS, "after_hours")


@dataclass(frozen=True)
class LadderSettings:
    """A dealership's ladder settings as plain data (what the page shows and edits)."""

    strategy: str = Strategy.RING_ALL.value
    sticky_s: float = 8.0
    store_window_s: float = 20.0
    pool_window_s: float = 25.0
    round_robin_step_s: float = 8.0
    grace_s: float = 60.0
    capture_window_s: float = 300.0
    text_after_s: float = 8.0
    after_hours: str = "store_first"  # or "pool"

    def config(self) -> LadderConfig:
        """The ladder machine's view of these settings."""
        return LadderConfig(
            sticky_s=self.sticky_s,
            store_window_s=self.store_window_s,
            pool_window_s=self.pool_window_s,
            round_robin_step_s=self.round_robin_step_s,
            strategy=Strategy(self.strategy),
            grace_s=self.grace_s,
            capture_window_s=self.capture_window_s,
            after_hours_store_first=self.after_hours == "store_first",
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def settings_of(row: Dealership) -> LadderSettings:
    return LadderSettings(
        strategy=row.ring_strategy,
        sticky_s=row.sticky_s,
        store_window_s=row.store_window_s,
        pool_window_s=row.pool_window_s,
        round_robin_step_s=row.round_robin_step_s,
        grace_s=row.grace_s,
        capture_window_s=row.capture_window_s,
        text_after_s=row.text_after_s,
        after_hours="store_first" if row.after_hours_store_first else "pool",
    )


def check_ladder(current: LadderSettings, changes: Mapping[str, object]) -> LadderSettings:
    """``current`` with ``changes`` applied, or SettingsError naming the first bad field.

    ``changes`` maps field names (``FIELDS``) to new values: text from a form, numbers or
    text from the command line; a field that is absent or None keeps its value.
    """
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise SettingsError(f"unknown ladder setting {unknown[0]!r}", None)
    given = {name: value for name, value in changes.items() if value is not None}
    updates: dict[str, Any] = {}
    if "strategy" in given:
        updates["strategy"] = _choice("strategy", given["strategy"], STRATEGIES, "The strategy")
    if "after_hours" in given:
        label = "After hours"
        updates["after_hours"] = _choice("after_hours", given["after_hours"], AFTER_HOURS, label)
    for name, bound in BOUNDS.items():
        if name in given:
            updates[name] = _seconds(name, given[name], bound)
    after = replace(current, **updates)
    _check_together(after)
    return after


def _check_together(s: LadderSettings) -> None:
    """Rules between fields, each reported on the field a manager would change."""
    # The machine cuts the sticky step at the store window's end: a sticky ring as long as
    # the window would ring that one person alone and nobody else.
    if s.sticky_s > 0 and s.sticky_s >= s.store_window_s:
        raise SettingsError(
            f"The sticky ring ({_s(s.sticky_s)}) must be shorter than the store window "
            f"({_s(s.store_window_s)}), or nobody else in the store is rung; 0 switches it off.",
            "sticky_s",
        )
    # A round-robin step longer than the window would ring only the first salesperson.
    if s.strategy == Strategy.ROUND_ROBIN.value and s.round_robin_step_s > s.store_window_s:
        raise SettingsError(
            f"The round-robin step ({_s(s.round_robin_step_s)}) must not be longer than the "
            f"store window ({_s(s.store_window_s)}), or only one salesperson is ever rung.",
            "round_robin_step_s",
        )


def _choice(field: str, value: object, options: tuple[tuple[str, str], ...], label: str) -> str:
    text = str(value).strip().lower().replace("-", "_")
    allowed = [key for key, _ in options]
    if text not in allowed:
        raise SettingsError(f"{label} must be one of {', '.join(allowed)}.", field)
    return text


def _seconds(field: str, value: object, bound: Bound) -> float:
    if isinstance(value, bool):
        raise SettingsError(f"{bound.label} must be a number of seconds.", field)
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().removesuffix("s").strip()
        if not text:
            raise SettingsError(f"{bound.label} needs a number of seconds.", field)
        try:
            number = float(text)
        except ValueError:
            raise SettingsError(
                f"{bound.label} must be a number of seconds, like 20; got {str(value)[:40]!r}.",
                field,
            ) from None
    if not math.isfinite(number) or not bound.low <= number <= bound.high:
        raise SettingsError(
            f"{bound.label} must be between {bound.low:g} and {bound.high:g} seconds.", field
        )
    return round(number, 1)


def _s(seconds: float) -> str:
    return f"{seconds:g} s"


def _write(row: Dealership, s: LadderSettings) -> None:
    row.ring_strategy = s.strategy
    row.sticky_s = s.sticky_s
    row.store_window_s = s.store_window_s
    row.pool_window_s = s.pool_window_s
    row.round_robin_step_s = s.round_robin_step_s
    row.grace_s = s.grace_s
    row.capture_window_s = s.capture_window_s
    row.text_after_s = s.text_after_s
    row.after_hours_store_first = s.after_hours == "store_first"


async def ladder_settings(
    session: AsyncSession, actor: Actor, dealership_id: int
) -> LadderSettings:
    """The dealership's ladder settings (NotInScope unless ``actor`` manages it)."""
    return settings_of(await dealership_for(session, actor, dealership_id))


async def set_ladder(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    changes: Mapping[str, object],
    *,
    at: datetime | None = None,
) -> LadderSettings:
    """Change the ladder settings named in ``changes`` (see :func:`check_ladder`); all or
    nothing. Writes one ``ladder.set`` audit entry with each field's from and to (none when
    nothing changed). Returns the settings now in force."""
    row = await dealership_for(session, actor, dealership_id)
    before = settings_of(row)
    after = check_ladder(before, changes)
    changed = audit.diff(before.as_dict(), after.as_dict())
    if not changed:
        return after
    _write(row, after)
    await audit.record(
        session,
        actor,
        "ladder.set",
        target=row.name,
        dealership_id=row.id,
        changes=changed,
        at=at,
    )
    return after


# --- the plain-words preview ----------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """One moment of the preview: "Now", "A weekday morning", a dated closure, ..."""

    label: str
    when: str  # "Tuesday 10:00 am" in the dealership's zone
    situation: str  # "sales open, 2 salespeople on shift"
    sentence: str


@dataclass(frozen=True)
class LadderPreviews:
    moments: tuple[Preview, ...]
    texts: str  # what the ring texts add (preview.texts_note)


# The moments the page previews besides now (local wall times in the dealership's zone).
WEEKDAY_MORNING = (1, time(10, 0))  # Tuesday 10:00 am
SATURDAY_EVENING = (5, time(20, 15))  # Saturday 8:15 pm
CLOSURE_TIME = time(10, 0)


async def ladder_previews(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    now: datetime,
    *,
    texts: bool = False,
) -> LadderPreviews:
    """What a chat would do now, on a weekday morning, on Saturday evening and on the next
    dated sales closure, in plain words, with the saved settings.

    "Now" uses who is on shift now; the other moments assume salespeople on shift and a
    receptionist on shift when a pool covers the store. ``texts``: a text provider is
    configured (a verified mobile then counts as a way to ring someone).
    """
    row = await dealership_for(session, actor, dealership_id)
    config = settings_of(row).config()
    zone = ZoneInfo(row.time_zone)
    local_now = now.astimezone(zone)
    covered = await _covered(session, row.id)

    def sales_open(at: datetime) -> bool:
        return department_open(
            row.hours or {}, "sales", row.time_zone, at, dated=row.dated_hours or ()
        )

    moments: list[Preview] = []
    salespeople = await _salespeople_on_shift(session, row.id, now, texts)
    receptionists = await _receptionists_on_shift(session, row.id, now, texts) if covered else 0
    open_now = sales_open(now)
    moments.append(
        Preview(
            "Now",
            _when(local_now),
            f"sales {'open' if open_now else 'closed'}, {_people(salespeople, 'salesperson')}"
            f" and {_people(receptionists, 'receptionist')} on shift",
            describe(
                config,
                at=local_now,
                store_open=open_now,
                salespeople_on_shift=salespeople > 0,
                pool_staffed=receptionists > 0,
            ),
        )
    )
    for label, (weekday, wall) in (
        ("A weekday morning", WEEKDAY_MORNING),
        ("Saturday evening", SATURDAY_EVENING),
    ):
        at = _next_local(local_now, weekday, wall)
        moments.append(_assumed(label, at, sales_open(at), covered, config))
    # The sticky ring, when it would ring at all: a returning shopper on a weekday morning.
    morning = _next_local(local_now, *WEEKDAY_MORNING)
    morning_open = sales_open(morning)
    sticky = stages(
        config, at=morning, store_open=morning_open, pool_staffed=covered, returning_shopper=True
    )
    if any(stage.kind is StageKind.STICKY for stage in sticky):
        sentence = describe(
            config,
            at=morning,
            store_open=morning_open,
            pool_staffed=covered,
            returning_shopper=True,
        )
        situation = "their earlier salesperson is on shift"
        moments.append(Preview("A returning shopper", _when(morning), situation, sentence))
    closure = _next_closure(row.dated_hours or (), local_now.date())
    if closure is not None:
        at = datetime.combine(closure.day, CLOSURE_TIME, zone)
        label = closure.label or "The next closure"
        moments.append(_assumed(label, at, sales_open(at), covered, config, with_date=True))
    found = stages(config, at=morning, store_open=morning_open, pool_staffed=covered)
    return LadderPreviews(tuple(moments), texts_note(found, row.text_after_s))


def _assumed(
    label: str,
    at: datetime,
    store_open: bool,
    covered: bool,
    config: LadderConfig,
    *,
    with_date: bool = False,
) -> Preview:
    pool = "a receptionist" if covered else "no pool (none covers this store)"
    sales = "open" if store_open else "closed"
    return Preview(
        label,
        _when(at, with_date=with_date),
        f"sales {sales}; assuming salespeople and {pool} on shift",
        describe(config, at=at, store_open=store_open, pool_staffed=covered, with_date=with_date),
    )


def _when(at: datetime, *, with_date: bool = False) -> str:
    return f"{day_words(at, with_date=with_date)} {clock_words(at)}"


def _people(count: int, word: str) -> str:
    plural = "salespeople" if word == "salesperson" else f"{word}s"
    if count == 0:
        return f"no {plural}"
    return f"1 {word}" if count == 1 else f"{count} {plural}"


def _next_local(local_now: datetime, weekday: int, wall: time) -> datetime:
    """The next ``weekday`` at ``wall`` o'clock in ``local_now``'s zone (today if still ahead)."""
    days = (weekday - local_now.weekday()) % 7
    at = datetime.combine(local_now.date() + timedelta(days=days), wall, local_now.tzinfo)
    return at if at > local_now else at + timedelta(days=7)


def _next_closure(dated: Any, today: date) -> DatedHours | None:
    for item in parse_dated(dated):
        if item.day >= today and item.closed and "sales" in item.departments:
            return item
    return None


async def _covered(session: AsyncSession, dealership_id: int) -> bool:
    found = await session.scalar(
        select(PoolCoverage.pool_id).where(PoolCoverage.dealership_id == dealership_id).limit(1)
    )
    return found is not None


async def _salespeople_on_shift(
    session: AsyncSession, dealership_id: int, at: datetime, texts: bool
) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Operator)
        .where(
            Operator.dealership_id == dealership_id,
            Operator.role.in_(STORE_RINGABLE_ROLES),
            Operator.active.is_(True),
            on_shift(at, texts),
        )
    )
    return int(count or 0)


async def _receptionists_on_shift(
    session: AsyncSession, dealership_id: int, at: datetime, texts: bool
) -> int:
    count = await session.scalar(
        select(func.count(func.distinct(Operator.id)))
        .select_from(Operator)
        .join(PoolCoverage, PoolCoverage.pool_id == Operator.pool_id)
        .where(
            PoolCoverage.dealership_id == dealership_id,
            Operator.role == "receptionist",
            Operator.active.is_(True),
            on_shift(at, texts),
        )
    )
    return int(count or 0)
