"""DEALER_CHAT_LIMIT_* and DEALER_CHAT_TRUSTED_PROXIES: parsed, validated, honoured by the demo."""

from __future__ import annotations

import pytest

from chat_server.settings import Rate, SettingsError, limit_env, load_settings, parse_rate


@pytest.mark.parametrize(
    ("raw", "rate"),
    [
        ("60/min", Rate(60, 60.0)),
        ("30/hour", Rate(30, 3600.0)),
        ("5/10s", Rate(5, 10.0)),
        ("3 / 2.5 s", Rate(3, 2.5)),
        ("100/minute", Rate(100, 60.0)),
        ("off", None),
        ("0", None),
    ],
)
def test_rates_parse(raw: str, rate: Rate | None) -> None:
    assert parse_rate("LIMIT_X", raw) == rate


@pytest.mark.parametrize("raw", ["60", "60/fortnight", "-1/min", "0/min", "5/0s", "x/min"])
def test_bad_rates_name_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError, match="DEALER_CHAT_LIMIT_X"):
        parse_rate("LIMIT_X", raw)


def test_defaults_and_environment() -> None:
    defaults = load_settings({})
    assert defaults.limit_visitor_messages == Rate(60, 60.0)
    assert defaults.limit_address_conversations == Rate(30, 3600.0)
    assert defaults.limit_sockets == 0 and defaults.limit_sockets_per_address == 200
    assert defaults.limit_exempt == ("127.0.0.0/8", "::1")
    settings = load_settings(
        {
            "DEALER_CHAT_LIMIT_SITE_MESSAGES": "off",
            "DEALER_CHAT_LIMIT_SOCKETS_PER_ADDRESS": "5",
            "DEALER_CHAT_LIMIT_EXEMPT": "",
            "DEALER_CHAT_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
        }
    )
    assert settings.limit_site_messages is None
    assert settings.limit_sockets_per_address == 5
    assert settings.limit_exempt == ()
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.0.2.1")


def test_bad_networks_and_counts_are_refused() -> None:
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings({"DEALER_CHAT_TRUSTED_PROXIES": "nginx.local"})
    with pytest.raises(SettingsError, match="LIMIT_SOCKETS"):
        load_settings({"DEALER_CHAT_LIMIT_SOCKETS": "-3"})


def test_the_demo_honours_limit_variables_only() -> None:
    env = {"DEALER_CHAT_LIMIT_SOCKETS": "9", "DEALER_CHAT_TRUSTED_PROXIES": "*", "HOME": "/x"}
    env["DEALER_CHAT_DATABASE_URL"] = "postgresql://elsewhere/db"
    assert limit_env(env) == {"DEALER_CHAT_LIMIT_SOCKETS": "9", "DEALER_CHAT_TRUSTED_PROXIES": "*"}
