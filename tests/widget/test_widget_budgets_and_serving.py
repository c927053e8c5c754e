"""The widget's size budgets, measured on the real files with gzip, and how the server sends
them: compressed, revalidated by ETag, the chat UI cacheable for a year under its hash."""

from __future__ import annotations

import gzip
from collections.abc import Awaitable, Callable

import httpx

from chat_server.demo_world import DEMO_SITE_KEY
from chat_server.transport.widget_routes import CHAT_UI, LOADER, WIDGET_DIR
from tests.support.inprocess import InProcessServer

LOADER_BUDGET = 6 * 1024
WHOLE_UI_BUDGET = 30 * 1024


def gzipped_size(name: str) -> int:
    return len(gzip.compress((WIDGET_DIR / name).read_bytes(), compresslevel=9))


def test_the_loader_and_the_whole_ui_fit_their_gzip_budgets() -> None:
    loader = gzipped_size(LOADER)
    ui = gzipped_size(CHAT_UI)
    assert loader <= LOADER_BUDGET, f"loader is {loader} bytes gzipped"
    assert loader + ui <= WHOLE_UI_BUDGET, f"loader + chat UI are {loader + ui} bytes gzipped"


async def test_the_server_sends_the_widget_compressed_and_cacheable(
    serve_inprocess: Callable[..., Awaitable[InProcessServer]],
) -> None:
    server = await serve_inprocess()
    async with httpx.AsyncClient(base_url=server.url) as http:
        plain = await http.get("/widget.js", headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200 and "content-encoding" not in plain.headers
        assert plain.headers["content-type"].startswith("text/javascript")
        assert "__UI_VERSION__" not in plain.text

        # httpx would decompress silently: read the raw bytes to measure what travels.
        async with http.stream("GET", "/widget.js", headers={"Accept-Encoding": "gzip"}) as raw:
            wire = b"".join([chunk async for chunk in raw.aiter_raw()])
            assert raw.headers["content-encoding"] == "gzip"
            assert raw.headers["cache-control"] == "public, max-age=300"
            etag = raw.headers["etag"]
        assert len(wire) <= LOADER_BUDGET
        assert gzip.decompress(wire).decode() == plain.text

        again = await http.get("/widget.js", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""

        # The loader names the chat UI by its content hash; that URL is immutable.
        start = plain.text.index("/widget/chat-ui.js?v=")
        ui_path = plain.text[start : plain.text.index("'", start)]
        ui = await http.get(ui_path, headers={"Accept-Encoding": "gzip"})
        assert ui.status_code == 200
        assert ui.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert ui.text == (WIDGET_DIR / CHAT_UI).read_text()
        stale = await http.get("/widget/chat-ui.js?v=old")
        assert stale.headers["cache-control"] == "public, max-age=300"

        config = await http.get("/widget/config", params={"site": DEMO_SITE_KEY})
        assert config.json() == {
            "name": "Demo Motors",
            "color": "#b3121a",
            "logo_url": "",
            "position": "right",
            "language": "en",
        }
        assert config.headers["access-control-allow-origin"] == "*"
        missing = await http.get("/widget/config", params={"site": "nope"})
        assert missing.status_code == 404
