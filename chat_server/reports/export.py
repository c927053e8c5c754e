"""The dashboard's CSV export: one row per chat of the period, times in the dealership's zone."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from chat_server.reports.stats import ChatFact

HEADER = (
    "conversation",
    "first_message_local",
    "state",
    "outcome",
    "answered_by",
    "owner",
    "seconds_to_accept",
    "seconds_to_first_human",
)


def _seconds(later: datetime | None, earlier: datetime) -> str:
    return "" if later is None else f"{(later - earlier).total_seconds():.1f}"


def chats_csv(chats: Iterable[ChatFact], names: dict[int, str], time_zone: str) -> str:
    zone = ZoneInfo(time_zone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for c in chats:
        writer.writerow(
            (
                c.id,
                c.first_message_at.astimezone(zone).isoformat(timespec="seconds"),
                c.state,
                c.outcome or "",
                c.owner_tier or "",
                # A spreadsheet would run a name starting with = + - @ as a formula.
                _cell(names.get(c.owner_id, "") if c.owner_id is not None else ""),
                _seconds(c.accepted_at, c.first_message_at),
                _seconds(c.first_human_reply_at, c.first_message_at),
            )
        )
    return out.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
