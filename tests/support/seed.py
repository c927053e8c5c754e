"""Small worlds written straight into a database for tests."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.admin import create_operator
from chat_server.demo_world import DEMO_PASSWORD
from chat_server.store.database import open_database
from chat_server.store.models import Operator
from tests.support.seeded_world import cheap_hash

PLATFORM_ADMIN = "ada@platform.test"

# The dealerships table as revision 0001 created it. Written with Core rather than the ORM
# model so that columns added by later migrations do not break seeding an old schema.
_DEALERSHIPS_0001 = sa.table(
    "dealerships",
    *(sa.column(name) for name in ("slug", "name", "site_key", "time_zone", "country")),
    sa.column("hours", sa.JSON()),
    sa.column("allowed_origins", sa.JSON()),
    *(sa.column(name) for name in ("greeting", "phone", "address", "crm_email", "webhook_url")),
    *(sa.column(name) for name in ("ring_strategy", "sticky_s", "store_window_s")),
    *(sa.column(name) for name in ("pool_window_s", "round_robin_step_s", "grace_s")),
    sa.column("capture_window_s"),
)


async def seed_minimal_world(database_url: str) -> None:
    """One dealership, written as a database at revision 0001 would hold it."""
    async with open_database(database_url) as db, db.engine.begin() as connection:
        await connection.execute(
            sa.insert(_DEALERSHIPS_0001).values(
                slug="old-motors",
                name="Old Motors",
                site_key="old-motors-site",
                time_zone="America/Denver",
                country="US",
                hours={},
                allowed_origins=["http://old.example"],
                greeting="Hi! How can we help?",
                phone="",
                address="",
                crm_email="",
                webhook_url="",
                ring_strategy="ring_all",
                sticky_s=8.0,
                store_window_s=20.0,
                pool_window_s=25.0,
                round_robin_step_s=8.0,
                grace_s=60.0,
                capture_window_s=300.0,
            )
        )


async def add_platform_admin(session: AsyncSession, email: str = PLATFORM_ADMIN) -> Operator:
    """Ada, the platform admin, who signs in with the demo password (a test-strength hash)."""
    return await create_operator(
        session,
        email=email,
        name="Ada Admin",
        role="admin",
        password=DEMO_PASSWORD,
        password_hash=cheap_hash(DEMO_PASSWORD),
    )
