"""Charts as inline SVG strings, drawn here: no browser, no plotting library.

WeasyPrint draws inline SVG itself, text included, so every `<text>` names the same CJK
font chain as the page.  Coordinates are rounded to 0.1 so the output (and the golden
files) are stable.

The many small bars of a report's indicator list are not SVG but `css_bar`: one empty
inline element whose borders and padding are the bar (each inline SVG costs WeasyPrint
about 0.9 ms to parse, lay out and draw; the element about 0.3 ms).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from assess.catalog import t

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
    side = [
        a.label
        for i, a in enumerate(axes)
        if abs(math.cos(-math.pi / 2 + 2 * math.pi * i / len(axes))) >= 0.3
    ]
    pad_x = max(60.0, 10.0 * max((len(name) for name in side), default=0) + 14)
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

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart radar" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'font-family="{FONT_STACK}" font-size="10" role="img" '
        f'aria-label="{escape(label or t("report.html.radar_default"))}">'
    ]
    for ring in (25, 50, 75, 100):
        out.append(
            f'<polygon points="{polygon([ring] * n)}" fill="none" stroke="{GRID}" '
            f'stroke-width="{1 if ring == 100 else 0.6}"/>'
        )
    for i in range(n):
        x, y = point(i, 100)
        out.append(
            f'<line x1="{_n(cx)}" y1="{_n(cy)}" x2="{_n(x)}" y2="{_n(y)}" '
            f'stroke="{GRID}" stroke-width="0.6"/>'
        )
    for ring in (50, 100):
        x, y = point(0, ring)
        out.append(
            f'<text x="{_n(x + 3)}" y="{_n(y + 9)}" font-size="7" fill="#8795a1">{ring}%</text>'
        )
    out.append(
        f'<polygon points="{polygon([a.percent for a in axes])}" fill="{ACCENT}" '
        f'fill-opacity="0.22" stroke="{ACCENT}" stroke-width="1.6"/>'
    )
    if any(a.minimum is not None for a in axes):
        mins = [a.minimum or 0.0 for a in axes]
        out.append(
            f'<polygon points="{polygon(mins)}" fill="none" stroke="{FAIL}" '
            f'stroke-width="1" stroke-dasharray="3 2"/>'
        )
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
        out.append(
            f'<text x="{_n(lx)}" y="{_n(top)}" text-anchor="{anchor}" fill="{INK}" '
            f'font-size="10">{escape(a.label)}</text>'
        )
        out.append(
            f'<text x="{_n(lx)}" y="{_n(top + 11)}" text-anchor="{anchor}" '
            f'fill="{ACCENT}" font-size="9" font-weight="bold">{pct}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def bar(
    points: Decimal,
    maximum: Decimal,
    *,
    scale: Decimal | None = None,
    next_points: Decimal | None = None,
    marker: Decimal | None = None,
    unknown: bool = False,
    status: str = "",
    width: float = 150,
    height: float = 12,
) -> str:
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
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bar" width="{_n(width)}" '
        f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}">'
    ]
    if unknown:
        out.append(
            f'<rect x="0.5" y="0.5" width="{_n(max(track - 1, 1))}" '
            f'height="{_n(height - 1)}" rx="2" fill="#f6f0e4" stroke="{PENDING}" '
            f'stroke-width="0.8" stroke-dasharray="3 2"/>'
        )
    else:
        out.append(
            f'<rect x="0" y="0" width="{_n(track)}" height="{_n(height)}" rx="2" fill="{TRACK}"/>'
        )
        if next_points is not None and next_points > points:
            nxt = unit * float(min(next_points, maximum))
            out.append(
                f'<rect x="{_n(fill)}" y="0" width="{_n(nxt - fill)}" '
                f'height="{_n(height)}" fill="{ACCENT_LIGHT}" fill-opacity="0.55"/>'
            )
        if fill > 0:
            out.append(
                f'<rect x="0" y="0" width="{_n(fill)}" height="{_n(height)}" rx="2" '
                f'fill="{colour}"/>'
            )
    if marker is not None and maximum > 0:
        mx = unit * float(min(marker, maximum))
        out.append(
            f'<line x1="{_n(mx)}" y1="-1" x2="{_n(mx)}" y2="{_n(height + 1)}" '
            f'stroke="{FAIL}" stroke-width="1.4"/>'
        )
    out.append("</svg>")
    return "".join(out)


# ---- bars drawn with CSS -------------------------------------------------------------------

# One class per length, generated for the lengths a report uses (`css_bar_rules`): widths
# in inline style attributes would cost more than the SVG they replace, since an element
# with a style attribute never shares its computed style.
_BAR_PROPERTIES = {
    "f": "border-left-width",
    "n": "padding-left",
    "r": "border-right-width",
    "m": "margin-right",
}
_BAR_CLASS = re.compile(r"\b([fnrm])(\d+)\b")


def css_bar(
    points: Decimal,
    maximum: Decimal,
    *,
    scale: Decimal | None = None,
    next_points: Decimal | None = None,
    unknown: bool = False,
    width: int = 150,
) -> str:
    """`bar` without a marker, as one empty inline element of `width` px (see the module
    note): the left border is the score, the padding what the next band adds (its
    background), the right border the rest of the track, a right margin the blank beyond
    a track shorter than the scale's.  Lengths in whole pixels; `css_bar_rules` gives the
    CSS the classes need.  Styled by `.hb` and `.hb-u` in report.css."""
    scale = scale if scale is not None and scale > 0 else maximum
    if scale <= 0:
        scale = Decimal(1)
    unit = width / float(scale)

    def px(value: Decimal) -> int:  # half up, so equal lengths round alike
        return math.floor(unit * float(value) + 0.5)

    track = px(max(maximum, Decimal(0)))
    blank = max(width - track, 0)
    if unknown:
        return f'<i class="hb hb-u n{max(track - 2, 1)} m{blank}"></i>'
    fill = px(min(max(points, Decimal(0)), maximum))
    nxt = 0
    if next_points is not None and next_points > points:
        nxt = max(px(min(next_points, maximum)) - fill, 0)
    rest = max(track - fill - nxt, 0)
    return f'<i class="hb f{fill} n{nxt} r{rest} m{blank}"></i>'


def css_bar_rules(bars: Iterable[str]) -> str:
    """The CSS rules for the length classes used in `bars` (css_bar markup)."""
    used = {(m.group(1), int(m.group(2))) for bar in bars for m in _BAR_CLASS.finditer(bar)}
    return "\n".join(
        f".hb.{kind}{n} {{ {_BAR_PROPERTIES[kind]}: {n}px; }}" for kind, n in sorted(used)
    )
