"""A deliberately hostile dealer website, served on its own loopback origin for e2e tests.

It does what real dealer sites do by accident, all at once: global CSS resets with
``!important``, a transformed content wrapper, a full-screen overlay with the largest z-index
(added again after the widget loads), and replaced globals (a broken ``JSON``, a throwing
``Array.prototype.map``, Prototype.js's ``Array.prototype.toJSON``, an enumerable
``Object.prototype`` property, a replaced ``Promise``, a throwing ``fetch``, a wrapped
``WebSocket``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOSTILE_CSS = """
:root { --accent: lime; --dc-accent-guess: lime; }
html, body { margin: 0; height: 100%; }
body { background: #fffbe6; }
main { transform: translateZ(0); filter: saturate(1.2); }  /* traps position:fixed children */
*, *::before, *::after {
  box-sizing: content-box !important; font-family: "Comic Sans MS", cursive, serif !important;
  font-size: 22px !important; line-height: 3 !important; color: #c0f !important;
  letter-spacing: 3px !important; text-transform: uppercase !important;
}
div, span, button, form, input, textarea, select, label, p, h1, h2, h3, img, iframe, svg {
  margin: 24px !important; padding: 0 !important; border: 4px dotted lime !important;
  background: yellow !important; position: static !important; float: left !important;
  width: auto !important; height: auto !important; opacity: 1 !important;
}
button { display: none !important; }
[hidden] { display: block !important; }
iframe { display: block !important; width: 100vw !important; height: 100vh !important; }
.overlay {
  position: fixed !important; inset: 0 !important; z-index: 2147483647 !important;
  background: rgba(20, 0, 40, .55) !important; margin: 0 !important; float: none !important;
}
"""

HOSTILE_GLOBALS = """
window.JSON = { parse: function () { throw new Error('hostile JSON.parse'); },
                stringify: function () { return '"hostile"'; } };
Array.prototype.map = function () { throw new Error('hostile Array.prototype.map'); };
Array.prototype.filter = function () { throw new Error('hostile Array.prototype.filter'); };
Array.prototype.toJSON = function () { return 'hostile toJSON'; };
Object.prototype.hostile = 'polluted';
window.__promises = 0;
window.Promise = class HostilePromise extends Promise {  // a polyfill-style replacement
  constructor(executor) { super(executor); window.__promises += 1; }
};
window.fetch = function () { throw new Error('hostile fetch'); };
var NativeWebSocket = window.WebSocket;
window.__sockets = 0;
window.WebSocket = function (url, protocols) {
  window.__sockets += 1;
  return protocols ? new NativeWebSocket(url, protocols) : new NativeWebSocket(url);
};
window.__events = '';
"""

OVERLAY_AGAIN = """
setTimeout(function () {
  var o = document.createElement('div');
  o.className = 'overlay';
  o.textContent = 'Late newsletter overlay';
  document.body.appendChild(o);
}, 800);
"""


def vehicle_json_ld(year: int, make: str, model: str, vin: str) -> str:
    car: dict[str, Any] = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "AutoDealer", "name": "Hostile Motors"},
            {
                "@type": ["Product", "Car"],
                "name": f"{year} {make} {model}",
                "vehicleIdentificationNumber": vin,
                "brand": {"@type": "Brand", "name": make},
                "model": model,
                "vehicleModelDate": str(year),
                "offers": {"@type": "Offer", "price": 41250, "itemCondition": "NewCondition"},
            },
        ],
    }
    return json.dumps(car)


def page(widget_src: str, site_key: str, title: str, json_ld: str, link: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{HOSTILE_CSS}</style>
<script>{HOSTILE_GLOBALS}</script>
<script type="application/ld+json">{json_ld}</script>
</head><body>
<main><h1>{title}</h1>
<p>Welcome to Hostile Motors. <a href="{link}">Next page</a></p></main>
<div class="overlay">Subscribe to our newsletter! (a full-screen overlay)</div>
<script src="{widget_src}" data-site="{site_key}" async></script>
<script>{OVERLAY_AGAIN}</script>
</body></html>
"""


def strict_csp_page(widget_src: str, site_key: str) -> str:
    """A page whose Content-Security-Policy allows only what docs/widget.md lists."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strict CSP Motors</title></head>
<body><h1>Strict CSP Motors</h1>
<script src="{widget_src}" data-site="{site_key}" async></script>
</body></html>
"""


def strict_csp(server_url: str) -> str:
    ws_url = server_url.replace("http://", "ws://")
    return (
        f"default-src 'none'; script-src {server_url}; connect-src {server_url} {ws_url}; "
        "style-src 'none'; img-src 'none'; frame-src 'none'"
    )


class _Handler(BaseHTTPRequestHandler):
    pages: dict[str, str] = {}  # noqa: RUF012 (set per server below)
    csp: dict[str, str] = {}  # noqa: RUF012

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        body = self.pages.get(path)
        if body is None:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        if path in self.csp:
            self.send_header("Content-Security-Policy", self.csp[path])
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def hostile_site(server_url: str, site_key: str) -> Iterator[str]:
    """Serve two hostile pages (``/`` and ``/page2``) and a strict-CSP page (``/csp``) on a
    loopback port; yields the origin."""
    widget = f"{server_url}/widget.js"
    pages = {
        "/": page(
            widget,
            site_key,
            "New 2025 Toyota Tacoma | Hostile Motors",
            vehicle_json_ld(2025, "Toyota", "Tacoma", "3TMLB5JN0SM000001"),
            "/page2",
        ),
        "/page2": page(
            widget,
            site_key,
            "Financing | Hostile Motors",
            vehicle_json_ld(2025, "Toyota", "Tacoma", "3TMLB5JN0SM000001"),
            "/",
        ),
    }
    pages["/csp"] = strict_csp_page(widget, site_key)
    csp = {"/csp": strict_csp(server_url)}
    handler = type("HostileHandler", (_Handler,), {"pages": pages, "csp": csp})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
