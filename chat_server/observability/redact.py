"""Writing URLs into logs without their secrets."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_url(url: str) -> str:
    """``url`` with any password masked and the query string and fragment dropped.

    Database and Redis URLs carry passwords in the userinfo; webhook URLs sometimes carry an
    access token in the query. The rest is left exactly as written (``sqlite:///a/b`` keeps
    its three slashes, which ``urlunsplit`` would not).
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparseable url>"
    if password is not None:
        userinfo, _, host = parts.netloc.rpartition("@")
        url = url.replace(parts.netloc, f"{userinfo.split(':', 1)[0]}:***@{host}", 1)
    return url.split("?", 1)[0].split("#", 1)[0]
