"""URLs written to logs lose their passwords and query strings."""

from __future__ import annotations

import pytest

from chat_server.observability.redact import safe_url


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("sqlite+aiosqlite:////var/lib/chat.sqlite3", "sqlite+aiosqlite:////var/lib/chat.sqlite3"),
        ("memory://", "memory://"),
        ("redis://:s3cret@redis.internal:6379/0", "redis://:***@redis.internal:6379/0"),
        ("postgresql+asyncpg://chat:p@ss@db/dc?ssl=require", "postgresql+asyncpg://chat:***@db/dc"),
        ("https://crm.example/hook?token=abc#x", "https://crm.example/hook"),
        ("https://user:tok@crm.example/hook", "https://user:***@crm.example/hook"),
    ],
)
def test_safe_url(url: str, logged: str) -> None:
    assert safe_url(url) == logged
