"""An operator as plain data: who they are, their role, and where they work."""

from __future__ import annotations

from dataclasses import dataclass

from chat_server.runtime import Runtime
from chat_server.store.models import Operator


@dataclass(frozen=True)
class OperatorView:
    id: int
    name: str
    email: str
    role: str
    dealership_id: int | None
    pool_id: int | None
    group_id: int | None
    session_epoch: int
    presence: str


def operator_view(row: Operator) -> OperatorView:
    return OperatorView(
        id=row.id,
        name=row.name,
        email=row.email,
        role=row.role,
        dealership_id=row.dealership_id,
        pool_id=row.pool_id,
        group_id=row.group_id,
        session_epoch=row.session_epoch,
        presence=row.presence,
    )


async def operator_by_id(rt: Runtime, operator_id: int) -> OperatorView | None:
    """The operator with this id, as plain data (None when there is none)."""
    async with rt.db.sessions() as session:
        row = await session.get(Operator, operator_id)
    return operator_view(row) if row is not None else None
