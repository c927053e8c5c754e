"""Does a page fit its window? The one sideways-scrolling check every browser test uses.

A page fits when the document is no wider than the window and no visible element reaches past
its right edge. An element inside a box that scrolls or clips sideways (the console's page
tabs on a phone scroll as a strip of their own) does not widen the page, so it does not count;
nor does anything hidden.
"""

from __future__ import annotations

from playwright.async_api import Page

STICKING_OUT = """(limit) => {
  const clippedByBox = (element) => {
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== 'visible') return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .filter((e) => !e.closest('[hidden]') && !clippedByBox(e))
    .slice(0, limit)
    .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`
      + ` right=${Math.round(e.getBoundingClientRect().right)}`);
}"""


async def document_fits(page: Page) -> bool:
    """No sideways scrolling: the document is no wider than the window."""
    return bool(
        await page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    )


async def sticking_out(page: Page, limit: int = 5) -> list[str]:
    """The first ``limit`` visible elements that reach past the window's right edge."""
    return list(await page.evaluate(STICKING_OUT, limit))


async def overflow_problems(page: Page) -> list[str]:
    """[] when the page fits its window; otherwise what sticks out, to name in a failure."""
    out = await sticking_out(page)
    if await document_fits(page) and not out:
        return []
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    return [f"{width} px wide in a {page.viewport_size} window", *out]
