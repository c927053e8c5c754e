"""Frozen settings read from ``DEALER_CHAT_*`` environment variables.

The defaults run embedded: a SQLite file in ``./data`` and the in-memory broker. A bad value
fails at start with a ``SettingsError`` that says which variable to fix and how.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

PREFIX = "DEALER_CHAT_"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and the fix."""


@dataclass(frozen=True)
class Rate:
    """``count`` per ``window_s`` seconds; written ``60/min``, ``30/hour`` or ``5/10s``."""

    count: int
    window_s: float


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///data/dealer-chat.sqlite3"
    broker_url: str = "memory://"
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    # Behind TLS the session cookie must be Secure; off for plain-HTTP loopback demos.
    secure_cookies: bool = False
    session_max_age_s: int = 12 * 3600
    # Extra origins allowed to open the console socket (besides the console's own host).
    public_url: str = ""
    node_name: str = ""
    deadline_poll_s: float = 0.2
    # An operator whose last console closed is set "away" after this many seconds. Keep it
    # above the presence heartbeat (10 s) when several nodes serve consoles.
    auto_away_s: float = 30.0
    log_level: str = "info"
    # json: one object per line for log shippers (serve); text for a terminal (the demo's default).
    log_format: str = "json"
    # CRM delivery (chat_server/leads/): with no SMTP host, lead e-mail is not sent (the log
    # says so, without the lead's content; the lead is in the console).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_tls: str = "starttls"  # starttls, tls (implicit), none
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "leads@dealer-chat.invalid"
    # Outbox retries: exponential from the first delay, capped, given up after the last.
    delivery_retry_first_s: float = 30.0
    delivery_retry_cap_s: float = 3600.0
    delivery_give_up_s: float = 86400.0
    delivery_poll_s: float = 0.5
    lead_alert_after_s: float = 1800.0
    # Abuse limits (chat_server/limits/, docs/operations.md); None switches one off. Message
    # and conversation limits hold across nodes (counted where the broker is).
    limit_visitor_messages: Rate | None = Rate(60, 60.0)
    limit_address_messages: Rate | None = Rate(300, 60.0)
    limit_site_messages: Rate | None = Rate(6000, 60.0)
    limit_address_conversations: Rate | None = Rate(30, 3600.0)
    limit_address_connects: Rate | None = Rate(120, 60.0)
    limit_address_sign_ins: Rate | None = Rate(20, 300.0)
    # Concurrent sockets on this node: per client address, and in total (0 = derived from
    # the open-files limit, and never above it).
    limit_sockets_per_address: int = 200
    limit_sockets: int = 0
    # Client addresses the per-address limits do not apply to (IPs or networks).
    limit_exempt: tuple[str, ...] = ("127.0.0.0/8", "::1")
    # Peers whose X-Forwarded-For / X-Real-IP name the client (uvicorn's forwarded_allow_ips).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, got {raw!r}")


def _int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{PREFIX}{name} must be between {low} and {high}, got {value}")
    return value


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


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from ``env`` (default ``os.environ``) and explicit overrides."""
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        return env.get(PREFIX + name)

    values: dict[str, object] = {}
    if (raw := get("DATABASE_URL")) is not None:
        values["database_url"] = raw
    if (raw := get("BROKER_URL") or get("REDIS_URL")) is not None:
        values["broker_url"] = raw
    if (raw := get("SECRET_KEY")) is not None:
        values["secret_key"] = raw
    if (raw := get("HOST")) is not None:
        values["host"] = raw
    if (raw := get("PORT")) is not None:
        values["port"] = _int("PORT", raw, 1, 65535)
    if (raw := get("SECURE_COOKIES")) is not None:
        values["secure_cookies"] = _bool("SECURE_COOKIES", raw)
    if (raw := get("SESSION_MAX_AGE")) is not None:
        values["session_max_age_s"] = _int("SESSION_MAX_AGE", raw, 60, 30 * 86400)
    if (raw := get("PUBLIC_URL")) is not None:
        values["public_url"] = raw.rstrip("/")
    if (raw := get("NODE_NAME")) is not None:
        values["node_name"] = raw
    if (raw := get("AUTO_AWAY")) is not None:
        values["auto_away_s"] = float(_int("AUTO_AWAY", raw, 0, 86400))
    if (raw := get("LOG_LEVEL")) is not None:
        values["log_level"] = raw.lower()
    if (raw := get("LOG_FORMAT")) is not None:
        values["log_format"] = raw.lower()
    values.update(_delivery_values(get))
    values.update(_limit_values(get))
    values.update({k: v for k, v in overrides.items() if v is not None})

    settings = Settings(**values)  # type: ignore[arg-type]
    settings = replace(
        settings,
        database_url=validate_database_url(settings.database_url),
        broker_url=validate_broker_url(settings.broker_url),
        node_name=settings.node_name or f"{os.uname().nodename}-{os.getpid()}",
    )
    if settings.log_level not in {"debug", "info", "warning", "error"}:
        raise SettingsError(f"{PREFIX}LOG_LEVEL must be debug, info, warning or error")
    if settings.log_format not in {"json", "text"}:
        raise SettingsError(f"{PREFIX}LOG_FORMAT must be json or text, got {settings.log_format!r}")
    return settings


SMTP_TLS_MODES = ("starttls", "tls", "none")
DELIVERY_SECONDS = {
    "DELIVERY_RETRY_FIRST": "delivery_retry_first_s",
    "DELIVERY_RETRY_CAP": "delivery_retry_cap_s",
    "DELIVERY_GIVE_UP": "delivery_give_up_s",
    "DELIVERY_POLL": "delivery_poll_s",
    "LEAD_ALERT_AFTER": "lead_alert_after_s",
}


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a number of seconds, got {raw!r}") from None
    if not 0.01 <= value <= 30 * 86400:
        raise SettingsError(f"{PREFIX}{name} must be between 0.01 and 2592000 seconds")
    return value


def _delivery_values(get: Callable[[str], str | None]) -> dict[str, object]:
    """SMTP and outbox settings (``DEALER_CHAT_SMTP_*``, ``DEALER_CHAT_DELIVERY_*``)."""
    values: dict[str, object] = {}
    for name in ("HOST", "USER", "PASSWORD", "FROM"):
        if (raw := get("SMTP_" + name)) is not None:
            values["smtp_" + name.lower()] = raw
    if (raw := get("SMTP_PORT")) is not None:
        values["smtp_port"] = _int("SMTP_PORT", raw, 1, 65535)
    if (raw := get("SMTP_TLS")) is not None:
        if raw.lower() not in SMTP_TLS_MODES:
            raise SettingsError(f"{PREFIX}SMTP_TLS must be starttls, tls or none, got {raw!r}")
        values["smtp_tls"] = raw.lower()
    for name, field in DELIVERY_SECONDS.items():
        if (raw := get(name)) is not None:
            values[field] = _seconds(name, raw)
    return values


LIMIT_RATES = {
    "LIMIT_VISITOR_MESSAGES": "limit_visitor_messages",
    "LIMIT_ADDRESS_MESSAGES": "limit_address_messages",
    "LIMIT_SITE_MESSAGES": "limit_site_messages",
    "LIMIT_ADDRESS_CONVERSATIONS": "limit_address_conversations",
    "LIMIT_ADDRESS_CONNECTS": "limit_address_connects",
    "LIMIT_ADDRESS_SIGN_INS": "limit_address_sign_ins",
}
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


def _limit_values(get: Callable[[str], str | None]) -> dict[str, object]:
    """Abuse limits (``DEALER_CHAT_LIMIT_*``) and ``DEALER_CHAT_TRUSTED_PROXIES``."""
    values: dict[str, object] = {}
    for name, field in LIMIT_RATES.items():
        if (raw := get(name)) is not None:
            values[field] = parse_rate(name, raw)
    if (raw := get("LIMIT_SOCKETS_PER_ADDRESS")) is not None:
        values["limit_sockets_per_address"] = _int("LIMIT_SOCKETS_PER_ADDRESS", raw, 0, 10**6)
    if (raw := get("LIMIT_SOCKETS")) is not None:
        values["limit_sockets"] = _int("LIMIT_SOCKETS", raw, 0, 10**7)
    if (raw := get("LIMIT_EXEMPT")) is not None:
        values["limit_exempt"] = _networks("LIMIT_EXEMPT", raw)
    if (raw := get("TRUSTED_PROXIES")) is not None:
        values["trusted_proxies"] = _networks("TRUSTED_PROXIES", raw, allow_star=True)
    return values


def limit_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Only the abuse-limit and proxy variables of ``env`` (the demo honours these too)."""
    env = os.environ if env is None else env
    prefixes = (PREFIX + "LIMIT_", PREFIX + "TRUSTED_PROXIES")
    return {k: v for k, v in env.items() if k.startswith(prefixes)}


def delivery_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Only the e-mail and delivery variables of ``env``: the demo honours these and no others."""
    env = os.environ if env is None else env
    prefixes = (PREFIX + "SMTP_", PREFIX + "DELIVERY_", PREFIX + "LEAD_")
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
