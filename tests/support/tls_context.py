"""One TLS context for every HTTP client the tests make.

httpx builds a new ``ssl.SSLContext`` for each client, loading certifi's CA bundle into it:
about 30 ms of CPU, even for a client that only ever speaks plain HTTP to 127.0.0.1. The
suite makes thousands of clients (the access matrix alone, eight per case), so that was a
minute of CPU per pass. ``share_default_tls_context`` makes httpx's transports build the
default context (verify the peer against certifi's bundle, the one every client here asks
for) once per process and reuse it: an ``SSLContext`` may serve any number of connections.
Any other verify setting is built as httpx always builds it.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx._transports.default as httpx_transports

_default: ssl.SSLContext | None = None


def share_default_tls_context() -> None:
    """Patch httpx (this process only) to reuse one default TLS context."""
    build = httpx_transports.create_ssl_context
    if getattr(build, "shared_default", False):
        return

    def create_ssl_context(
        verify: Any = True, cert: Any = None, trust_env: bool = True
    ) -> ssl.SSLContext:
        global _default
        if verify is not True or cert is not None:
            return build(verify=verify, cert=cert, trust_env=trust_env)
        if _default is None:
            _default = build(verify=True, cert=None, trust_env=trust_env)
        return _default

    create_ssl_context.shared_default = True  # type: ignore[attr-defined]
    httpx_transports.create_ssl_context = create_ssl_context  # type: ignore[assignment]
