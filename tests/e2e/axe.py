"""axe-core (vendored: assets/axe.min.js, MPL-2.0) run in the page; serious and critical only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE = Path(__file__).parent / "assets" / "axe.min.js"


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


async def serious_violations_in(page: Page, selector: str = "dealer-chat-widget") -> list[str]:
    """Run axe on ``selector`` (shadow DOM included); the serious and critical findings."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(path=str(AXE))
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
