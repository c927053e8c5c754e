"""The audit log: who changed which setting, when, and from what to what.

Secrets (webhook secrets, tokens, passwords) never reach the log: their values are masked,
so the log says that they changed and nothing more.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.administration.actors import Actor
from chat_server.administration.errors import NotInScope
from chat_server.administration.scope import managed_dealership_ids, managed_pool_ids
from chat_server.store.models import AuditEntry

MASK = "(secret)"
SECRET_FIELDS = frozenset({"webhook_secret", "password", "password_hash", "token", "secret"})


def _masked(field: str, value: Any) -> Any:
    if field in SECRET_FIELDS:
        return MASK if value else ""
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"from": old, "to": new}} for every field whose value changed, secrets masked."""
    changed: dict[str, dict[str, Any]] = {}
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field), after.get(field)
        if old != new:
            changed[field] = {"from": _masked(field, old), "to": _masked(field, new)}
    return changed


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    target: str = "",
    dealership_id: int | None = None,
    pool_id: int | None = None,
    changes: dict[str, dict[str, Any]] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add one entry in the caller's transaction (it commits or rolls back with the change)."""
    entry = AuditEntry(
        at=at or datetime.now(UTC),
        actor_id=actor.id,
        actor_name=actor.name,
        dealership_id=dealership_id,
        pool_id=pool_id,
        action=action,
        target=target[:300],
        changes={f: {k: _masked(f, v) for k, v in c.items()} for f, c in (changes or {}).items()},
    )
    session.add(entry)
    await session.flush()
    return entry


async def entries(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int = 200,
    before_id: int | None = None,
    dealership_id: int | None = None,
) -> list[dict[str, Any]]:
    """The newest entries ``actor`` may see, newest first, as plain data.

    An admin sees every entry; a manager those of the dealerships they manage; a pool manager
    those of their pool. ``dealership_id`` keeps one dealership's entries (NotInScope unless
    ``actor`` manages it).
    """
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if dealership_id is not None:
        if dealership_id not in await managed_dealership_ids(session, actor):
            raise NotInScope(f"dealership {dealership_id}")
        query = query.where(AuditEntry.dealership_id == dealership_id)
    if not actor.is_admin:
        dealerships = await managed_dealership_ids(session, actor)
        pools = await managed_pool_ids(session, actor)
        if not dealerships and not pools:
            return []
        query = query.where(
            or_(AuditEntry.dealership_id.in_(dealerships), AuditEntry.pool_id.in_(pools))
        )
    return [
        {
            "id": row.id,
            "at": row.at,
            "actor": row.actor_name,
            "action": row.action,
            "target": row.target,
            "dealership_id": row.dealership_id,
            "pool_id": row.pool_id,
            "changes": row.changes,
        }
        for row in await session.scalars(query)
    ]
