"""Log configuration: one JSON object per line (``DEALER_CHAT_LOG_FORMAT=json``) or plain text.

JSON lines carry ``ts``, ``level``, ``logger``, ``msg``, ``node`` and, when the call passed
them with ``extra=``, the ids ``conversation``, ``operator``, ``dealership`` and ``lead``.
Ids only: message bodies, shoppers' contact details and secrets are never logged.

Some libraries print payloads at DEBUG (SQL parameters, websocket frames, request URLs with
their query strings). Their loggers are held at a floor whatever the chosen level, so
``DEALER_CHAT_LOG_LEVEL=debug`` turns on dealer-chat's own debug lines without leaking what
shoppers typed.
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

from chat_server.settings import Settings

CONTEXT_KEYS = ("conversation", "operator", "dealership", "lead")

# logger -> the lowest level it may log at, and why.
FLOORS = {
    "sqlalchemy": logging.WARNING,  # statements with their parameters (message bodies)
    "aiosqlite": logging.WARNING,  # DEBUG repr()s every call with its parameters
    "asyncpg": logging.WARNING,
    "alembic": logging.WARNING,
    "uvicorn.error": logging.INFO,  # the websocket protocol logs every frame at DEBUG
    "websockets": logging.INFO,  # same, when used directly
    "httpx": logging.WARNING,  # INFO logs each request URL (webhook URLs may hold tokens)
    "httpcore": logging.WARNING,
    "multipart": logging.WARNING,  # form parsing (sign-in passwords) at DEBUG
    "python_multipart": logging.WARNING,
    "aiosmtplib": logging.WARNING,
    "redis": logging.WARNING,
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the node name is stamped on every record."""

    def __init__(self, node: str = "") -> None:
        super().__init__()
        self.node = node

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "node": self.node,
        }
        for key in CONTEXT_KEYS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Human-readable lines for the demo and a terminal; ids appended in brackets."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [f"{k}={getattr(record, k)}" for k in CONTEXT_KEYS if hasattr(record, k)]
        if not ids:
            return line
        head, newline, rest = line.partition("\n")  # keep a traceback below the ids
        return f"{head} [{' '.join(ids)}]{newline}{rest}"


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict; uvicorn is given the same one (``log_config``)."""
    level = logging.getLevelName(settings.log_level.upper())
    formatter: dict[str, Any] = (
        {"()": JsonFormatter, "node": settings.node_name}
        if settings.log_format == "json"
        else {"()": TextFormatter}
    )
    loggers: dict[str, Any] = {
        name: {"level": logging.getLevelName(max(level, floor))} for name, floor in FLOORS.items()
    }
    # uvicorn's loggers do not propagate by default config; route them to the one handler.
    loggers["uvicorn"] = {
        "handlers": ["stderr"],
        "level": settings.log_level.upper(),
        "propagate": False,
    }
    loggers["uvicorn.access"] = {"level": settings.log_level.upper()}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": settings.log_level.upper(), "handlers": ["stderr"]},
        "loggers": loggers,
    }


def configure_logging(settings: Settings) -> dict[str, Any]:
    """Apply the configuration now (before migrations run) and return it for uvicorn."""
    config = logging_config(settings)
    logging.config.dictConfig(config)
    # Python warnings would otherwise be bare text on stderr, breaking one-JSON-per-line.
    logging.captureWarnings(True)
    return config
