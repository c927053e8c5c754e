"""The people of a workplace: a dealership's store staff, a pool's receptionists, or the
platform's admins. List them, invite someone, deactivate and reactivate, set a role and a
capacity, and reset someone else's password.

Who may manage whom (scope.py): a manager the staff of the dealerships they manage; a pool
manager their own pool's people; the platform admin everyone. Roles stay inside their
workplace (a dealership has salespeople and managers, a pool receptionists and pool managers),
so nobody but an admin can ever make an admin.

Decisions worth knowing:

- An invited person has no password (an empty hash, which verifies nothing) until they use
  their invitation link; there is no default password.
- Deactivating someone keeps their history (chats, leads, audit entries name them), ends every
  session of theirs at once (the session epoch), sets them away, and voids their open links.
  They cannot sign in and are never rung (accounts/shifts.py). Reactivating lets them sign in
  again with the password they had.
- Resetting someone's password stops the old one at once and ends their sessions: a reset is
  asked for when a password is forgotten (then the old one is worth nothing) or may be known
  to someone else (then it must stop now). The person sets a new one with the reset link; for
  someone who never set one, the reset is a fresh invitation.
- A role change ends the person's sessions too, so no open console keeps the old role's rights.
- Nobody deactivates, re-roles or resets themselves here (the Password page is for one's own
  password), and the platform keeps at least one active admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.administration import audit
from chat_server.administration.account_links import (
    NewLink,
    create_link,
    valid_email,
    valid_name,
    void_links,
)
from chat_server.administration.actors import Actor
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.administration.scope import dealership_for, pool_for
from chat_server.store.models import AccountLink, Operator, PushSubscription

ROLE_NAMES = {
    "salesperson": "Salesperson",
    "manager": "Manager",
    "receptionist": "Receptionist",
    "pool_manager": "Pool manager",
    "admin": "Platform admin",
}
ROLES = {
    "dealership": ("salesperson", "manager"),
    "pool": ("receptionist", "pool_manager"),
    "platform": ("admin",),
}
MIN_CAPACITY = 1
MAX_CAPACITY = 20
# Chats at once, when an invitation does not say (a receptionist handles more than a seller).
DEFAULT_CAPACITY = {
    "salesperson": 3,
    "manager": 3,
    "receptionist": 8,
    "pool_manager": 3,
    "admin": 1,
}


@dataclass(frozen=True)
class Workplace:
    """Where people work: ``dealership`` or ``pool`` (with its id), or the ``platform``."""

    kind: str
    id: int = 0

    @property
    def roles(self) -> tuple[str, ...]:
        return ROLES[self.kind]


def dealership(dealership_id: int) -> Workplace:
    return Workplace("dealership", dealership_id)


def pool(pool_id: int) -> Workplace:
    return Workplace("pool", pool_id)


PLATFORM = Workplace("platform")


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str
    role: str
    role_name: str
    capacity: int
    status: str  # active, invited, invite_expired, deactivated
    deactivated_at: datetime | None
    devices: tuple[str, ...]  # what rings them besides an open console
    is_you: bool


@dataclass(frozen=True)
class Team:
    kind: str
    id: int
    name: str
    roles: tuple[tuple[str, str], ...]  # (role, its name) that this workplace may give
    people: tuple[Person, ...]


@dataclass(frozen=True)
class Invitation:
    """An invitation or a reset just made: the link's token is in ``link`` (shown once)."""

    operator_id: int
    name: str
    email: str
    link: NewLink
    place: str  # the workplace's name, for the e-mail
    epoch: int | None = None  # set when the person's sessions were ended (a reset)


@dataclass(frozen=True)
class Changed:
    """What a change did to one person; ``epoch`` is set when their sessions were ended
    (the caller then closes their open consoles)."""

    operator_id: int
    name: str
    epoch: int | None = None


@dataclass(frozen=True)
class _Place:
    where: Workplace
    name: str
    dealership_id: int | None
    pool_id: int | None

    def members(self) -> ColumnElement[bool]:
        roles = Operator.role.in_(self.where.roles)
        if self.where.kind == "dealership":
            return and_(Operator.dealership_id == self.where.id, roles)
        if self.where.kind == "pool":
            return and_(Operator.pool_id == self.where.id, roles)
        return roles


async def _place(session: AsyncSession, actor: Actor, where: Workplace) -> _Place:
    """The workplace if ``actor`` may manage its people; else :class:`NotInScope`."""
    if where.kind == "dealership":
        row = await dealership_for(session, actor, where.id)
        return _Place(where, row.name, row.id, None)
    if where.kind == "pool":
        found = await pool_for(session, actor, where.id)
        return _Place(where, found.name, None, found.id)
    if where.kind == "platform" and actor.is_admin:
        return _Place(where, "Platform", None, None)
    raise NotInScope(f"{where.kind} {where.id}")


async def _member(session: AsyncSession, place: _Place, operator_id: int) -> Operator:
    row = await session.scalar(select(Operator).where(Operator.id == operator_id, place.members()))
    if row is None:
        raise NotInScope(f"operator {operator_id} of {place.where.kind} {place.where.id}")
    return row


def _target(row: Operator) -> str:
    return f"{row.name} <{row.email}>"


async def _record(
    session: AsyncSession,
    actor: Actor,
    place: _Place,
    action: str,
    row: Operator,
    changes: dict[str, dict[str, Any]],
    now: datetime,
) -> None:
    await audit.record(
        session,
        actor,
        action,
        target=_target(row),
        dealership_id=place.dealership_id,
        pool_id=place.pool_id,
        changes=changes,
        at=now,
    )


def valid_role(where: Workplace, raw: str) -> str:
    role = raw.strip()
    if role not in where.roles:
        names = " or ".join(ROLE_NAMES[r].lower() for r in where.roles)
        raise SettingsError(f"Choose {names}.", "role")
    return role


def valid_capacity(raw: int | str) -> int:
    """Chats at once, 1 to 20; :class:`SettingsError` on ``capacity``."""
    try:
        capacity = raw if isinstance(raw, int) else int(str(raw).strip())
    except ValueError:
        capacity = None
    if capacity is None or not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
        raise SettingsError(
            f"Capacity is a whole number of chats from {MIN_CAPACITY} to {MAX_CAPACITY}.",
            "capacity",
        )
    return capacity


# --- reading --------------------------------------------------------------------------------


def _masked_mobile(number: str) -> str:
    return f"Texts to …{number[-4:]}" if len(number) >= 4 else "Texts to a mobile"


async def _statuses(session: AsyncSession, rows: list[Operator], now: datetime) -> dict[int, str]:
    waiting = [r.id for r in rows if r.active and not r.password_hash]
    live: set[int] = set()
    if waiting:
        live = set(
            await session.scalars(
                select(AccountLink.operator_id).where(
                    AccountLink.operator_id.in_(waiting),
                    AccountLink.used_at.is_(None),
                    AccountLink.expires_at > now,
                )
            )
        )
    statuses = {}
    for row in rows:
        if not row.active:
            statuses[row.id] = "deactivated"
        elif not row.password_hash:
            statuses[row.id] = "invited" if row.id in live else "invite_expired"
        else:
            statuses[row.id] = "active"
    return statuses


async def team(
    session: AsyncSession, actor: Actor, where: Workplace, now: datetime | None = None
) -> Team:
    """The workplace's people (active first, then invited, then deactivated; by name) with
    the devices that ring each of them."""
    place = await _place(session, actor, where)
    rows = list(await session.scalars(select(Operator).where(place.members())))
    ids = [r.id for r in rows]
    devices: dict[int, list[str]] = {}
    if ids:
        found = await session.execute(
            select(PushSubscription.operator_id, PushSubscription.label)
            .where(PushSubscription.operator_id.in_(ids))
            .order_by(PushSubscription.id)
        )
        for operator_id, label in found.all():
            devices.setdefault(operator_id, []).append(label or "A phone (Web Push)")
    statuses = await _statuses(session, rows, now or datetime.now(UTC))
    order = {"active": 0, "invited": 1, "invite_expired": 1, "deactivated": 2}
    people = [
        Person(
            id=r.id,
            name=r.name,
            email=r.email,
            role=r.role,
            role_name=ROLE_NAMES.get(r.role, r.role),
            capacity=r.capacity,
            status=statuses[r.id],
            deactivated_at=r.deactivated_at,
            devices=tuple(
                devices.get(r.id, [])
                + ([_masked_mobile(r.mobile_phone)] if r.mobile_verified_at else [])
            ),
            is_you=r.id == actor.id,
        )
        for r in rows
    ]
    people.sort(key=lambda p: (order[p.status], p.name.casefold(), p.id))
    return Team(
        kind=where.kind,
        id=where.id,
        name=place.name,
        roles=tuple((r, ROLE_NAMES[r]) for r in where.roles),
        people=tuple(people),
    )


async def workplace_of(session: AsyncSession, email: str) -> tuple[Workplace, int]:
    """Where the operator with this e-mail works, and their id (for the command line)."""
    row = await session.scalar(
        select(Operator).where(func.lower(Operator.email) == email.strip().lower())
    )
    if row is None:
        raise SettingsError(f"No operator has the e-mail {email!r}.", "email")
    if row.role in ROLES["dealership"] and row.dealership_id is not None:
        return dealership(row.dealership_id), row.id
    if row.role in ROLES["pool"] and row.pool_id is not None:
        return pool(row.pool_id), row.id
    if row.role == "admin":
        return PLATFORM, row.id
    raise SettingsError(f"{email} works for no dealership or pool.", "email")


# --- changing -------------------------------------------------------------------------------


async def _email_taken(session: AsyncSession, email: str) -> bool:
    found = await session.scalar(select(Operator.id).where(func.lower(Operator.email) == email))
    return found is not None


async def invite(
    session: AsyncSession,
    actor: Actor,
    where: Workplace,
    *,
    name: str,
    email: str,
    role: str,
    capacity: int | str | None = None,
    now: datetime | None = None,
) -> Invitation:
    """Add a person with no password yet and a one-time invitation link (valid 7 days) to
    set one. Refused (:class:`SettingsError`, nothing saved) for a bad field or an e-mail
    address that already has an account."""
    now = now or datetime.now(UTC)
    place = await _place(session, actor, where)
    checked_name = valid_name(name)
    # An address that has an account is told so, even one the syntax check would refuse
    # (an older account's, say at a reserved test domain).
    if await _email_taken(session, email.strip().lower()):
        raise SettingsError("An operator with this e-mail already exists.", "email")
    checked_email = valid_email(email)
    checked_role = valid_role(where, role)
    checked_capacity = valid_capacity(
        DEFAULT_CAPACITY[checked_role] if capacity in (None, "") else capacity  # type: ignore[arg-type]
    )
    if await _email_taken(session, checked_email):
        raise SettingsError("An operator with this e-mail already exists.", "email")
    row = Operator(
        email=checked_email,
        name=checked_name,
        role=checked_role,
        password_hash="",  # none until the invitation is used: no password verifies
        dealership_id=place.dealership_id,
        pool_id=place.pool_id,
        presence="away",
        presence_at=now,
        capacity=checked_capacity,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:  # the same address, invited at the same moment elsewhere
        raise SettingsError("An operator with this e-mail already exists.", "email") from None
    link = await create_link(session, "invite", operator_id=row.id, created_by_id=actor.id, now=now)
    await _record(
        session,
        actor,
        place,
        "team.invite",
        row,
        audit.diff(
            {},
            {"name": row.name, "email": row.email, "role": row.role, "capacity": row.capacity},
        ),
        now,
    )
    return Invitation(row.id, row.name, row.email, link, place.name)


async def _last_admin(session: AsyncSession, row: Operator) -> bool:
    if row.role != "admin":
        return False
    others = await session.scalar(
        select(func.count())
        .select_from(Operator)
        .where(Operator.role == "admin", Operator.active.is_(True), Operator.id != row.id)
    )
    return not others


async def deactivate(
    session: AsyncSession,
    actor: Actor,
    where: Workplace,
    operator_id: int,
    now: datetime | None = None,
) -> Changed:
    """Deactivate a person: history kept, every session ended at once, never rung."""
    now = now or datetime.now(UTC)
    place = await _place(session, actor, where)
    row = await _member(session, place, operator_id)
    if row.id == actor.id:
        raise SettingsError("You cannot deactivate yourself.")
    if not row.active:
        return Changed(row.id, row.name)  # already done: nothing to change or log
    if await _last_admin(session, row):
        raise SettingsError("The platform needs at least one active admin.")
    row.active = False
    row.deactivated_at = now
    row.session_epoch += 1
    row.presence = "away"
    row.presence_at = now
    row.online_until = None
    await void_links(session, row.id, now)
    await session.flush()
    await _record(
        session, actor, place, "team.deactivate", row, {"active": {"from": True, "to": False}}, now
    )
    return Changed(row.id, row.name, row.session_epoch)


async def reactivate(
    session: AsyncSession,
    actor: Actor,
    where: Workplace,
    operator_id: int,
    now: datetime | None = None,
) -> Changed:
    """Let a deactivated person sign in (with the password they had) and be rung again."""
    now = now or datetime.now(UTC)
    place = await _place(session, actor, where)
    row = await _member(session, place, operator_id)
    if row.active:
        return Changed(row.id, row.name)
    row.active = True
    row.deactivated_at = None
    await session.flush()
    await _record(
        session, actor, place, "team.reactivate", row, {"active": {"from": False, "to": True}}, now
    )
    return Changed(row.id, row.name)


async def set_role_and_capacity(
    session: AsyncSession,
    actor: Actor,
    where: Workplace,
    operator_id: int,
    *,
    role: str | None = None,
    capacity: int | str | None = None,
    now: datetime | None = None,
) -> Changed:
    """Change a person's role (within the workplace) and capacity; None keeps one as it is.
    A new role ends their sessions, so no open console keeps the old role's rights."""
    now = now or datetime.now(UTC)
    place = await _place(session, actor, where)
    row = await _member(session, place, operator_id)
    new_role = row.role if role is None else valid_role(where, role)
    new_capacity = row.capacity if capacity is None else valid_capacity(capacity)
    if new_role != row.role and row.id == actor.id:
        raise SettingsError("You cannot change your own role.", "role")
    before = {"role": row.role, "capacity": row.capacity}
    after = {"role": new_role, "capacity": new_capacity}
    changes = audit.diff(before, after)
    if not changes:
        return Changed(row.id, row.name)
    epoch = None
    if new_role != row.role:
        row.session_epoch += 1
        epoch = row.session_epoch
    row.role = new_role
    row.capacity = new_capacity
    await session.flush()
    await _record(session, actor, place, "team.set", row, changes, now)
    return Changed(row.id, row.name, epoch)


async def reset_password(
    session: AsyncSession,
    actor: Actor,
    where: Workplace,
    operator_id: int,
    now: datetime | None = None,
) -> Invitation:
    """A one-time link for someone else to set a new password (valid 1 day). Their old
    password stops working now and their sessions end; for someone who never set one, this
    is a new invitation (valid 7 days) and the old invitation link stops working."""
    now = now or datetime.now(UTC)
    place = await _place(session, actor, where)
    row = await _member(session, place, operator_id)
    if row.id == actor.id:
        raise SettingsError("Change your own password on the Password page.")
    if not row.active:
        raise SettingsError(f"{row.name} is deactivated: reactivate them first.")
    purpose = "reset" if row.password_hash else "invite"
    epoch = None
    if purpose == "reset":
        row.password_hash = ""
        row.session_epoch += 1
        epoch = row.session_epoch
        await session.flush()
    link = await create_link(session, purpose, operator_id=row.id, created_by_id=actor.id, now=now)
    await _record(
        session,
        actor,
        place,
        "team.reset_password" if purpose == "reset" else "team.reinvite",
        row,
        {"password": {"from": "set" if purpose == "reset" else "", "to": ""}},
        now,
    )
    return Invitation(row.id, row.name, row.email, link, place.name, epoch)
