"""The log formatters, the library floors and the LOG_FORMAT setting (no server needed)."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from chat_server.observability.logs import FLOORS, JsonFormatter, TextFormatter, logging_config
from chat_server.settings import SettingsError, load_settings


def record(**extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("chat_server.chats", logging.INFO, __file__, 1, "step %s", ("x",), None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_json_lines_carry_the_context_ids_given_with_extra() -> None:
    line = JsonFormatter(node="node-a").format(record(conversation="c1", operator=7))
    entry = json.loads(line)
    assert entry["msg"] == "step x" and entry["node"] == "node-a"
    assert (entry["level"], entry["logger"]) == ("info", "chat_server.chats")
    assert (entry["conversation"], entry["operator"]) == ("c1", 7)
    assert "dealership" not in entry and "exc" not in entry
    assert entry["ts"].endswith("+00:00")


def test_a_traceback_stays_inside_its_one_json_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        rec = record()
        rec.exc_info = sys.exc_info()
    line = JsonFormatter().format(rec)
    assert "\n" not in line
    assert "RuntimeError: boom" in json.loads(line)["exc"]


def test_text_lines_append_the_ids() -> None:
    line = TextFormatter().format(record(conversation="c1"))
    assert line.endswith("chat_server.chats: step x [conversation=c1]")


def test_debug_keeps_libraries_that_print_payloads_at_their_floor() -> None:
    config = logging_config(load_settings({}, log_level="debug", log_format="json"))
    assert config["root"]["level"] == "DEBUG"
    for name in ("sqlalchemy", "aiosqlite", "uvicorn.error", "httpx", "multipart"):
        assert config["loggers"][name]["level"] == logging.getLevelName(FLOORS[name])
    assert config["formatters"]["default"]["()"] is JsonFormatter
    quiet = logging_config(load_settings({}, log_level="error", log_format="text"))
    assert quiet["loggers"]["uvicorn.error"]["level"] == "ERROR"  # a floor never lowers it
    assert quiet["formatters"]["default"]["()"] is TextFormatter


def test_log_format_setting() -> None:
    assert load_settings({}).log_format == "json"
    assert load_settings({"DEALER_CHAT_LOG_FORMAT": "TEXT"}).log_format == "text"
    with pytest.raises(SettingsError, match="DEALER_CHAT_LOG_FORMAT must be json or text"):
        load_settings({"DEALER_CHAT_LOG_FORMAT": "xml"})
