"""The receptionist's card: what a pool receptionist answering for a store needs to know.

Address, phone, the departments (those with weekly hours; the hours page changes them) and
the dealer's own notes or script (``Dealership.console_notes``). The dealership's manager
edits it; receptionists read it beside each chat (chat_server/chats/context.py), and the
manager of a pool that covers the store may read it here too.

The phone is stored in E.164 (checked with the dealership's country as the default region)
and shown formatted (``contact_details.display_phone``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.administration import audit
from chat_server.administration.actors import Actor
from chat_server.administration.errors import NotInScope, SettingsError
from chat_server.administration.scope import dealership_for
from chat_server.contact_details import ContactError, display_phone, valid_phone
from chat_server.ladder.hours import DEPARTMENTS
from chat_server.store.models import Dealership, PoolCoverage

ADDRESS_MAX = 300
NOTES_MAX = 4000
DEPARTMENT_NAMES = {"sales": "Sales", "service": "Service", "parts": "Parts"}


def departments_with_hours(hours: dict[str, Any] | None) -> list[str]:
    """The departments that open at all in a week, in the usual order."""
    hours = hours or {}
    return [
        name for name in DEPARTMENTS if any(ranges for ranges in (hours.get(name) or {}).values())
    ]


def _view(row: Dealership, *, editable: bool) -> dict[str, Any]:
    return {
        "dealership": {"id": row.id, "name": row.name},
        "address": row.address,
        "phone": row.phone,
        "phone_display": display_phone(row.phone, row.country) if row.phone else "",
        "departments": [
            {"name": name, "label": DEPARTMENT_NAMES.get(name, name)}
            for name in departments_with_hours(row.hours)
        ],
        "notes": row.console_notes,
        "editable": editable,
    }


async def read_card(session: AsyncSession, actor: Actor, dealership_id: int) -> dict[str, Any]:
    """The card, for its dealership's managers (``editable``) and for the manager of a pool
    that covers the store (read only); :class:`NotInScope` for anyone else."""
    try:
        return _view(await dealership_for(session, actor, dealership_id), editable=True)
    except NotInScope:
        if actor.role != "pool_manager" or actor.pool_id is None:
            raise
    covered = await session.scalar(
        select(PoolCoverage.dealership_id).where(
            PoolCoverage.pool_id == actor.pool_id, PoolCoverage.dealership_id == dealership_id
        )
    )
    if covered is None:
        raise NotInScope(f"dealership {dealership_id}")
    return _view(await session.get_one(Dealership, dealership_id), editable=False)


def checked_address(raw: str) -> str:
    address = " ".join(raw.split())
    if len(address) > ADDRESS_MAX:
        raise SettingsError(f"An address has at most {ADDRESS_MAX} characters.", "address")
    return address


def checked_phone(raw: str, country: str) -> str:
    """The number in E.164 ("" for none), read with the dealership's country as default."""
    try:
        return valid_phone(raw, country, "phone")
    except ContactError:
        raise SettingsError(
            f"{raw.strip()!r} is not a phone number (include the area code).", "phone"
        ) from None


def checked_notes(raw: str) -> str:
    notes = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(notes) > NOTES_MAX:
        raise SettingsError(
            f"Notes have at most {NOTES_MAX} characters ({len(notes)} given).", "notes"
        )
    return notes


async def set_card(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    *,
    address: str | None = None,
    phone: str | None = None,
    notes: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Change what is given (None leaves it as it is), after checking all of it; returns the
    card after the change."""
    row = await dealership_for(session, actor, dealership_id)
    new_address = None if address is None else checked_address(address)
    new_phone = None if phone is None else checked_phone(phone, row.country)
    new_notes = None if notes is None else checked_notes(notes)
    before = {"address": row.address, "phone": row.phone, "notes": row.console_notes}
    if new_address is not None:
        row.address = new_address
    if new_phone is not None:
        row.phone = new_phone
    if new_notes is not None:
        row.console_notes = new_notes
    changes = audit.diff(
        before, {"address": row.address, "phone": row.phone, "notes": row.console_notes}
    )
    if changes:
        await audit.record(
            session,
            actor,
            "card.set",
            target=row.name,
            dealership_id=row.id,
            changes=changes,
            at=at,
        )
    return _view(row, editable=True)
