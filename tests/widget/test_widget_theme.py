"""Theme validation and the "Sales opens Monday 9:00 AM" line (pure), and the admin commands."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from chat_server import admin
from chat_server.store.database import Database
from chat_server.store.models import Dealership
from chat_server.widget_theme import ThemeError, check_theme, contrast_with_white, opens_next

CHICAGO = "America/Chicago"
WEEKDAYS = {day: [["09:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
HOURS = {"sales": WEEKDAYS | {"sat": [["09:00", "18:00"]]}}


def chicago(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(CHICAGO))  # type: ignore[misc]


@pytest.mark.parametrize(
    ("now", "language", "text"),
    [
        # Saturday evening after closing: nothing on Sunday, so Monday.
        (chicago(2026, 11, 21, 19, 0), "en", "Sales opens Monday 9:00 AM"),
        (chicago(2026, 11, 21, 19, 0), "es", "Ventas abre el lunes a las 9:00"),
        # Early on a Tuesday morning: later today.
        (chicago(2026, 11, 24, 6, 30), "en", "Sales opens today at 9:00 AM"),
        (chicago(2026, 11, 24, 6, 30), "es", "Ventas abre hoy a las 9:00"),
        # A Wednesday night: tomorrow.
        (chicago(2026, 11, 25, 21, 0), "en", "Sales opens tomorrow at 9:00 AM"),
        (chicago(2026, 11, 25, 21, 0), "es", "Ventas abre mañana a las 9:00"),
    ],
)
def test_the_next_opening_is_said_in_the_store_zone_and_language(
    now: datetime, language: str, text: str
) -> None:
    found = opens_next(HOURS, "sales", CHICAGO, now.astimezone(UTC), language)
    assert found is not None and found["text"] == text
    assert datetime.fromisoformat(found["at"]).astimezone(ZoneInfo(CHICAGO)).hour == 9


def test_open_now_or_no_hours_at_all_gives_no_opening_line() -> None:
    tuesday_noon = chicago(2026, 11, 24, 12, 0).astimezone(UTC)
    assert opens_next(HOURS, "sales", CHICAGO, tuesday_noon, "en") is None
    assert opens_next({"sales": {}}, "sales", CHICAGO, tuesday_noon, "en") is None
    assert opens_next({}, "sales", CHICAGO, tuesday_noon, "en") is None


def test_theme_values_are_checked_with_a_message_that_says_the_fix() -> None:
    assert check_theme(color="#B3121A", position="left", language="es") == {
        "color": "#b3121a",
        "position": "left",
        "language": "es",
    }
    assert round(contrast_with_white("#000000"), 1) == 21.0
    with pytest.raises(ThemeError, match="darker"):
        check_theme(color="#ffcc00")  # white text on yellow cannot be read
    with pytest.raises(ThemeError, match="#1a73e8"):
        check_theme(color="red")
    with pytest.raises(ThemeError, match="https"):
        check_theme(logo_url="http://example.com/logo.png")
    with pytest.raises(ThemeError, match="left, right"):
        check_theme(position="top")
    with pytest.raises(ThemeError, match="en, es"):
        check_theme(language="fr")


async def test_admin_sets_the_theme_and_allows_origins(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        await admin.create_dealership(
            session, slug="lake-ford", name="Lake Ford", time_zone=CHICAGO, origins=[]
        )
        await admin.set_theme(
            session,
            "lake-ford",
            color="#1a5c2e",
            logo_url="https://cdn.lakeford.example/logo.png",
            position="left",
            language="es",
            greeting="¡Hola!",
        )
        await admin.allow_origin(session, "lake-ford", "https://www.lakeford.example/")
        await admin.allow_origin(session, "lake-ford", "https://www.lakeford.example")
        with pytest.raises(admin.AdminError, match="contrast"):
            await admin.set_theme(session, "lake-ford", color="#eeeeee")
        with pytest.raises(admin.AdminError, match="no path"):
            await admin.allow_origin(session, "lake-ford", "https://www.lakeford.example/cars")
    async with database.sessions() as session:
        row = await session.scalar(select(Dealership).where(Dealership.slug == "lake-ford"))
    assert row is not None
    assert (row.widget_color, row.widget_position, row.widget_language) == ("#1a5c2e", "left", "es")
    assert row.widget_logo_url == "https://cdn.lakeford.example/logo.png"
    assert row.greeting == "¡Hola!"
    assert row.allowed_origins == ["https://www.lakeford.example"]
