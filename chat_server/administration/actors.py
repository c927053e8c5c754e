"""Who makes a change: a signed-in operator, or the command line (a platform admin)."""

from __future__ import annotations

from dataclasses import dataclass

from chat_server.accounts.operators import OperatorView

# Roles that may open the settings pages at all.
SETTINGS_ROLES = ("manager", "pool_manager", "admin")


@dataclass(frozen=True)
class Actor:
    id: int | None  # None: the command line
    name: str
    role: str  # salesperson, manager, receptionist, pool_manager, admin
    dealership_id: int | None = None
    pool_id: int | None = None
    group_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# Whoever runs ``dealer-chat admin`` has the database's credentials: the platform's admin.
COMMAND_LINE = Actor(id=None, name="command line", role="admin")


def actor_of(operator: OperatorView) -> Actor:
    return Actor(
        id=operator.id,
        name=operator.name,
        role=operator.role,
        dealership_id=operator.dealership_id,
        pool_id=operator.pool_id,
        group_id=operator.group_id,
    )


def may_open_settings(actor: Actor) -> bool:
    return actor.role in SETTINGS_ROLES
