"""The Conversations page's filters, read from a query string, and the SQL conditions they make.

Dates are days on the dealership's own calendar: "from Mar 3 to Mar 4" in Chicago is local
midnight to local midnight there, whatever the server's zone. A list over several dealerships
in different zones reads each conversation's dates in its own dealership's zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, or_

from chat_server.history.labels import DEPARTMENTS, OUTCOME_CHOICES
from chat_server.history.search import search_condition
from chat_server.store.models import Conversation

MAX_QUERY_CHARS = 200


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to; every field optional. ``dealership`` is one id the person
    picked (None: all they may see)."""

    dealership: int | None = None
    start: date | None = None  # first day, inclusive
    end: date | None = None  # last day, inclusive
    outcome: str | None = None  # a key of OUTCOME_CHOICES
    operator: int | None = None  # who answered
    department: str | None = None
    query: str = ""
    shopper: int | None = None  # a visitor id: that shopper's conversations

    def query_string(self, **changes: Any) -> dict[str, str]:
        """These filters (with ``changes``) as query parameters, empty ones left out."""
        values = {
            "dealership": self.dealership,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "outcome": self.outcome,
            "operator": self.operator,
            "department": self.department,
            "q": self.query or None,
            "shopper": self.shopper,
        } | changes
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    @property
    def any(self) -> bool:
        return bool(self.query_string())


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _number(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 12 else None


def read_filters(params: Mapping[str, str]) -> Filters:
    """Filters from a query string; a value that makes no sense is ignored, not an error."""
    outcome = params.get("outcome")
    department = params.get("department")
    start, end = _day(params.get("from")), _day(params.get("to"))
    if start and end and end < start:
        start, end = end, start
    return Filters(
        dealership=_number(params.get("dealership")),
        start=start,
        end=end,
        outcome=outcome if outcome in OUTCOME_CHOICES else None,
        operator=_number(params.get("operator")),
        department=department if department in DEPARTMENTS else None,
        query=" ".join(str(params.get("q") or "").split())[:MAX_QUERY_CHARS],
        shopper=_number(params.get("shopper")),
    )


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def _dates(filters: Filters, zones: Mapping[int, str]) -> Any:
    by_zone: dict[str, list[int]] = defaultdict(list)
    for dealership_id, zone in zones.items():
        by_zone[zone].append(dealership_id)
    parts = []
    for zone_name, ids in by_zone.items():
        zone = ZoneInfo(zone_name)
        bounds = [Conversation.dealership_id.in_(ids)]
        if filters.start:
            bounds.append(Conversation.first_message_at >= _local_midnight(filters.start, zone))
        if filters.end:
            after = filters.end + timedelta(days=1)
            bounds.append(Conversation.first_message_at < _local_midnight(after, zone))
        parts.append(and_(*bounds))
    return or_(*parts) if parts else false()


def conditions(
    filters: Filters, zones: Mapping[int, str], dialect: str, region: str
) -> Sequence[Any]:
    """WHERE conditions for ``filters`` over the dealerships in ``zones`` (id -> time zone),
    which must already be limited to what the person may see."""
    ids = list(zones)
    if filters.dealership is not None:
        ids = [i for i in ids if i == filters.dealership]
    matched = search_condition(dialect, filters.query, region) if filters.query else None
    # With a search, the matching documents should drive the query (a few rows), not the
    # dealership's index walked newest first (every row): "+ 0" keeps SQLite's planner from
    # picking that index (PostgreSQL's search is a materialised step of its own: search.py).
    dealership = Conversation.dealership_id
    if matched is not None and dialect == "sqlite":
        dealership = Conversation.dealership_id + 0
    found: list[Any] = [dealership.in_(ids) if ids else false()]
    if filters.start or filters.end:
        found.append(_dates(filters, {i: zones[i] for i in ids}))
    if filters.outcome == "open":
        found.append(Conversation.outcome.is_(None))
    elif filters.outcome:
        found.append(Conversation.outcome == filters.outcome)
    if filters.operator is not None:
        found.append(Conversation.owner_id == filters.operator)
    if filters.department:
        found.append(Conversation.department == filters.department)
    if filters.shopper is not None:
        found.append(Conversation.visitor_id == filters.shopper)
    if matched is not None:
        found.append(matched)
    return found
