"""A text-message provider on a loopback port that speaks Twilio's Messages API, for tests.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP basic auth (the account
SID and auth token) and form fields ``To``, ``From`` and ``Body``, answered ``201`` with the
message as JSON (``sid``, ``status: queued``, ...), as Twilio documents it. Wrong credentials
get 401 and a missing field 400 (Twilio's error 21604 for ``To``), so a client that works
here speaks the real API. ``fail_next`` makes the next sends answer an error.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs

PATH = re.compile(r"^/2010-04-01/Accounts/([A-Za-z0-9]+)/Messages\.json$")


@dataclass(frozen=True)
class Text:
    to: str
    sender: str
    body: str
    received_at: float


class TextProvider:
    """Start with ``with TextProvider() as provider:``; ``env`` configures a server for it."""

    def __init__(self) -> None:
        self.sid = "AC" + secrets.token_hex(16)
        self.token = secrets.token_hex(16)
        self.sender = "+13125550000"
        self._texts: list[Text] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the provider first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def env(self) -> dict[str, str]:
        """The settings that point a dealer-chat server at this provider."""
        return {
            "DEALER_CHAT_TEXT_PROVIDER": "twilio",
            "DEALER_CHAT_TWILIO_API_URL": self.url,
            "DEALER_CHAT_TWILIO_ACCOUNT_SID": self.sid,
            "DEALER_CHAT_TWILIO_AUTH_TOKEN": self.token,
            "DEALER_CHAT_TWILIO_FROM": self.sender,
        }

    @property
    def texts(self) -> list[Text]:
        with self._lock:
            return list(self._texts)

    def fail_next(self, status: int, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def wait_for(self, to: str, timeout: float = 5.0, since: int = 0) -> Text:
        """The first text to ``to`` after the first ``since`` texts; AssertionError if none."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for text in self.texts[since:]:
                if text.to == to:
                    return text
            time.sleep(0.01)
        raise AssertionError(f"no text to {to}; got {self.texts}")

    def __enter__(self) -> Self:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the test's output is for the test

            def do_POST(self) -> None:
                status, body = provider._answer(self)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _answer(self, request: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
        length = int(request.headers.get("Content-Length") or 0)
        form = parse_qs(request.rfile.read(length).decode())
        match = PATH.match(request.path)
        if match is None:
            return 404, {"code": 20404, "message": "The requested resource was not found"}
        expected = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        authorization = request.headers.get("Authorization")
        if match.group(1) != self.sid or authorization != f"Basic {expected}":
            return 401, {"code": 20003, "message": "Authenticate"}
        to, sender, body = (form.get(k, [""])[0] for k in ("To", "From", "Body"))
        if not to:
            return 400, {"code": 21604, "message": "A 'To' phone number is required."}
        if not sender or not body:
            return 400, {"code": 21603, "message": "A 'From' and a 'Body' are required."}
        with self._lock:
            if self._failures:
                return self._failures.pop(0), {"code": 20500, "message": "Internal error"}
            self._texts.append(Text(to, sender, body, time.monotonic()))
        return 201, {
            "sid": "SM" + secrets.token_hex(16),
            "account_sid": self.sid,
            "to": to,
            "from": sender,
            "body": body,
            "status": "queued",
        }
