"""Frozen settings read from ``DEALER_CHAT_*`` environment variables.

The defaults run embedded: a SQLite file in ``./data`` and the in-memory broker. A bad value
fails at start with a ``SettingsError`` that says which variable to fix and how.

Every variable is declared once, as a ``setting(...)`` field of :class:`Settings` (variable,
field, parser, default, help); ``load_settings`` reads them all the same way, and
``python -m chat_server.settings_table`` renders the same rows as the table in
docs/operations.md.
"""

# setting() returns dataclasses.field(...) with the row in its metadata, which RUF009 cannot
# tell from a default computed once and shared (its Rate defaults are frozen anyway).
# ruff: noqa: RUF009

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TypeVar, cast

PREFIX = "DEALER_CHAT_"
SMTP_TLS_MODES = ("starttls", "tls", "none")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and the fix."""


@dataclass(frozen=True)
class Rate:
    """``count`` per ``window_s`` seconds; written ``60/min``, ``30/hour`` or ``5/10s``."""

    count: int
    window_s: float


T = TypeVar("T")
# Reads one variable: (its name without the prefix, the raw text) -> the value, or raises a
# SettingsError that names the variable.
Parser = Callable[[str, str], T]


# --- parsers ------------------------------------------------------------------------


def text(name: str, raw: str) -> str:
    """Taken as written."""
    return raw


def boolean(name: str, raw: str) -> bool:
    """``true``/``false`` (also 1/0, yes/no, on/off; empty is false)."""
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, got {raw!r}")


def whole(low: int, high: int) -> Parser[int]:
    """A whole number from ``low`` to ``high``."""

    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{PREFIX}{name} must be a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise SettingsError(f"{PREFIX}{name} must be between {low} and {high}, got {value}")
        return value

    return parse


def whole_seconds(low: int, high: int) -> Parser[float]:
    """A whole number of seconds from ``low`` to ``high``, kept as a float."""
    parse_whole = whole(low, high)
    return lambda name, raw: float(parse_whole(name, raw))


def seconds(name: str, raw: str) -> float:
    """A number of seconds from 0.01 to 30 days."""
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a number of seconds, got {raw!r}") from None
    if not 0.01 <= value <= 30 * 86400:
        raise SettingsError(f"{PREFIX}{name} must be between 0.01 and 2592000 seconds")
    return value


def one_of(*choices: str) -> Parser[str]:
    """One of ``choices``, in any case."""
    listed = f"{', '.join(choices[:-1])} or {choices[-1]}"

    def parse(name: str, raw: str) -> str:
        if raw.lower() not in choices:
            raise SettingsError(f"{PREFIX}{name} must be {listed}, got {raw!r}")
        return raw.lower()

    return parse


def base_url(name: str, raw: str) -> str:
    """A URL without its trailing slash."""
    return raw.rstrip("/")


def validate_database_url(url: str) -> str:
    if url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://"):
        return url
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # Accept the common libpq spelling and pick the async driver for it.
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    raise SettingsError(
        f"{PREFIX}DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://, "
        f"got {url!r}"
    )


def validate_broker_url(url: str) -> str:
    if url.startswith("memory://") or url.startswith("redis://"):
        return url
    raise SettingsError(
        f"{PREFIX}BROKER_URL must be memory:// (one process) or redis://HOST:PORT/DB, got {url!r}"
    )


def vapid_contact(name: str, raw: str) -> str:
    """A ``mailto:`` or ``https://`` URL (RFC 8292's ``sub`` claim); empty picks the default."""
    value = raw.strip()
    if value and not (value.startswith("mailto:") or value.startswith("https://")):
        raise SettingsError(f"{PREFIX}{name} must start with mailto: or https://, got {raw!r}")
    return value


def database_address(name: str, raw: str) -> str:
    """A SQLAlchemy async URL (``postgresql://`` gets the asyncpg driver)."""
    return validate_database_url(raw)


def broker_address(name: str, raw: str) -> str:
    """``memory://`` or ``redis://...``."""
    return validate_broker_url(raw)


RATE_UNITS = {
    **dict.fromkeys(("s", "sec", "second"), 1.0),
    **dict.fromkeys(("m", "min", "minute"), 60.0),
    **dict.fromkeys(("h", "hour"), 3600.0),
}
RATE_FORMAT = re.compile(r"^(\d+)\s*/\s*(\d*\.?\d*)\s*([a-z]+)$")


def parse_rate(name: str, raw: str) -> Rate | None:
    """``60/min``, ``30/hour``, ``5/10s`` (or ``off``, ``0``) from ``DEALER_CHAT_{name}``."""
    text = raw.strip().lower()
    if text in {"off", "0", "none", ""}:
        return None
    match = RATE_FORMAT.match(text)
    unit = RATE_UNITS.get(match.group(3)) if match else None
    if match is None or unit is None:
        raise SettingsError(
            f"{PREFIX}{name} must look like 60/min, 30/hour or 5/10s (or off), got {raw!r}"
        )
    count, window_s = int(match.group(1)), float(match.group(2) or 1) * unit
    if not 1 <= count <= 10_000_000 or not 0.1 <= window_s <= 86400:
        raise SettingsError(
            f"{PREFIX}{name} must allow 1 to 10000000 per 0.1 s to 1 day, got {raw!r}"
        )
    return Rate(count, window_s)


def _networks(name: str, raw: str, *, allow_star: bool = False) -> tuple[str, ...]:
    items = tuple(item.strip() for item in raw.split(",") if item.strip())
    for item in items:
        if allow_star and item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SettingsError(
                f"{PREFIX}{name} must be a comma-separated list of IP addresses or networks "
                f"(e.g. 10.0.0.0/8,::1), got {item!r}"
            ) from None
    return items


def networks(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (empty: none)."""
    return _networks(name, raw)


def networks_or_any(name: str, raw: str) -> tuple[str, ...]:
    """Like :func:`networks`, and ``*`` stands for any peer."""
    return _networks(name, raw, allow_star=True)


# --- the table ----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One row of the settings table: which variable sets which field, how, and why.

    ``variable`` is written without the ``DEALER_CHAT_`` prefix. ``aliases`` are older
    names read when the variable is unset (or empty). ``shown_default`` is how the docs show
    the default when the value alone would mislead (a computed or a required one).
    """

    variable: str
    field: str
    parse: Parser[object]
    default: object
    help: str
    aliases: tuple[str, ...] = ()
    shown_default: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The full environment variable names, the main one first."""
        return tuple(PREFIX + name for name in (self.variable, *self.aliases))


_ENTRY = "dealer_chat_setting"


def setting(
    variable: str,
    default: T,
    parse: Parser[T],
    help: str,
    *,
    aliases: tuple[str, ...] = (),
    shown_default: str | None = None,
) -> T:
    """A ``Settings`` field read from ``DEALER_CHAT_{variable}``: one row of the table."""
    row = {"variable": variable, "parse": parse, "help": help}
    row |= {"aliases": aliases, "shown_default": shown_default}
    return cast(T, dataclass_field(default=default, metadata={_ENTRY: row}))


@dataclass(frozen=True)
class Settings:
    """Everything a node is configured with. Each ``setting(...)`` field is one row of the
    table that both ``load_settings`` and the settings table in docs/operations.md come from
    (``python -m chat_server.settings_table``)."""

    database_url: str = setting(
        "DATABASE_URL",
        "sqlite+aiosqlite:///data/dealer-chat.sqlite3",
        database_address,
        "the database: a SQLite file, or `postgresql+asyncpg://user:pass@host/db` "
        "(`postgresql://` gets the asyncpg driver)",
    )
    broker_url: str = setting(
        "BROKER_URL",
        "memory://",
        broker_address,
        "`memory://` for one process; `redis://host:6379/0` to run several",
        aliases=("REDIS_URL",),
    )
    secret_key: str = setting(
        "SECRET_KEY",
        "",
        text,
        "at least 32 random characters; signs session cookies, so the same on every node",
        shown_default="none: `serve` requires it (the demo keeps one in its data folder)",
    )
    host: str = setting("HOST", "127.0.0.1", text, "the address to listen on")
    port: int = setting("PORT", 8000, whole(1, 65535), "the port to listen on")
    # Behind TLS the session cookie must be Secure; off for plain-HTTP loopback demos.
    secure_cookies: bool = setting(
        "SECURE_COOKIES", False, boolean, "`true` behind TLS: the session cookie is `Secure`"
    )
    session_max_age_s: int = setting(
        "SESSION_MAX_AGE",
        12 * 3600,
        whole(60, 30 * 86400),
        "console session lifetime in seconds (60 to 2592000)",
    )
    public_url: str = setting(
        "PUBLIC_URL",
        "",
        base_url,
        "the public base URL of the site (trailing slash dropped): the VAPID subject when "
        "`DEALER_CHAT_VAPID_SUBJECT` is unset",
    )
    vapid_private_key: str = setting(
        "VAPID_PRIVATE_KEY",
        "",
        text,
        "the Web Push (VAPID) private key, PEM or base64url; when unset, one is generated on "
        "first start and kept in the database, shared by every node",
        shown_default="generated once and stored",
    )
    vapid_subject: str = setting(
        "VAPID_SUBJECT",
        "",
        vapid_contact,
        "who push services may contact about this server's pushes: `mailto:` or `https:`",
        shown_default="the public URL when set, else mailto:push@dealer-chat.invalid",
    )
    push_loopback: bool = setting(
        "PUSH_LOOPBACK",
        False,
        boolean,
        "also accept `http://` Web Push endpoints on loopback (a push service in tests; "
        "never in production)",
    )
    text_provider: str = setting(
        "TEXT_PROVIDER",
        "none",
        one_of("none", "twilio"),
        "who sends ring texts to operators' phones: `twilio` (its Messages API, or any service "
        "speaking it) or `none` (no texts; the option is hidden)",
    )
    twilio_api_url: str = setting(
        "TWILIO_API_URL",
        "https://api.twilio.com",
        base_url,
        "the Messages API's base URL (a compatible provider's, or a test double's)",
    )
    twilio_account_sid: str = setting(
        "TWILIO_ACCOUNT_SID", "", text, "the account SID (user name of the API's basic auth)"
    )
    twilio_auth_token: str = setting(
        "TWILIO_AUTH_TOKEN", "", text, "the account's auth token (password of the basic auth)"
    )
    twilio_from: str = setting(
        "TWILIO_FROM", "", text, "the sending number in E.164 (`+13125550100`), or a sender id"
    )
    node_name: str = setting(
        "NODE_NAME",
        "",
        text,
        "this process's name in logs (`node`) and in the leases of deadlines and deliveries; "
        "unique per process",
        shown_default="host name and process id (`hostname-pid`)",
    )
    deadline_poll_s: float = 0.2
    # An operator whose last console closed is set "away" after this many seconds. Keep it
    # above the presence heartbeat (10 s) when several nodes serve consoles.
    auto_away_s: float = setting(
        "AUTO_AWAY",
        30.0,
        whole_seconds(0, 86400),
        "seconds after an operator's last console closes before they are set away "
        "(keep above 10 with several nodes)",
    )
    log_level: str = setting(
        "LOG_LEVEL",
        "info",
        one_of("debug", "info", "warning", "error"),
        "`debug`, `info`, `warning` or `error`, for dealer-chat's own loggers (see Logs)",
    )
    # json: one object per line for log shippers (serve); text for a terminal (the demo's default).
    log_format: str = setting(
        "LOG_FORMAT",
        "json",
        one_of("json", "text"),
        "`json`: one object per line for a log shipper; `text` for a terminal (see Logs)",
        shown_default="`json` (`demo`: `text`)",
    )
    # CRM delivery (chat_server/leads/): with no SMTP host, lead e-mail is not sent (the log
    # says so, without the lead's content; the lead is in the console).
    smtp_host: str = setting(
        "SMTP_HOST", "", text, "lead e-mail to the CRM; without it, lead e-mail is not sent"
    )
    smtp_port: int = setting("SMTP_PORT", 587, whole(1, 65535), "the SMTP server's port")
    smtp_tls: str = setting(
        "SMTP_TLS",
        "starttls",
        one_of(*SMTP_TLS_MODES),
        "`starttls`, `tls` (implicit, port 465) or `none`",
    )
    smtp_user: str = setting("SMTP_USER", "", text, "SMTP AUTH user (none: no AUTH)")
    smtp_password: str = setting("SMTP_PASSWORD", "", text, "SMTP AUTH password")
    smtp_from: str = setting(
        "SMTP_FROM", "leads@dealer-chat.invalid", text, "envelope and header sender of lead e-mail"
    )
    # Outbox retries: exponential from the first delay, capped, given up after the last.
    delivery_retry_first_s: float = setting(
        "DELIVERY_RETRY_FIRST",
        30.0,
        seconds,
        "seconds before a failed CRM delivery's first retry; doubles each time",
    )
    delivery_retry_cap_s: float = setting(
        "DELIVERY_RETRY_CAP", 3600.0, seconds, "longest gap between retries, in seconds"
    )
    delivery_give_up_s: float = setting(
        "DELIVERY_GIVE_UP",
        86400.0,
        seconds,
        "stop retrying this many seconds after the send was queued",
    )
    delivery_poll_s: float = setting(
        "DELIVERY_POLL", 0.5, seconds, "how often each node looks for due sends, in seconds"
    )
    lead_alert_after_s: float = setting(
        "LEAD_ALERT_AFTER",
        1800.0,
        seconds,
        "seconds a new lead may stay untouched before its dealership's managers are alerted",
    )
    # Abuse limits (chat_server/limits/, docs/operations.md); None switches one off. Message
    # and conversation limits hold across nodes (counted where the broker is).
    limit_visitor_messages: Rate | None = setting(
        "LIMIT_VISITOR_MESSAGES",
        Rate(60, 60.0),
        parse_rate,
        "messages of one shopper (visitor token), all tabs and nodes together",
    )
    limit_address_messages: Rate | None = setting(
        "LIMIT_ADDRESS_MESSAGES",
        Rate(300, 60.0),
        parse_rate,
        "messages from one client address",
    )
    limit_site_messages: Rate | None = setting(
        "LIMIT_SITE_MESSAGES",
        Rate(6000, 60.0),
        parse_rate,
        "messages on one site key",
    )
    limit_address_conversations: Rate | None = setting(
        "LIMIT_ADDRESS_CONVERSATIONS",
        Rate(30, 3600.0),
        parse_rate,
        "new conversations started from one client address",
    )
    limit_address_connects: Rate | None = setting(
        "LIMIT_ADDRESS_CONNECTS",
        Rate(120, 60.0),
        parse_rate,
        "visitor socket connection attempts from one client address",
    )
    limit_address_sign_ins: Rate | None = setting(
        "LIMIT_ADDRESS_SIGN_INS",
        Rate(20, 300.0),
        parse_rate,
        "console sign-in attempts from one client address",
    )
    # Concurrent sockets on this node: per client address, and in total (0 = derived from
    # the open-files limit, and never above it).
    limit_sockets_per_address: int = setting(
        "LIMIT_SOCKETS_PER_ADDRESS",
        200,
        whole(0, 10**6),
        "concurrent visitor sockets from one client address, per node (0: no cap)",
    )
    limit_sockets: int = setting(
        "LIMIT_SOCKETS",
        0,
        whole(0, 10**7),
        "concurrent sockets on this node (0: from the open-files limit)",
        shown_default="`0` (auto)",
    )
    # Client addresses the per-address limits do not apply to (IPs or networks).
    limit_exempt: tuple[str, ...] = setting(
        "LIMIT_EXEMPT",
        ("127.0.0.0/8", "::1"),
        networks,
        'client addresses (IPs or networks) the per-address limits skip (`""`: none)',
    )
    # Peers whose X-Forwarded-For / X-Real-IP name the client (uvicorn's forwarded_allow_ips).
    trusted_proxies: tuple[str, ...] = setting(
        "TRUSTED_PROXIES",
        ("127.0.0.1", "::1"),
        networks_or_any,
        "peers whose `X-Forwarded-For` (or `X-Real-IP`) names the client (`*`: any)",
    )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _entries() -> tuple[Entry, ...]:
    rows = []
    for f in fields(Settings):
        if _ENTRY in f.metadata:
            row = f.metadata[_ENTRY]
            rows.append(Entry(field=f.name, default=f.default, **row))
    return tuple(rows)


#: Every setting read from the environment, in the order of ``Settings``.
SETTINGS: tuple[Entry, ...] = _entries()
_BY_FIELD = {entry.field: entry for entry in SETTINGS}


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from ``env`` (default ``os.environ``) and explicit overrides.

    Each variable of ``SETTINGS`` that is set is read with its parser. An override that is
    text (a command-line option) is read with the same parser, so ``--database-url
    postgresql://...`` is checked and normalised like the variable; other overrides are
    taken as given. None means "not given".
    """
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    for entry in SETTINGS:
        found = [env.get(name) for name in entry.names]
        # The first non-empty one; an empty main name with no alias still counts as set.
        raw = next((value for value in found if value), found[-1])
        if raw is not None:
            values[entry.field] = entry.parse(entry.variable, raw)
    for name, value in overrides.items():
        if value is None:
            continue
        entry = _BY_FIELD.get(name)
        values[name] = (
            entry.parse(entry.variable, value) if entry and isinstance(value, str) else value
        )
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.text_provider == "twilio":
        missing = [
            f"{PREFIX}{name}"
            for name, value in (
                ("TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
                ("TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
                ("TWILIO_FROM", settings.twilio_from),
            )
            if not value
        ]
        if missing:
            raise SettingsError(
                f"{PREFIX}TEXT_PROVIDER=twilio needs {', '.join(missing)} as well"
            )
    if not settings.node_name:
        settings = replace(settings, node_name=f"{os.uname().nodename}-{os.getpid()}")
    return settings


def limit_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Only the abuse-limit and proxy variables of ``env`` (the demo honours these too)."""
    env = os.environ if env is None else env
    prefixes = (PREFIX + "LIMIT_", PREFIX + "TRUSTED_PROXIES")
    return {k: v for k, v in env.items() if k.startswith(prefixes)}


def delivery_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Only the e-mail, Web Push and delivery variables of ``env``: the demo honours these (and
    the limits) and no others."""
    env = os.environ if env is None else env
    prefixes = (
        PREFIX + "SMTP_",
        PREFIX + "DELIVERY_",
        PREFIX + "LEAD_",
        PREFIX + "PUSH_",
        PREFIX + "VAPID_",
        PREFIX + "TEXT_",
        PREFIX + "TWILIO_",
        PREFIX + "PUBLIC_URL",
    )
    return {k: v for k, v in env.items() if k.startswith(prefixes)}


def require_secret(settings: Settings) -> Settings:
    """``serve`` needs a stable secret key so sessions survive restarts and span nodes."""
    if len(settings.secret_key) < 32:
        raise SettingsError(
            f"{PREFIX}SECRET_KEY must be set to at least 32 random characters "
            f"(for example: python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return settings


def demo_secret(data_dir: Path) -> str:
    """The demo keeps a generated secret in its data folder so restarts keep sessions."""
    path = data_dir / "secret-key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
