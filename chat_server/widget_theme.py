"""The widget's look per dealership, and the honest "Sales opens Monday 9:00 AM" line. Pure.

The theme travels to the widget in ``welcome.dealership.theme`` and to the loader from
``/widget/config``; the opening line in ``welcome.dealership.opens_next`` (docs/widget.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chat_server.ladder.hours import Dated, WeekHours, dated_for, next_opening, parse_week

LANGUAGES: tuple[str, ...] = ("en", "es")
POSITIONS: tuple[str, ...] = ("left", "right")
DEFAULT_COLOR = "#0b5cad"
# The widget puts white text on the accent colour: WCAG AA for normal text asks 4.5:1.
MIN_CONTRAST_ON_WHITE = 4.5

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

_DEPARTMENT = {
    "en": {"sales": "Sales", "service": "Service", "parts": "Parts"},
    "es": {"sales": "Ventas", "service": "Servicio", "parts": "Repuestos"},
}
_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
# fmt: off
_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June",
           "July", "August", "September", "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio",
           "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"),
}
# fmt: on


class ThemeError(ValueError):
    """A theme value the widget cannot use; the message says what to give instead."""


@dataclass(frozen=True)
class WidgetTheme:
    color: str = DEFAULT_COLOR
    logo_url: str = ""
    position: str = "right"
    language: str = "en"

    def as_json(self) -> dict[str, str]:
        return {
            "color": self.color,
            "logo_url": self.logo_url,
            "position": self.position,
            "language": self.language,
        }


DEFAULT_THEME = WidgetTheme()


def contrast_with_white(color: str) -> float:
    """WCAG 2 contrast ratio of white text on ``color`` (#rrggbb)."""

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def check_theme(
    *,
    color: str | None = None,
    logo_url: str | None = None,
    position: str | None = None,
    language: str | None = None,
) -> dict[str, str]:
    """Validate the given theme values; returns them (only those given) ready to store."""
    out: dict[str, str] = {}
    if color is not None:
        if not _HEX.match(color):
            raise ThemeError(f"colour must look like #1a73e8, got {color!r}")
        ratio = contrast_with_white(color)
        if ratio < MIN_CONTRAST_ON_WHITE:
            raise ThemeError(
                f"colour {color} gives white text a contrast of {ratio:.1f}:1; the widget "
                f"needs at least {MIN_CONTRAST_ON_WHITE}:1, choose a darker colour"
            )
        out["color"] = color.lower()
    if logo_url is not None:
        if logo_url and not re.match(r"^https://[^\s\"'<>]{1,480}$", logo_url):
            raise ThemeError("the logo URL must be an https:// address (or empty for none)")
        out["logo_url"] = logo_url
    if position is not None:
        if position not in POSITIONS:
            raise ThemeError(f"position must be one of {', '.join(POSITIONS)}")
        out["position"] = position
    if language is not None:
        if language not in LANGUAGES:
            raise ThemeError(f"language must be one of {', '.join(LANGUAGES)}")
        out["language"] = language
    return out


def _clock(local: datetime, language: str) -> str:
    if language == "es":
        return f"{local.hour}:{local.minute:02d}"
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def opening_text(department: str, opens: datetime, now: datetime, language: str) -> str:
    """ "Sales opens Monday 9:00 AM", "Ventas abre mañana a las 9:00", in the store's zone.

    ``opens`` and ``now`` are aware; ``opens`` carries the dealership's zone.
    """
    lang = language if language in LANGUAGES else "en"
    name = _DEPARTMENT[lang].get(department, department.title())
    days_ahead = (opens.date() - now.astimezone(opens.tzinfo).date()).days
    clock = _clock(opens, lang)
    # After a long closure (holidays) a bare weekday would be ambiguous: name the date too.
    dated = days_ahead >= 7
    month = _MONTHS[lang][opens.month - 1]
    if lang == "es":
        if days_ahead == 0:
            return f"{name} abre hoy a las {clock}"
        if days_ahead == 1:
            return f"{name} abre mañana a las {clock}"
        day = _DAYS["es"][opens.weekday()] + (f" {opens.day} de {month}" if dated else "")
        return f"{name} abre el {day} a las {clock}"
    if days_ahead == 0:
        return f"{name} opens today at {clock}"
    if days_ahead == 1:
        return f"{name} opens tomorrow at {clock}"
    day = _DAYS["en"][opens.weekday()] + (f", {month} {opens.day}" if dated else "")
    return f"{name} opens {day} {clock}"


def opens_next(
    hours: dict[str, Any],
    department: str,
    tz: str,
    now: datetime,
    language: str,
    *,
    dated: Dated = (),
) -> dict[str, str] | None:
    """When a closed department opens next: ``{"at": ISO, "text": ...}``; None when open now
    or when it has no hours at all (the widget then says only that someone can help now).

    ``dated`` is the dealership's dated exceptions (holidays, special hours)."""
    raw = hours.get(department)
    if raw is None and not dated_for(dated, department):
        return None
    if raw is None:
        week = WeekHours(((),) * 7)
    else:
        week = raw if isinstance(raw, WeekHours) else parse_week(raw)
    opens = next_opening(week, tz, now, dated=dated, department=department)
    if opens is None or opens <= now:
        return None
    opens = opens.astimezone(ZoneInfo(tz))
    return {"at": opens.isoformat(), "text": opening_text(department, opens, now, language)}
