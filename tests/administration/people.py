"""Seeding the people of a settings test's world: one operator per (key, role, dealership,
pool), each returned as the ``Actor`` the service layer takes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.operators import operator_view
from chat_server.admin import create_operator
from chat_server.administration.actors import Actor, actor_of
from chat_server.store.models import Operator

# The usual cast: the admin, a manager of each store, the pool's manager, a salesperson of A.
CAST = (
    ("admin", "admin", None, None),
    ("manager_a", "manager", "a-motors", None),
    ("manager_b", "manager", "b-motors", None),
    ("pool_manager_p", "pool_manager", None, "Pool P"),
    ("salesperson_a", "salesperson", "a-motors", None),
)
# Nobody signs in with these: a placeholder instead of an argon2 hash each.
UNUSED_HASH = "not used"


async def add_people(
    session: AsyncSession,
    people: Iterable[tuple[str, str, str | None, str | None]],
    *,
    password_hash: str = UNUSED_HASH,
) -> dict[str, tuple[Operator, Actor]]:
    """Create each person (e-mail ``<key>@example.com``); key -> (row, actor)."""
    added: dict[str, tuple[Operator, Actor]] = {}
    for key, role, dealership, pool in people:
        row = await create_operator(
            session,
            email=f"{key}@example.com",
            name=key.replace("_", " ").title(),
            role=role,
            password="a long password",
            password_hash=password_hash,
            dealership=dealership,
            pool=pool,
        )
        added[key] = (row, actor_of(operator_view(row)))
    return added
