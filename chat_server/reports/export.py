"""CSV exports: the dashboard's (one row per chat of the period, times in the dealership's zone)
and the writer every export uses, which defuses spreadsheet formulas in every cell."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.reports.stats import ChatFact
from chat_server.store.models import Conversation, Visitor

HEADER = (
    "conversation",
    "first_message_local",
    "state",
    "outcome",
    "answered_by",
    "owner",
    "seconds_to_accept",
    "seconds_to_first_human",
    "shopper_name",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection), and
# some read a leading tab or carriage return past it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defused(value: object) -> str:
    """``value`` as a cell a spreadsheet shows as text: a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document; every cell defused (numbers the exports write never start with one)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([defused(cell) for cell in row])
    return out.getvalue()


def _seconds(later: datetime | None, earlier: datetime) -> str:
    return "" if later is None else f"{(later - earlier).total_seconds():.1f}"


async def shopper_names(session: AsyncSession, conversation_ids: Sequence[str]) -> dict[str, str]:
    """conversation id -> the shopper's name (from their contact form, else the widget's
    identify); conversations with no name are left out."""
    names: dict[str, str] = {}
    for start in range(0, len(conversation_ids), 500):
        rows = await session.execute(
            select(Conversation.id, Conversation.contact, Visitor.name)
            .join(Visitor, Visitor.id == Conversation.visitor_id)
            .where(Conversation.id.in_(conversation_ids[start : start + 500]))
        )
        for conversation_id, contact, visitor_name in rows.all():
            name = " ".join(str((contact or {}).get("name") or visitor_name or "").split())
            if name:
                names[conversation_id] = name
    return names


def chats_csv(
    chats: Iterable[ChatFact],
    names: Mapping[int, str],
    time_zone: str,
    shoppers: Mapping[str, str] | None = None,
) -> str:
    """``names``: operator id -> name; ``shoppers``: conversation id -> shopper's name."""
    zone = ZoneInfo(time_zone)
    shoppers = shoppers or {}
    return csv_text(
        HEADER,
        (
            (
                c.id,
                c.first_message_at.astimezone(zone).isoformat(timespec="seconds"),
                c.state,
                c.outcome or "",
                c.owner_tier or "",
                names.get(c.owner_id, "") if c.owner_id is not None else "",
                _seconds(c.accepted_at, c.first_message_at),
                _seconds(c.first_human_reply_at, c.first_message_at),
                shoppers.get(c.id, ""),
            )
            for c in chats
        ),
    )
