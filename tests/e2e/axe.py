"""axe-core (vendored: assets/axe.min.js, MPL-2.0) run in the page; serious and critical only."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Page, Route

AXE = Path(__file__).parent / "assets" / "axe.min.js"


async def _add_axe(page: Page) -> None:
    """Load axe as a same-origin script file that Playwright answers itself.

    ``add_script_tag(path=...)`` would inline it, and the console's Content-Security-Policy
    (rightly) refuses inline scripts; a same-origin URL is allowed by ``script-src 'self'``.
    """
    parts = urlsplit(page.url)
    url = f"{parts.scheme}://{parts.netloc}/__e2e__/axe.min.js"

    async def serve(route: Route) -> None:
        await route.fulfill(path=str(AXE), content_type="text/javascript; charset=utf-8")

    await page.route(url, serve)
    await page.add_script_tag(url=url)


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    await _add_axe(page)
    result = await page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


async def serious_violations_in(page: Page, selector: str = "dealer-chat-widget") -> list[str]:
    """Run axe on ``selector`` (shadow DOM included); the serious and critical findings."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await _add_axe(page)
    found = await page.evaluate(
        """async (selector) => {
          const options = { resultTypes: ['violations', 'passes'] };
          const result = await axe.run({ include: [[selector]] }, options);
          // Guard against a vacuous pass: axe must have seen the widget's buttons.
          let buttons = 0;
          for (const p of result.passes) if (p.id === 'button-name') buttons += p.nodes.length;
          const out = buttons ? [] : ['axe inspected no button of the widget'];
          for (const v of result.violations) {
            if (v.impact !== 'serious' && v.impact !== 'critical') continue;
            const where = [];
            for (const n of v.nodes) where.push(JSON.stringify(n.target));
            out.push(`${v.id} (${v.impact}): ${v.help} at ${where.join(', ')}`);
          }
          return out;
        }""",
        selector,
    )
    return list(found)
