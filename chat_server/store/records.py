"""Plain, immutable views of stored rows: what repositories hand to the rest of the server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chat_server.ladder.hours import DatedHours, department_open, parse_dated
from chat_server.ladder.types import LadderConfig, Strategy
from chat_server.store.models import Dealership
from chat_server.widget_theme import DEFAULT_THEME, WidgetTheme


@dataclass(frozen=True)
class StoredMessage:
    conversation_id: str
    seq: int
    author_kind: str
    author_name: str
    body: str
    created_at: datetime
    client_id: str | None = None


@dataclass(frozen=True)
class DealershipView:
    id: int
    slug: str
    name: str
    site_key: str
    time_zone: str
    hours: dict[str, Any]
    allowed_origins: tuple[str, ...]
    greeting: str
    config: LadderConfig
    theme: WidgetTheme = DEFAULT_THEME
    country: str = "US"  # ISO 3166 alpha-2: the default region of shoppers' phones
    text_after_s: float = 8.0  # an unaccepted ring also goes out as a text after this long
    # Holidays, closures and special hours: on its date an exception replaces the weekday.
    dated_hours: tuple[DatedHours, ...] = ()

    def is_open(self, department: str, at: datetime) -> bool:
        """Whether ``department`` is open at ``at``: weekly hours plus dated exceptions."""
        return department_open(self.hours, department, self.time_zone, at, dated=self.dated_hours)


def dealership_view(row: Dealership) -> DealershipView:
    return DealershipView(
        id=row.id,
        slug=row.slug,
        name=row.name,
        site_key=row.site_key,
        time_zone=row.time_zone,
        hours=dict(row.hours or {}),
        dated_hours=parse_dated(row.dated_hours or ()),
        allowed_origins=tuple(row.allowed_origins or ()),
        greeting=row.greeting,
        country=row.country,
        text_after_s=row.text_after_s,
        config=LadderConfig(
            sticky_s=row.sticky_s,
            store_window_s=row.store_window_s,
            pool_window_s=row.pool_window_s,
            round_robin_step_s=row.round_robin_step_s,
            strategy=Strategy(row.ring_strategy),
            grace_s=row.grace_s,
            capture_window_s=row.capture_window_s,
            after_hours_store_first=row.after_hours_store_first,
        ),
        theme=WidgetTheme(
            color=row.widget_color,
            logo_url=row.widget_logo_url,
            position=row.widget_position,
            language=row.widget_language,
        ),
    )
