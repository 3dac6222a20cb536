"""Charts as inline SVG strings, drawn here: no browser, no plotting library.

WeasyPrint draws inline SVG itself, text included, so every `<text>` names the same CJK
font chain as the page.  Coordinates are rounded to 0.1 so the output (and the golden
files) are stable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

# Every chain ends in a CJK face: a Latin fallback would draw Chinese as boxes.
FONT_STACK = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Noto Sans CJK JP'"

INK = "#1f2d3d"
ACCENT = "#1f4e79"
ACCENT_LIGHT = "#9dbbd8"
GRID = "#c9d3de"
TRACK = "#e8edf2"
PASS = "#2e7d32"
FAIL = "#c62828"
PENDING = "#b26a00"


def _n(x: float) -> str:
    """A coordinate: one decimal, no trailing zeros."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class Axis:
    label: str
    percent: float  # 0–100: the class score as % of its maximum
    minimum: float | None = None  # the class minimum as % of maximum, if the rule has one


def radar(axes: Sequence[Axis], *, radius: float = 78, label: str = "") -> str:
    """A radar of class scores as % of max, with the class minima dashed.  Needs ≥ 3 axes."""
    if len(axes) < 3:
        raise ValueError("a radar needs at least three axes")
    # Room beside the radar for the longest side label (CJK ≈ one em per character).
    side = [a.label for i, a in enumerate(axes)
            if abs(math.cos(-math.pi / 2 + 2 * math.pi * i / len(axes))) >= 0.3]
    pad_x = max(60.0, 10.0 * max((len(t) for t in side), default=0) + 14)
    pad_y = 34.0
    width, height = 2 * (radius + pad_x), 2 * (radius + pad_y)
    cx, cy = width / 2, height / 2
    n = len(axes)

    def point(i: int, pct: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        r = radius * max(0.0, min(pct, 100.0)) / 100
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    def polygon(pcts: Sequence[float]) -> str:
        return " ".join(f"{_n(x)},{_n(y)}" for x, y in (point(i, p) for i, p in enumerate(pcts)))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart radar" '
           f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
           f'font-family="{FONT_STACK}" font-size="10" role="img" '
           f'aria-label="{escape(label or "分类得分雷达图")}">']
    for ring in (25, 50, 75, 100):
        out.append(f'<polygon points="{polygon([ring] * n)}" fill="none" stroke="{GRID}" '
                   f'stroke-width="{1 if ring == 100 else 0.6}"/>')
    for i in range(n):
        x, y = point(i, 100)
        out.append(f'<line x1="{_n(cx)}" y1="{_n(cy)}" x2="{_n(x)}" y2="{_n(y)}" '
                   f'stroke="{GRID}" stroke-width="0.6"/>')
    for ring in (50, 100):
        x, y = point(0, ring)
        out.append(f'<text x="{_n(x + 3)}" y="{_n(y + 9)}" font-size="7" fill="#8795a1">'
                   f'{ring}%</text>')
    out.append(f'<polygon points="{polygon([a.percent for a in axes])}" fill="{ACCENT}" '
               f'fill-opacity="0.22" stroke="{ACCENT}" stroke-width="1.6"/>')
    if any(a.minimum is not None for a in axes):
        mins = [a.minimum or 0.0 for a in axes]
        out.append(f'<polygon points="{polygon(mins)}" fill="none" stroke="{FAIL}" '
                   f'stroke-width="1" stroke-dasharray="3 2"/>')
    for i, a in enumerate(axes):
        x, y = point(i, a.percent)
        out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="2.4" fill="{ACCENT}"/>')
    for i, a in enumerate(axes):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        cos, sin = math.cos(angle), math.sin(angle)
        lx, ly = cx + (radius + 8) * cos, cy + (radius + 8) * sin
        anchor = "middle" if abs(cos) < 0.3 else "start" if cos > 0 else "end"
        # Above the top, below the bottom, centred on the side: two lines of text.
        top = ly - 14 if sin < -0.7 else ly + 4 if sin > 0.7 else ly - 4
        pct = f"{a.percent:.0f}%"
        out.append(f'<text x="{_n(lx)}" y="{_n(top)}" text-anchor="{anchor}" fill="{INK}" '
                   f'font-size="10">{escape(a.label)}</text>')
        out.append(f'<text x="{_n(lx)}" y="{_n(top + 11)}" text-anchor="{anchor}" '
                   f'fill="{ACCENT}" font-size="9" font-weight="bold">{pct}</text>')
    out.append("</svg>")
    return "".join(out)


def bar(points: Decimal, maximum: Decimal, *, scale: Decimal | None = None,
        next_points: Decimal | None = None, marker: Decimal | None = None,
        unknown: bool = False, status: str = "", width: float = 150,
        height: float = 12) -> str:
    """One horizontal bar: points against the indicator's max.

    `scale` is the largest max on the chart, so a 10-point indicator's track is half as
    long as a 20-point one's; `next_points` shades what the next band would add; `marker`
    draws a tick (a class minimum, a pass mark); an unknown indicator gets a dashed empty
    track.
    """
    scale = scale if scale is not None and scale > 0 else maximum
    if scale <= 0:
        scale = Decimal(1)
    unit = width / float(scale)
    track = unit * float(maximum)
    fill = unit * float(min(max(points, Decimal(0)), maximum))
    colour = {"pass": PASS, "fail": FAIL, "pending": PENDING}.get(status, ACCENT)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bar" width="{_n(width)}" '
           f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}">']
    if unknown:
        out.append(f'<rect x="0.5" y="0.5" width="{_n(max(track - 1, 1))}" '
                   f'height="{_n(height - 1)}" rx="2" fill="#f6f0e4" stroke="{PENDING}" '
                   f'stroke-width="0.8" stroke-dasharray="3 2"/>')
    else:
        out.append(f'<rect x="0" y="0" width="{_n(track)}" height="{_n(height)}" rx="2" '
                   f'fill="{TRACK}"/>')
        if next_points is not None and next_points > points:
            nxt = unit * float(min(next_points, maximum))
            out.append(f'<rect x="{_n(fill)}" y="0" width="{_n(nxt - fill)}" '
                       f'height="{_n(height)}" fill="{ACCENT_LIGHT}" fill-opacity="0.55"/>')
        if fill > 0:
            out.append(f'<rect x="0" y="0" width="{_n(fill)}" height="{_n(height)}" rx="2" '
                       f'fill="{colour}"/>')
    if marker is not None and maximum > 0:
        mx = unit * float(min(marker, maximum))
        out.append(f'<line x1="{_n(mx)}" y1="-1" x2="{_n(mx)}" y2="{_n(height + 1)}" '
                   f'stroke="{FAIL}" stroke-width="1.4"/>')
    out.append("</svg>")
    return "".join(out)
