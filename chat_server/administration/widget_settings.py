"""One dealership's widget: its look, its greeting, the websites it may run on, its snippet.

The console's widget page and the ``dealer-chat admin`` commands (``set-theme``,
``allow-origin``, ``remove-origin``) call these functions; they supersede
``chat_server.admin.set_theme`` and ``chat_server.admin.allow_origin``. The theme rules
(hex colour readable under white text, https logo, side, language) are
``chat_server.widget_theme``'s, so the widget and this page cannot disagree. Every change is
audited: ``widget.set``, ``widget.origin_add``, ``widget.origin_remove``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.administration import audit
from chat_server.administration.actors import Actor
from chat_server.administration.errors import SettingsError
from chat_server.administration.scope import dealership_for
from chat_server.store.models import Dealership
from chat_server.widget_theme import (
    LANGUAGES,
    MIN_CONTRAST_ON_WHITE,
    POSITIONS,
    ThemeError,
    check_theme,
    contrast_with_white,
)

GREETING_MAX = 500  # the column's size, and more than a widget's first line should say
LOGO_URL_MAX = 480  # widget_theme's pattern allows this much after https://
ORIGIN_MAX = 200
FIELDS = ("color", "greeting", "language", "side", "logo_url")
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}
SIDE_NAMES = {"right": "Bottom right", "left": "Bottom left"}
_SHORT_HEX = re.compile(r"^#?([0-9a-fA-F])([0-9a-fA-F])([0-9a-fA-F])$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class WidgetSettings:
    """What the widget page shows and edits, as plain data."""

    color: str
    greeting: str
    language: str
    side: str  # the launcher's side: left, right (the column is widget_position)
    logo_url: str
    origins: tuple[str, ...]

    @property
    def contrast(self) -> float:
        """White text on the accent colour, as a WCAG ratio (the widget needs 4.5)."""
        return contrast_with_white(self.color)

    def look(self) -> dict[str, Any]:
        """The audited look (origins are audited by their own actions)."""
        values = asdict(self)
        del values["origins"]
        return values


def settings_of(row: Dealership) -> WidgetSettings:
    return WidgetSettings(
        color=row.widget_color,
        greeting=row.greeting,
        language=row.widget_language,
        side=row.widget_position,
        logo_url=row.widget_logo_url,
        origins=tuple(row.allowed_origins or ()),
    )


# --- the look ---------------------------------------------------------------------------


def check_look(current: WidgetSettings, changes: Mapping[str, str | None]) -> WidgetSettings:
    """``current`` with ``changes`` (field -> text; absent or None keeps it), or SettingsError
    naming the field that is wrong."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise SettingsError(f"unknown widget setting {unknown[0]!r}", None)
    given = {k: str(v).strip() for k, v in changes.items() if v is not None}
    values = asdict(current)
    if "color" in given:
        values["color"] = _theme("color", color=_long_hex(given["color"]))["color"]
    if "greeting" in given:
        values["greeting"] = _greeting(given["greeting"])
    if "language" in given:
        if given["language"] not in LANGUAGES:
            names = " or ".join(f"{LANGUAGE_NAMES[c]} ({c})" for c in LANGUAGES)
            raise SettingsError(f"The language must be {names}.", "language")
        values["language"] = given["language"]
    if "side" in given:
        if given["side"] not in POSITIONS:
            raise SettingsError(f"The side must be {' or '.join(POSITIONS)}.", "side")
        values["side"] = given["side"]
    if "logo_url" in given:
        values["logo_url"] = _logo_url(given["logo_url"])
    return WidgetSettings(**values)


def _long_hex(text: str) -> str:
    """Forgive the short forms a person types: "0b5cad" and "#05a" mean #0b5cad and #0055aa."""
    short = _SHORT_HEX.match(text)
    if short:
        return "#" + "".join(c * 2 for c in short.groups())
    if re.fullmatch(r"[0-9a-fA-F]{6}", text):
        return "#" + text
    return text


def _theme(field: str, **value: str) -> dict[str, str]:
    try:
        return check_theme(**value)
    except ThemeError as error:
        message = str(error)
        if field == "color" and "contrast" in message:
            # Rounded down, so a refused 4.46 never reads as the 4.5 it missed.
            ratio = math.floor(contrast_with_white(value["color"]) * 10) / 10
            message = (
                f"White text on {value['color'].lower()} has a contrast of only {ratio:.1f}:1; "
                f"the widget needs at least {MIN_CONTRAST_ON_WHITE}:1 to be readable (WCAG AA). "
                f"Choose a darker colour."
            )
        elif field == "color":
            message = f"Give the colour as #rrggbb, like #0b5cad; got {value['color'][:20]!r}."
        elif field == "logo_url":
            message = (
                "The logo URL has a character a web address cannot hold (a space, a quote or "
                "< >); copy it from the browser's address bar."
            )
        raise SettingsError(message, field) from None


def _greeting(text: str) -> str:
    if not text:
        raise SettingsError(
            "The greeting can't be empty: it is the first thing shoppers read.", "greeting"
        )
    if len(text) > GREETING_MAX:
        raise SettingsError(
            f"The greeting may have at most {GREETING_MAX} characters; this one has {len(text)}.",
            "greeting",
        )
    return text


def _logo_url(text: str) -> str:
    if not text:
        return ""  # no logo
    parts = urlsplit(text)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise SettingsError(
            "The logo URL must be an https:// address, like https://cdn.example.com/logo.png "
            "(or empty for no logo).",
            "logo_url",
        )
    if len(text) > LOGO_URL_MAX:
        raise SettingsError(f"The logo URL may have at most {LOGO_URL_MAX} characters.", "logo_url")
    return _theme("logo_url", logo_url=text)["logo_url"]


# --- allowed origins --------------------------------------------------------------------


def normalise_origin(raw: str) -> str:
    """``raw`` as the browser's ``Origin`` header spells it (scheme://host[:port]: lower
    case, no default port, an international name in its ASCII form), or SettingsError.

    The visitor socket compares the header with the stored origins as text, so the stored
    form must be exactly the browser's.
    """
    text = raw.strip()
    example = "like https://www.example.com"
    if not text:
        raise SettingsError(f"Give the website's address, {example}.", "origin")
    if len(text) > ORIGIN_MAX:
        raise SettingsError(f"An origin has at most {ORIGIN_MAX} characters.", "origin")
    if "://" not in text:
        raise SettingsError(
            f"Start the origin with https:// (or http:// for a test site), {example}.", "origin"
        )
    try:
        parts = urlsplit(text)
        port = parts.port
        if port == 0:
            raise ValueError("port 0")
    except ValueError:
        raise SettingsError(
            f"The port in {text[:80]!r} must be a number from 1 to 65535.", "origin"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise SettingsError(f"An origin starts with https:// or http://, {example}.", "origin")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise SettingsError("An origin has no user name or password in it.", "origin")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SettingsError(
            f"An origin is only scheme://host[:port], with no path, {example}; "
            f"the widget then runs on every page of that site.",
            "origin",
        )
    host = (parts.hostname or "").rstrip(".")
    if not host or host.startswith(".") or not re.fullmatch(r"[^\s/\\?#]+", host):
        raise SettingsError(f"{text[:80]!r} has no valid host name; {example}.", "origin")
    host = _ascii_host(host)
    if ":" in host:  # an IPv6 literal keeps its brackets, as in the Origin header
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def _ascii_host(host: str) -> str:
    if host.isascii():
        if not re.fullmatch(r"[a-zA-Z0-9.\-:\[\]_]+", host):
            raise SettingsError(f"{host[:80]!r} is not a host name.", "origin")
        return host.lower()
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise SettingsError(f"{host[:80]!r} is not a host name.", "origin") from None


# --- the snippet ------------------------------------------------------------------------


def embed_snippet(server_url: str, site_key: str) -> str:
    """The one tag a dealer pastes into their site (docs/widget.md, "Embed")."""
    src = html.escape(f"{server_url.rstrip('/')}/widget.js", quote=True)
    return f'<script src="{src}" data-site="{html.escape(site_key, quote=True)}" async></script>'


# --- service functions ------------------------------------------------------------------


async def widget_settings(
    session: AsyncSession, actor: Actor, dealership_id: int
) -> WidgetSettings:
    """The dealership's widget settings (NotInScope unless ``actor`` manages it)."""
    return settings_of(await dealership_for(session, actor, dealership_id))


async def site_key(session: AsyncSession, actor: Actor, dealership_id: int) -> str:
    return (await dealership_for(session, actor, dealership_id)).site_key


async def set_look(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    changes: Mapping[str, str | None],
    *,
    at: datetime | None = None,
) -> WidgetSettings:
    """Change the widget's colour, greeting, language, side or logo; all or nothing; one
    ``widget.set`` audit entry (none when nothing changed)."""
    row = await dealership_for(session, actor, dealership_id)
    before = settings_of(row)
    after = check_look(before, changes)
    changed = audit.diff(before.look(), after.look())
    if not changed:
        return after
    row.widget_color = after.color
    row.greeting = after.greeting
    row.widget_language = after.language
    row.widget_position = after.side
    row.widget_logo_url = after.logo_url
    await audit.record(
        session, actor, "widget.set", target=row.name, dealership_id=row.id, changes=changed, at=at
    )
    return after


async def add_origin(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    origin: str,
    *,
    at: datetime | None = None,
) -> str:
    """Let the widget run on one more website; returns the origin as stored. A duplicate
    (after normalising) is refused, so the manager learns it was already there."""
    row = await dealership_for(session, actor, dealership_id)
    clean = normalise_origin(origin)
    before = list(row.allowed_origins or [])
    if clean in before:
        raise SettingsError(f"{clean} is already allowed.", "origin")
    row.allowed_origins = [*before, clean]
    await _record_origins(session, actor, row, "widget.origin_add", before, clean, at)
    return clean


async def remove_origin(
    session: AsyncSession,
    actor: Actor,
    dealership_id: int,
    origin: str,
    *,
    at: datetime | None = None,
) -> str:
    """Stop the widget on a website: its chat socket is refused from then on."""
    row = await dealership_for(session, actor, dealership_id)
    before = list(row.allowed_origins or [])
    text = origin.strip()
    # The stored spelling first (what the page's remove button sends), then the normal form.
    found = text if text in before else normalise_origin(text)
    if found not in before:
        raise SettingsError(f"{found} is not an allowed origin.", "origin")
    row.allowed_origins = [o for o in before if o != found]
    await _record_origins(session, actor, row, "widget.origin_remove", before, found, at)
    return found


async def _record_origins(
    session: AsyncSession,
    actor: Actor,
    row: Dealership,
    action: str,
    before: list[str],
    origin: str,
    at: datetime | None,
) -> None:
    await audit.record(
        session,
        actor,
        action,
        target=f"{row.name}: {origin}",
        dealership_id=row.id,
        changes=audit.diff({"allowed_origins": before}, {"allowed_origins": row.allowed_origins}),
        at=at,
    )
