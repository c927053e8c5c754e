"""Which dealerships and pools an actor may manage.

- a platform admin: every dealership, group and pool;
- a dealership manager: their own store, and every store of their group;
- a pool manager: their own pool (its receptionists; coverage is the admin's, see
  docs/settings.md);
- salespeople and receptionists: nothing.

A target out of scope raises :class:`NotInScope`, exactly like one that does not exist.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.administration.actors import Actor
from chat_server.administration.errors import NotInScope
from chat_server.store.models import Dealership, Pool


async def managed_dealership_ids(session: AsyncSession, actor: Actor) -> list[int]:
    """Ids of the dealerships whose settings ``actor`` may read and change, in id order."""
    if actor.is_admin:
        return list(await session.scalars(select(Dealership.id).order_by(Dealership.id)))
    if actor.role != "manager":
        return []
    ids = {actor.dealership_id} if actor.dealership_id is not None else set()
    if actor.group_id is not None:
        ids |= set(
            await session.scalars(
                select(Dealership.id).where(Dealership.group_id == actor.group_id)
            )
        )
    return sorted(ids)


async def managed_dealerships(session: AsyncSession, actor: Actor) -> list[Dealership]:
    ids = await managed_dealership_ids(session, actor)
    if not ids:
        return []
    return list(
        await session.scalars(
            select(Dealership).where(Dealership.id.in_(ids)).order_by(Dealership.name)
        )
    )


async def dealership_for(session: AsyncSession, actor: Actor, dealership_id: int) -> Dealership:
    """The dealership, if ``actor`` may manage it; else :class:`NotInScope`."""
    if dealership_id not in await managed_dealership_ids(session, actor):
        raise NotInScope(f"dealership {dealership_id}")
    return await session.get_one(Dealership, dealership_id)


async def dealership_by_slug_for(session: AsyncSession, actor: Actor, slug: str) -> Dealership:
    row = await session.scalar(select(Dealership).where(Dealership.slug == slug))
    if row is None:
        raise NotInScope(f"no dealership with slug {slug!r}")
    return await dealership_for(session, actor, row.id)


async def managed_pool_ids(session: AsyncSession, actor: Actor) -> list[int]:
    if actor.is_admin:
        return list(await session.scalars(select(Pool.id).order_by(Pool.id)))
    if actor.role == "pool_manager" and actor.pool_id is not None:
        return [actor.pool_id]
    return []


async def pool_for(session: AsyncSession, actor: Actor, pool_id: int) -> Pool:
    """The pool, if ``actor`` may manage it; else :class:`NotInScope`."""
    if pool_id not in await managed_pool_ids(session, actor):
        raise NotInScope(f"pool {pool_id}")
    return await session.get_one(Pool, pool_id)
