"""Frozen settings read from ``DEALER_CHAT_*`` environment variables.

The defaults run embedded: a SQLite file in ``./data`` and the in-memory broker. A bad value
fails at start with a ``SettingsError`` that says which variable to fix and how.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

PREFIX = "DEALER_CHAT_"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and the fix."""


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
    log_level: str = "info"

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
    if (raw := get("LOG_LEVEL")) is not None:
        values["log_level"] = raw.lower()
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
    return settings


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
