"""The demo world: Demo Motors in Chicago, two salespeople, a manager and a receptionist pool."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.accounts.passwords import hash_password
from chat_server.admin import cover, create_dealership, create_operator, create_pool, set_theme
from chat_server.ladder.hours import ALWAYS_OPEN
from chat_server.store.models import CannedReply, Dealership

DEMO_SLUG = "demo-motors"
DEMO_SITE_KEY = "demo-motors-site"
DEMO_POOL = "Night Owl BDC"
DEMO_PASSWORD = "demo-password"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    role: str


DEMO_LOGINS = (
    DemoLogin("alex@demo-motors.test", "Alex Rivera", "salesperson"),
    DemoLogin("sam@demo-motors.test", "Sam Patel", "salesperson"),
    DemoLogin("morgan@demo-motors.test", "Morgan Lee", "manager"),
    DemoLogin("riley@nightowl-bdc.test", "Riley Chen", "receptionist"),
)

SALES_HOURS = {
    "mon": [["09:00", "20:00"]],
    "tue": [["09:00", "20:00"]],
    "wed": [["09:00", "20:00"]],
    "thu": [["09:00", "20:00"]],
    "fri": [["09:00", "20:00"]],
    "sat": [["09:00", "18:00"]],
    "sun": [["11:00", "17:00"]],
}
SERVICE_HOURS = {day: [["07:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": [["08:00", "14:00"]]
}


DEMO_CONSOLE_NOTES = (
    "Free loaner for service over 2 hours. Test drives need a licence; ask for the best "
    "phone number. Never quote out-the-door prices in chat: offer a callback from sales."
)
DEMO_CANNED = (
    ("Greeting", "Hi, this is {agent} at {dealership}. How can I help you today?"),
    ("Still available", "Good news: the {vehicle} is still available. Would you like to see it?"),
    ("Test drive", "I can set up a test drive of the {vehicle}. What day and time suit you?"),
)


async def seed_demo(session: AsyncSession, origins: list[str]) -> bool:
    """Create the demo world once; on later starts only refresh the allowed origins.

    Returns True when it created the world.
    """
    existing = await session.scalar(select(Dealership).where(Dealership.slug == DEMO_SLUG))
    if existing is not None:
        existing.allowed_origins = sorted(set(existing.allowed_origins or []) | set(origins))
        return False
    await create_dealership(
        session,
        slug=DEMO_SLUG,
        name="Demo Motors",
        time_zone="America/Chicago",
        origins=origins,
        hours={"sales": SALES_HOURS, "service": SERVICE_HOURS, "parts": SERVICE_HOURS},
        site_key=DEMO_SITE_KEY,
        crm_email="leads@demo-motors.example.com",
        greeting="Hi! Questions about a car? Ask us here.",
    )
    # The demo dealer site's brand red; white text on it has a 6.9:1 contrast.
    await set_theme(session, DEMO_SLUG, color="#b3121a", position="right", language="en")
    dealership = await session.scalar(select(Dealership).where(Dealership.slug == DEMO_SLUG))
    if dealership is not None:
        dealership.phone = "(312) 555-0142"
        dealership.address = "1200 W Fullerton Ave, Chicago, IL 60614"
        dealership.console_notes = DEMO_CONSOLE_NOTES
        for title, body in DEMO_CANNED:
            session.add(CannedReply(dealership_id=dealership.id, title=title, body=body))
    await create_pool(session, DEMO_POOL)
    await cover(session, DEMO_POOL, DEMO_SLUG)
    # Every demo login has the same published password: one argon2 hash (deliberately slow,
    # ~0.2-0.7 s) serves them all, so a fresh demo starts seconds sooner.
    shared_hash = hash_password(DEMO_PASSWORD)
    for login in DEMO_LOGINS:
        await create_operator(
            session,
            email=login.email,
            name=login.name,
            role=login.role,
            password=DEMO_PASSWORD,
            password_hash=shared_hash,
            dealership=DEMO_SLUG if login.role != "receptionist" else None,
            pool=DEMO_POOL if login.role == "receptionist" else None,
            # The pool works around the clock; store staff choose when they are available.
            presence="available" if login.role == "receptionist" else "away",
        )
    return True


__all__ = ["ALWAYS_OPEN", "DEMO_LOGINS", "DEMO_PASSWORD", "DEMO_SITE_KEY", "DEMO_SLUG", "seed_demo"]
