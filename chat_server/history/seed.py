"""A seed of realistic closed conversations for trying the Conversations page and measuring
its search (``dealer-chat admin seed-history``, bench/history_search.py).

Everything is written with bulk inserts in the caller's transaction (10,000 conversations take
seconds), then indexed for search. Shoppers have names, phones typed in mixed formats, e-mail
addresses at reserved example domains, vehicles, a few messages each; some come back (one
shopper, several conversations); outcomes, owners and rings follow the ladder: Ups answered
by the store's staff, pool chats by the covering pool's receptionists, missed chats rang
everyone, abandoned ones left while the store rang. Phone numbers are 555-01xx numbers, which
are reserved for fiction in North America.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.history.indexer import index_in_session
from chat_server.store.models import (
    Conversation,
    Dealership,
    Lead,
    Message,
    Operator,
    PoolCoverage,
    RingRecord,
    Visitor,
)

FIRST = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "James",
    "Isabella",
    "Lucas",
    "Mia",
    "Mateo",
    "Amelia",
    "Ethan",
    "Harper",
    "Mason",
    "Evelyn",
    "Logan",
    "Abigail",
    "Jackson",
    "Sofia",
    "Levi",
    "Camila",
    "Sebastian",
    "Aria",
    "Jack",
    "Luna",
    "Owen",
    "Chloe",
    "Daniel",
    "Zoey",
    "Samuel",
    "Nora",
    "Henry",
    "Lily",
    "Aiden",
    "Riley",
    "Wyatt",
    "Hannah",
    "Diego",
    "Maria",
    "Jose",
    "Priya",
    "Wei",
    "Aisha",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Patel",
    "Kim",
]
VEHICLES = (
    ("Toyota", "Camry", ("LE", "SE", "XSE", "Hybrid XLE")),
    ("Toyota", "RAV4", ("LE", "XLE", "Adventure", "Prime")),
    ("Toyota", "Tacoma", ("SR5", "TRD Off-Road", "Limited")),
    ("Honda", "Civic", ("Sport", "EX", "Touring")),
    ("Honda", "CR-V", ("EX-L", "Sport Touring")),
    ("Ford", "F-150", ("XLT", "Lariat", "Raptor")),
    ("Ford", "Mustang", ("EcoBoost", "GT")),
    ("Chevrolet", "Silverado", ("LT", "RST", "High Country")),
    ("Chevrolet", "Equinox", ("LS", "RS")),
    ("Subaru", "Outback", ("Premium", "Onyx", "Wilderness")),
    ("Hyundai", "Tucson", ("SEL", "N Line", "Limited")),
    ("Kia", "Telluride", ("EX", "SX", "X-Pro")),
    ("Jeep", "Wrangler", ("Sport", "Rubicon", "Sahara")),
    ("Tesla", "Model 3", ("Long Range", "Performance")),
)
AREA_CODES = ("312", "773", "872", "847", "224", "630", "331", "708", "815", "779", "219")
DOMAINS = ("example.com", "example.net", "example.org")
OPENERS = (
    "Is the {vehicle} still available?",
    "Hi, do you have the {vehicle} in stock? Looking at the {color} one.",
    "What's the best price on the {vehicle}?",
    "Can I test drive the {vehicle} this {day}?",
    "Do you take trade-ins? I'm interested in the {vehicle}.",
    "What financing do you offer on a {year} {make}?",
    "I need an oil change appointment for my {make} {model}.",
    "Is the {model} certified pre-owned? How many miles?",
)
FOLLOW_UPS = (
    "Thanks! You can reach me at {phone}.",
    "My email is {email} if that's easier.",
    "Great, {day} afternoon works for me.",
    "Does it have the {color} interior?",
    "Ok, what are the monthly payments for 60 months?",
    "Call me at {phone} please, after 5.",
)
STAFF = (
    "Hi {first}! Yes, the {vehicle} is on the lot. Would you like to come see it?",
    "Happy to help, {first}. We have two in {color}; I can hold one for you.",
    "Good question! Let me check with our finance team and get right back to you.",
    "We can do {day} at 10 or 2. Which works better?",
)
COLORS = ("blue", "white", "black", "silver", "red", "gray", "green")
DAYS = ("Saturday", "Monday", "Tuesday", "Wednesday", "Friday", "weekend")
OUTCOMES = (("up", 45), ("pool", 20), ("missed", 15), ("abandoned", 20))


@dataclass(frozen=True)
class Cast:
    """Who may be the owner of a seeded chat: the dealership's staff and its pools' people."""

    staff: Sequence[int]
    receptionists: Sequence[int]
    names: dict[int, str]


async def _cast(session: AsyncSession, dealership_id: int) -> Cast:
    staff = dict(
        (
            await session.execute(
                select(Operator.id, Operator.name).where(
                    Operator.dealership_id == dealership_id, Operator.role == "salesperson"
                )
            )
        ).all()
    )
    pools = select(PoolCoverage.pool_id).where(PoolCoverage.dealership_id == dealership_id)
    reception = dict(
        (
            await session.execute(
                select(Operator.id, Operator.name).where(
                    Operator.pool_id.in_(pools), Operator.role == "receptionist"
                )
            )
        ).all()
    )
    return Cast(sorted(staff), sorted(reception), staff | reception)


def _phone_as_typed(rng: random.Random, area: str, line: str) -> str:
    return rng.choice(
        (
            f"({area}) 555-{line}",
            f"{area}.555.{line}",
            f"+1 {area} 555 {line}",
            f"{area}555{line}",
            f"{area}-555-{line}",
        )
    )


@dataclass
class _Shopper:
    first: str
    last: str
    e164: str
    typed_phone: str
    email: str
    visitor_id: int = 0


def _shopper(rng: random.Random, number: int) -> _Shopper:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    area, line = rng.choice(AREA_CODES), f"{rng.randrange(100, 200):04d}"
    return _Shopper(
        first=first,
        last=last,
        e164=f"+1{area}555{line}",
        typed_phone=_phone_as_typed(rng, area, line),
        email=f"{first}.{last}{number}@{rng.choice(DOMAINS)}".lower(),
    )


def _business_time(rng: random.Random, now: datetime, days: int) -> datetime:
    back = timedelta(days=rng.uniform(0, days))
    at = now - back
    # Most chats come in the afternoon and evening (UTC 14:00-03:00 is US daytime).
    return at.replace(hour=rng.choice((14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0, 1, 2)))


def _fill(template: str, shopper: _Shopper, vehicle: dict[str, Any], rng: random.Random) -> str:
    return template.format(
        vehicle=f"{vehicle['year']} {vehicle['make']} {vehicle['model']}",
        year=vehicle["year"],
        make=vehicle["make"],
        model=vehicle["model"],
        color=rng.choice(COLORS),
        day=rng.choice(DAYS),
        phone=shopper.typed_phone,
        email=shopper.email,
        first=shopper.first,
    )


async def seed_history(
    session: AsyncSession,
    dealership: Dealership,
    count: int,
    now: datetime,
    *,
    days: int = 90,
    seed: int | None = None,
) -> int:
    """Write ``count`` closed conversations of ``dealership`` over the last ``days`` days and
    index them; returns how many were written. ``seed`` makes the data repeatable."""
    rng = random.Random(seed)
    cast = await _cast(session, dealership.id)
    # About one shopper in five comes back for a second or third chat.
    shoppers = [_shopper(rng, n) for n in range(max(1, count * 4 // 5))]
    visitor_rows = [
        {
            "dealership_id": dealership.id,
            "token_hash": secrets.token_hex(32),
            "created_at": now - timedelta(days=days),
            "last_seen_at": now,
            "name": "",
            "email": "",
            "phone": "",
        }
        for _ in shoppers
    ]
    ids = await _insert_returning_ids(session, Visitor, visitor_rows)
    for shopper, visitor_id in zip(shoppers, ids, strict=True):
        shopper.visitor_id = visitor_id
    conversations: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    rings: list[dict[str, Any]] = []
    leads: list[dict[str, Any]] = []
    weights = [w for _, w in OUTCOMES]
    for _ in range(count):
        shopper = rng.choice(shoppers)
        outcome = rng.choices([o for o, _ in OUTCOMES], weights)[0]
        if outcome == "up" and not cast.staff:
            outcome = "missed"
        if outcome == "pool" and not cast.receptionists:
            outcome = "missed"
        make, model, trims = rng.choice(VEHICLES)
        vehicle = {
            "year": rng.randrange(2016, now.year + 2),
            "make": make,
            "model": model,
            "trim": rng.choice(trims),
            "stock": f"{make[:1]}{rng.randrange(10000, 99999)}",
        }
        _chat(
            rng,
            now,
            days,
            dealership,
            cast,
            shopper,
            outcome,
            vehicle,
            conversations,
            messages,
            rings,
            leads,
        )
    for table, rows in (
        (Conversation, conversations),
        (Message, messages),
        (RingRecord, rings),
        (Lead, leads),
    ):
        for start in range(0, len(rows), 2000):
            await session.execute(insert(table.__table__), rows[start : start + 2000])
    await index_in_session(session, [c["id"] for c in conversations], now)
    return len(conversations)


async def _insert_returning_ids(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]]
) -> list[int]:
    found: list[int] = []
    for start in range(0, len(rows), 2000):
        result = await session.execute(
            insert(table).returning(table.id, sort_by_parameter_order=True),
            rows[start : start + 2000],
        )
        found += [row[0] for row in result.all()]
    return found


def _later(at: datetime, seconds: float) -> datetime:
    return at + timedelta(seconds=seconds)


def _taken(rings: list[dict[str, Any]], owner: int, at: datetime) -> None:
    """Every ring ends when ``owner`` accepts: theirs accepted, the others' taken."""
    for ring in rings:
        ring.update(ended_at=at, end_reason="accepted" if ring["operator_id"] == owner else "taken")


def _ring(cid: str, operator: int, tier: str, offered: datetime, window: float) -> dict[str, Any]:
    return {
        "conversation_id": cid,
        "operator_id": operator,
        "tier": tier,
        "quiet": False,
        "offered_at": offered,
        "expires_at": _later(offered, window),
        "ended_at": None,
        "end_reason": None,
    }


def _chat(
    rng: random.Random,
    now: datetime,
    days: int,
    dealership: Dealership,
    cast: Cast,
    shopper: _Shopper,
    outcome: str,
    vehicle: dict[str, Any],
    conversations: list[dict[str, Any]],
    messages: list[dict[str, Any]],
    rings: list[dict[str, Any]],
    leads: list[dict[str, Any]],
) -> None:
    """One conversation's rows, appended to the lists the caller inserts in bulk."""
    at = _business_time(rng, now, days)
    cid = uuid.uuid4().hex
    owner: int | None = None
    tier: str | None = None
    accepted = pool_rung = human = capture = None
    own_rings: list[dict[str, Any]] = []
    staff = list(rng.sample(list(cast.staff), min(3, len(cast.staff))))
    reception = list(rng.sample(list(cast.receptionists), min(2, len(cast.receptionists))))
    for operator in staff:
        own_rings.append(_ring(cid, operator, "store", at, 20))
    if outcome == "up":
        owner, tier = rng.choice(staff), "store"
        accepted = _later(at, rng.uniform(3, 19))
        _taken(own_rings, owner, accepted)
    else:
        for ring in own_rings:
            if outcome == "abandoned":
                ring.update(ended_at=_later(at, rng.uniform(5, 18)), end_reason="left")
            else:
                ring.update(ended_at=_later(at, 20), end_reason="timeout")
    if outcome in ("pool", "missed") and reception:
        pool_rung = _later(at, 20)
        pool_rings = [_ring(cid, r, "pool", pool_rung, 25) for r in reception]
        if outcome == "pool":
            owner, tier = rng.choice(reception), "pool"
            accepted = _later(pool_rung, rng.uniform(2, 20))
            _taken(pool_rings, owner, accepted)
        else:
            for ring in pool_rings:
                ring.update(ended_at=_later(pool_rung, 25), end_reason="timeout")
        own_rings += pool_rings
    if outcome == "missed":
        capture = _later(at, 45)
    # The transcript: the shopper's question, then replies while someone is there.
    lines: list[tuple[str, str, datetime]] = [
        ("visitor", _fill(rng.choice(OPENERS), shopper, vehicle, rng), at)
    ]
    clock = at
    if accepted is not None:
        human = _later(accepted, rng.uniform(3, 40))
        clock = human
        agent = "staff" if tier == "store" else "receptionist"
        lines.append((agent, _fill(rng.choice(STAFF), shopper, vehicle, rng), human))
        for _ in range(rng.randrange(0, 3)):
            clock = _later(clock, rng.uniform(10, 90))
            lines.append(("visitor", _fill(rng.choice(FOLLOW_UPS), shopper, vehicle, rng), clock))
            clock = _later(clock, rng.uniform(10, 60))
            lines.append((agent, _fill(rng.choice(STAFF), shopper, vehicle, rng), clock))
    elif outcome == "missed" and rng.random() < 0.5:
        clock = _later(at, rng.uniform(5, 30))
        lines.append(("visitor", _fill(rng.choice(FOLLOW_UPS), shopper, vehicle, rng), clock))
    gave_contact = (outcome in ("pool", "missed") and rng.random() < 0.85) or (
        outcome == "up" and rng.random() < 0.4
    )
    contact = None
    if gave_contact:
        which = rng.random()
        contact = {
            "name": f"{shopper.first} {shopper.last}",
            "phone": shopper.e164 if which < 0.8 else "",
            "email": shopper.email if which > 0.3 else "",
            "preferred_time": rng.choice(("morning", "afternoon", "evening", "nopreference")),
            "consent": rng.random() < 0.7,
        }
    closed = _later(clock, rng.uniform(30, 600))
    for seq, (kind, body, when) in enumerate(lines, 1):
        messages.append(
            {
                "conversation_id": cid,
                "seq": seq,
                "author_kind": kind,
                "author_id": owner if kind != "visitor" else None,
                "author_name": "" if owner is None or kind == "visitor" else cast.names[owner],
                "body": body,
                "client_id": uuid.uuid4().hex,
                "created_at": when,
            }
        )
    conversations.append(
        {
            "id": cid,
            "dealership_id": dealership.id,
            "visitor_id": shopper.visitor_id,
            "department": rng.choices(("sales", "service", "parts"), (80, 15, 5))[0],
            "state": "closed",
            "outcome": outcome,
            "owner_id": owner,
            "owner_tier": tier,
            "version": 1,
            "last_seq": len(lines),
            "ladder": {},
            "page": {
                "url": "https://www.example.com/inventory",
                "title": f"{vehicle['year']} {vehicle['make']} {vehicle['model']}",
            },
            "vehicle": vehicle,
            "contact": contact,
            "created_at": at,
            "first_message_at": at,
            "store_rung_at": at if staff else None,
            "pool_rung_at": pool_rung,
            "accepted_at": accepted,
            "first_human_reply_at": human,
            "lead_capture_at": capture,
            "closed_at": closed,
        }
    )
    rings += own_rings
    if contact is not None and outcome in ("pool", "missed"):
        leads.append(
            {
                "conversation_id": cid,
                "dealership_id": dealership.id,
                "visitor_id": shopper.visitor_id,
                "service": "pool" if outcome == "pool" else "unanswered",
                "status": rng.choice(("new", "contacted", "appointment", "sold", "lost")),
                "name": contact["name"],
                "email": contact["email"],
                "phone": contact["phone"],
                "preferred_time": contact["preferred_time"],
                "created_at": closed,
                "segment": "lead",
                "department": "sales",
            }
        )
