"""One-time account links: an invitation, a password reset, or the first admin's setup.

A link is its token: ``secrets.token_urlsafe(32)`` (256 random bits), handed to the person
once (e-mailed, shown once on the page, or printed by ``dealer-chat serve``). Only its sha256
is stored, so the database (or a backup of it) holds nothing that opens an account. A link
works once (``used_at``, set by a compare-and-set, so two tabs cannot both use it), until it
expires (an invitation after 7 days, a reset or the first admin's after 1 day), and only for
an active person. Using it sets the person's password and ends every other session of theirs.

There is no default password anywhere: an invited person has none (an empty hash, which no
password verifies) until they use their link, and the installation's first admin is made
through the setup link that ``dealer-chat serve`` prints while the database has no operators.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.operators import OperatorView, operator_view
from chat_server.accounts.passwords import hash_password
from chat_server.administration import audit
from chat_server.administration.actors import Actor, actor_of
from chat_server.administration.errors import SettingsError
from chat_server.contact_details import MAX_NAME_CHARS, normalise_email
from chat_server.store.models import AccountLink, Operator

LIFETIMES = {
    "invite": timedelta(days=7),
    "reset": timedelta(days=1),
    "first_admin": timedelta(days=1),
}
# The one password rule: set-password links, the first admin, and the Password page.
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1000


class LinkState(Enum):
    """Why a link opens nothing: unknown answers 404, the others 410 (it existed once)."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    SET_UP = "set_up"  # a first-admin link once the installation has operators


class BadLink(LookupError):
    def __init__(self, state: LinkState) -> None:
        super().__init__(state.value)
        self.state = state


@dataclass(frozen=True)
class NewLink:
    """A link just made: ``token`` is shown or sent once and never stored."""

    token: str
    purpose: str
    expires_at: datetime


@dataclass(frozen=True)
class OpenLink:
    """What a valid link's page shows: whose account it opens (none for the first admin)."""

    purpose: str
    name: str
    email: str
    expires_at: datetime


def link_path(purpose: str, token: str) -> str:
    """Where the link opens in the console: the setup page for the first admin, else the
    set-password page."""
    if purpose == "first_admin":
        return f"/console/setup/{token}"
    return f"/console/set-password/{token}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def valid_name(raw: str) -> str:
    """A person's name, whitespace collapsed; :class:`SettingsError` on ``name``."""
    name = " ".join(raw.split())
    if not name:
        raise SettingsError("Give the person's name.", "name")
    if len(name) > MAX_NAME_CHARS:
        raise SettingsError(f"A name has at most {MAX_NAME_CHARS} characters.", "name")
    return name


def valid_email(raw: str) -> str:
    """A sign-in e-mail address, normalised and lower-cased (sign-in ignores case);
    :class:`SettingsError` on ``email``."""
    address, ok = normalise_email(raw)
    if not ok:
        raise SettingsError("That is not an e-mail address.", "email")
    return address.lower()


def password_problem(password: str, confirm: str) -> SettingsError | None:
    """Why a new password is refused (naming the field), or None when it will do."""
    if len(password) < MIN_PASSWORD_CHARS:
        return SettingsError(
            f"Choose a password of at least {MIN_PASSWORD_CHARS} characters.", "password"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        return SettingsError("That password is too long.", "password")
    if password != confirm:
        return SettingsError("The two passwords are not the same.", "confirm_password")
    return None


async def create_link(
    session: AsyncSession,
    purpose: str,
    *,
    operator_id: int | None,
    created_by_id: int | None,
    now: datetime,
) -> NewLink:
    """A new link for ``purpose``. Any earlier unused link of the same person stops working:
    only the newest invitation or reset opens their account."""
    if purpose not in LIFETIMES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    if operator_id is not None:
        await void_links(session, operator_id, now)
    token = secrets.token_urlsafe(32)
    expires_at = now + LIFETIMES[purpose]
    session.add(
        AccountLink(
            purpose=purpose,
            operator_id=operator_id,
            token_hash=token_hash(token),
            created_by_id=created_by_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return NewLink(token, purpose, expires_at)


async def void_links(session: AsyncSession, operator_id: int, now: datetime) -> None:
    """Every unused link of this person expires now (a new one, or a deactivation)."""
    await session.execute(
        update(AccountLink)
        .where(
            AccountLink.operator_id == operator_id,
            AccountLink.used_at.is_(None),
            AccountLink.expires_at > now,
        )
        .values(expires_at=now)
    )


async def _link(session: AsyncSession, token: str, now: datetime) -> AccountLink:
    """The stored link for ``token`` if it may still be used; else :class:`BadLink`."""
    if not token or len(token) > 200:
        raise BadLink(LinkState.UNKNOWN)
    row = await session.scalar(
        select(AccountLink).where(AccountLink.token_hash == token_hash(token))
    )
    if row is None:
        raise BadLink(LinkState.UNKNOWN)
    if row.used_at is not None:
        raise BadLink(LinkState.USED)
    if row.expires_at <= now:
        raise BadLink(LinkState.EXPIRED)
    return row


async def _person_link(
    session: AsyncSession, token: str, now: datetime
) -> tuple[AccountLink, Operator]:
    row = await _link(session, token, now)
    if row.purpose == "first_admin" or row.operator_id is None:
        raise BadLink(LinkState.UNKNOWN)  # not a set-password link
    person = await session.get(Operator, row.operator_id)
    if person is None or not person.active:
        raise BadLink(LinkState.EXPIRED)  # a deactivated person's links are dead
    return row, person


async def _spend(session: AsyncSession, row: AccountLink, now: datetime) -> None:
    """Mark the link used, exactly once: of two requests racing with it, one wins."""
    spent = await session.execute(
        update(AccountLink)
        .where(AccountLink.id == row.id, AccountLink.used_at.is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise BadLink(LinkState.USED)


# --- invitations and resets -----------------------------------------------------------------


async def open_person_link(session: AsyncSession, token: str, now: datetime) -> OpenLink:
    """Whose password an invitation or reset link sets; :class:`BadLink` if it opens nothing."""
    row, person = await _person_link(session, token, now)
    return OpenLink(row.purpose, person.name, person.email, row.expires_at)


async def redeem(
    session: AsyncSession, token: str, password: str, confirm: str, now: datetime
) -> OperatorView:
    """Set the person's password with their link (once), unlock the account and end their
    other sessions; returns them, ready to be signed in. :class:`BadLink` or
    :class:`SettingsError` (nothing changed) when refused."""
    row, person = await _person_link(session, token, now)
    if problem := password_problem(password, confirm):
        raise problem
    await _spend(session, row, now)
    # argon2 is deliberately slow: off the event loop.
    person.password_hash = await asyncio.to_thread(hash_password, password)
    person.session_epoch += 1
    person.failed_sign_ins = 0
    person.locked_until = None
    await session.flush()
    me = actor_of(operator_view(person))
    await audit.record(
        session,
        me,
        "account.password_set",
        target=f"{person.name} <{person.email}>",
        dealership_id=person.dealership_id,
        pool_id=person.pool_id,
        changes={
            "password": {"from": "", "to": "set"},
            "link": {"from": row.purpose, "to": "used"},
        },
        at=now,
    )
    return operator_view(person)


# --- the first admin ------------------------------------------------------------------------


async def has_operators(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(Operator)))


async def first_admin_link(session: AsyncSession, now: datetime | None = None) -> NewLink | None:
    """A setup link for the first admin while the database has no operators at all; None
    once it has any (then admins invite everyone else)."""
    if await has_operators(session):
        return None
    return await create_link(
        session, "first_admin", operator_id=None, created_by_id=None, now=now or datetime.now(UTC)
    )


async def _setup_link(session: AsyncSession, token: str, now: datetime) -> AccountLink:
    row = await _link(session, token, now)
    if row.purpose != "first_admin":
        raise BadLink(LinkState.UNKNOWN)
    return row


async def open_setup_link(session: AsyncSession, token: str, now: datetime) -> OpenLink:
    """The setup page's link; :class:`BadLink` (``SET_UP`` once anyone has an account)."""
    row = await _setup_link(session, token, now)
    if await has_operators(session):
        raise BadLink(LinkState.SET_UP)
    return OpenLink(row.purpose, "", "", row.expires_at)


async def spend_setup_link(session: AsyncSession, token: str, now: datetime) -> None:
    """A setup link used after the installation got its operators is spent for good (it can
    never create an admin again), so that a leaked copy is not worth keeping."""
    row = await _setup_link(session, token, now)
    await _spend(session, row, now)


async def create_first_admin(
    session: AsyncSession,
    token: str,
    *,
    name: str,
    email: str,
    password: str,
    confirm: str,
    now: datetime,
) -> OperatorView:
    """Create the installation's first platform admin with the setup link (once, and only
    while there are no operators); returns them, ready to be signed in.

    :class:`BadLink` (``SET_UP`` when someone already has an account: the caller spends the
    link with :func:`spend_setup_link`) or :class:`SettingsError` when refused.
    """
    row = await _setup_link(session, token, now)
    if await has_operators(session):
        raise BadLink(LinkState.SET_UP)
    checked_name = valid_name(name)
    checked_email = valid_email(email)
    if problem := password_problem(password, confirm):
        raise problem
    await _spend(session, row, now)
    admin = Operator(
        email=checked_email,
        name=checked_name,
        role="admin",
        password_hash=await asyncio.to_thread(hash_password, password),
        presence="away",
        presence_at=now,
        capacity=0,
    )
    session.add(admin)
    await session.flush()
    row.operator_id = admin.id
    view = operator_view(admin)
    await audit.record(
        session,
        Actor(id=admin.id, name=admin.name, role="admin"),
        "team.first_admin",
        target=f"{admin.name} <{admin.email}>",
        changes={
            "name": {"from": "", "to": admin.name},
            "email": {"from": "", "to": admin.email},
            "role": {"from": "", "to": "admin"},
        },
        at=now,
    )
    return view
