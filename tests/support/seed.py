"""Small worlds written straight into a database for tests."""

from __future__ import annotations

from chat_server.admin import create_dealership
from chat_server.store.database import open_database


async def seed_minimal_world(database_url: str) -> None:
    async with open_database(database_url) as db, db.sessions() as session, session.begin():
        await create_dealership(
            session,
            slug="old-motors",
            name="Old Motors",
            time_zone="America/Denver",
            origins=["http://old.example"],
        )
