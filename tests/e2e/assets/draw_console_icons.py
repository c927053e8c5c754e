"""Draw the console's app icons (operator_console/static/icons/*.png), with no image library.

Run ``.venv/bin/python tests/e2e/assets/draw_console_icons.py`` after changing the art; the
PNGs are committed, so the server never draws anything. The art: the console's brand blue with
a white chat bubble holding three dots (the same shapes as icons/icon.svg). Each shape is a
signed distance field sampled once per pixel, which gives anti-aliased edges without
supersampling; the PNG encoder is zlib and struct (RFC 2083: IHDR, one IDAT, IEND).

- ``icon-192.png``, ``icon-512.png`` (purpose "any"): a rounded square, transparent corners;
- ``icon-maskable-512.png`` (purpose "maskable"): full bleed, the bubble inside the central
  circle of radius 40 % that every launcher mask keeps;
- ``apple-touch-icon.png`` (180 px, opaque: iOS rounds it itself);
- ``badge-96.png``: the bubble alone in white on transparent, for the Android status bar,
  which uses only the alpha channel.
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

BRAND = (0x0B, 0x5C, 0xAD)
WHITE = (0xFF, 0xFF, 0xFF)
UNITS = 512.0  # the art is drawn on a 512-unit square, then sampled at each size
OUT = Path(__file__).resolve().parents[3] / "operator_console" / "static" / "icons"

Sdf = Callable[[float, float], float]


def rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> Sdf:
    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 - r, (y1 - y0) / 2 - r

    def sdf(x: float, y: float) -> float:
        qx, qy = abs(x - cx) - hx, abs(y - cy) - hy
        outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
        return outside + min(max(qx, qy), 0.0) - r

    return sdf


def circle(cx: float, cy: float, r: float) -> Sdf:
    return lambda x, y: math.hypot(x - cx, y - cy) - r


def polygon(points: list[tuple[float, float]]) -> Sdf:
    def sdf(x: float, y: float) -> float:
        best, inside = math.inf, False
        for (ax, ay), (bx, by) in zip(points, points[1:] + points[:1], strict=True):
            ex, ey, wx, wy = bx - ax, by - ay, x - ax, y - ay
            t = max(0.0, min(1.0, (wx * ex + wy * ey) / (ex * ex + ey * ey)))
            best = min(best, math.hypot(wx - ex * t, wy - ey * t))
            if (ay > y) != (by > y) and x < ax + (y - ay) * ex / ey:
                inside = not inside
        return -best if inside else best

    return sdf


def union(*shapes: Sdf) -> Sdf:
    return lambda x, y: min(s(x, y) for s in shapes)


def bubble(scale: float = 1.0) -> tuple[Sdf, Sdf]:
    """The chat bubble and its three dots, scaled about the centre."""

    def at(v: float) -> float:
        return 256 + (v - 256) * scale

    body = rounded_rect(at(112), at(132), at(400), at(340), 60 * scale)
    tail = polygon([(at(150), at(300)), (at(240), at(320)), (at(136), at(404))])
    dots = union(*(circle(at(cx), at(236), 25 * scale) for cx in (180, 256, 332)))
    return union(body, tail), dots


def coverage(sdf: Sdf, x: float, y: float, px: float) -> float:
    """How much of the pixel at (x, y) the shape covers: 0.5 - distance, in pixels."""
    return max(0.0, min(1.0, 0.5 - sdf(x, y) / px))


def render(size: int, pixel: Callable[[float, float, float], tuple[int, int, int, int]]) -> bytes:
    px = UNITS / size  # units per pixel
    rows = bytearray()
    for j in range(size):
        rows.append(0)  # filter: none
        y = (j + 0.5) * px
        for i in range(size):
            rows.extend(pixel((i + 0.5) * px, y, px))
    return bytes(rows)


def mix(a: tuple[int, ...], b: tuple[int, ...], t: float) -> tuple[int, ...]:
    return tuple(round(p + (q - p) * t) for p, q in zip(a, b, strict=True))


def app_icon(*, rounded: bool, scale: float = 1.0) -> Callable[..., tuple[int, int, int, int]]:
    back = rounded_rect(0, 0, UNITS, UNITS, 112) if rounded else None
    shape, dots = bubble(scale)

    def pixel(x: float, y: float, px: float) -> tuple[int, int, int, int]:
        alpha = coverage(back, x, y, px) if back else 1.0
        colour = mix(BRAND, WHITE, coverage(shape, x, y, px))
        colour = mix(colour, BRAND, coverage(dots, x, y, px))
        return (*colour, round(alpha * 255))  # type: ignore[return-value]

    return pixel


def badge() -> Callable[..., tuple[int, int, int, int]]:
    shape, dots = bubble(1.3)

    def pixel(x: float, y: float, px: float) -> tuple[int, int, int, int]:
        alpha = coverage(shape, x, y, px) * (1 - coverage(dots, x, y, px))
        return (255, 255, 255, round(alpha * 255))

    return pixel


def png(size: int, rgba_rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
        + chunk(b"IEND", b"")
    )


ICONS: dict[str, tuple[int, Callable[..., tuple[int, int, int, int]]]] = {
    "icon-192.png": (192, app_icon(rounded=True)),
    "icon-512.png": (512, app_icon(rounded=True)),
    "icon-maskable-512.png": (512, app_icon(rounded=False, scale=0.86)),
    "apple-touch-icon.png": (180, app_icon(rounded=False, scale=0.92)),
    "badge-96.png": (96, badge()),
}


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, (size, pixel) in ICONS.items():
        (out / name).write_bytes(png(size, render(size, pixel)))
        print(f"wrote {out / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
