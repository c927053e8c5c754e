"""axe-core from npm for the widget's accessibility test, installed into test-artifacts/.

``scripts/test`` installs it up front; running pytest alone installs it on first use.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from playwright.async_api import Page

AXE_VERSION = "4.10.3"
NODE_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "node"
AXE_JS = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"


def axe_script() -> Path:
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install axe-core: apt-get install npm")
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(NODE_DIR),
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            timeout=300,
        )
    return AXE_JS


async def serious_violations(page: Page, selector: str = "dealer-chat-widget") -> list[str]:
    """Run axe on ``selector`` (shadow DOM included); the serious and critical findings."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(path=str(axe_script()))
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
