"""Exact numbers in, readable numbers out.

The bottom layer: it imports nothing of the package, so the rubric models, the engine and
the reporters can all use it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# What follows a figure of each metric unit (rubric `metrics[].unit`).
UNIT_SUFFIX: dict[str, str] = {
    "percent": "%",
    "wan_yuan": " 万元",
    "years": " 年",
    "count": " 件",
    "persons": " 人",
    "score": " 分",
    "number": "",
}


def to_decimal(value: Fraction | Decimal | int, places: int = 6) -> Decimal:
    """A Decimal rounded half-up to `places`; exact when the fraction terminates there."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    q = Decimal(1).scaleb(-places)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(q, rounding=ROUND_HALF_UP).normalize() + Decimal(0)


def fmt(value: Fraction | Decimal | int | None, places: int = 2) -> str:
    """12.5 -> "12.5", 5 -> "5", 2/3 -> "0.67", 1234567 -> "1,234,567"."""
    if value is None:
        return "?"
    if isinstance(value, int) or (isinstance(value, Fraction) and value.denominator == 1):
        return f"{int(value):,}"  # the common case: whole 万元, persons, points
    exact = to_decimal(value, 10)
    d = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if d != exact and d == d.quantize(Decimal("0.1")):
        # 4.995 must not print as "5" beside a rule that says ≥ 5: show more digits
        # whenever rounding lands on a round number.
        d = exact.quantize(Decimal(1).scaleb(-(places + 2)), rounding=ROUND_HALF_UP)
    text = f"{d:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_unit(value: Fraction | Decimal | int | None, unit: str) -> str:
    suffix = UNIT_SUFFIX.get(unit, "")
    return f"{fmt(value)}{suffix}"


def fmt_points(value: Decimal) -> str:
    return fmt(value, 2)
