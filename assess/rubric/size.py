"""The SME size standard (中小企业划型标准规定, 2011) as data plus one classifier.

The table lives in `rubrics/size/*.yaml`.  For each industry: the firm is an SME when any
ceiling figure is under its ceiling; medium and small each need every lower bound met
(otherwise the firm drops a tier); micro is what is left.  With figures missing, whatever
the known ones already decide is decided; the rest is left open with the classes still
possible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import Field

from assess.rubric.common import Strict, Text

Measure = Literal["employees", "revenue", "total_assets"]
SizeClass = Literal["large", "medium", "small", "micro"]
SIZE_LABELS: dict[str, str] = {
    "large": "大型企业(不属于中小企业)",
    "medium": "中型企业",
    "small": "小型企业",
    "micro": "微型企业",
}


class IndustryRow(Strict):
    title: str
    sme_below_any: dict[Measure, Decimal] = Field(min_length=1)
    medium: dict[Measure, Decimal] = Field(min_length=1)
    small: dict[Measure, Decimal] = Field(min_length=1)


class SizeStandard(Strict):
    schema_version: Literal[1]
    id: str
    title: Text
    document: str
    status: Literal["official", "provisional"]
    industries: dict[str, IndustryRow]


@dataclass(frozen=True)
class SizeResult:
    size_class: SizeClass | None
    reason: str
    missing: tuple[str, ...] = ()
    # The classes still possible when the figures known do not settle one: ("medium",
    # "small", "micro") for an SME whose headcount is unknown, say.  Empty when decided or
    # when nothing is known.
    candidates: tuple[SizeClass, ...] = ()


_MEASURE_LABEL = {"employees": "从业人员", "revenue": "营业收入", "total_assets": "资产总额"}
_MEASURE_UNIT = {"employees": "人", "revenue": "万元", "total_assets": "万元"}
_ALL: tuple[SizeClass, ...] = ("large", "medium", "small", "micro")


def _names(measures: Iterable[str]) -> str:
    return "、".join(f"{_MEASURE_LABEL[m]} ({m})" for m in sorted(measures))


def classify(
    standard: SizeStandard, industry: str | None, figures: dict[str, Fraction | None]
) -> SizeResult:
    """The size class from the figures known.  Each step is decided by whichever known
    figure already decides it: one figure under its ceiling makes the firm an SME ("X<1000
    or Y<40000") whatever the other; one figure under its small bound makes it micro.  What
    stays open is given as the classes still possible and the figures that would settle
    it."""
    if industry is None:
        return SizeResult(None, "缺少数据：所属行业(划型) (industry)", ("industry",), _ALL)
    row = standard.industries.get(industry)
    if row is None:
        return SizeResult(None, f"划型标准中没有行业 {industry!r}")
    value = {m: v for m in _MEASURES if (v := figures.get(m)) is not None}

    def show(measures: Iterable[str]) -> str:
        return "，".join(
            f"{_MEASURE_LABEL[m]} {_fmt(value[m])} {_MEASURE_UNIT[m]}"
            for m in measures
            if m in value
        )

    def unknown_of(measures: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(m for m in measures if m not in value))

    ceiling = row.sme_below_any
    under_ceiling = [m for m, c in ceiling.items() if m in value and value[m] < Fraction(c)]
    if not under_ceiling:
        open_ = unknown_of(row.sme_below_any)
        if open_:
            return SizeResult(
                None,
                f"{row.title}：{show(row.sme_below_any) or '划型数据'}，无法判断是否属于中小企业，"
                f"缺少数据：{_names(open_)}",
                open_,
                _ALL,
            )
        limits = " 或 ".join(
            f"{_MEASURE_LABEL[m]} < {c} {_MEASURE_UNIT[m]}" for m, c in row.sme_below_any.items()
        )
        return SizeResult("large", f"{row.title}：{show(row.sme_below_any)}，未满足 {limits}")
    sme = f"{row.title}：{show(under_ceiling)}，属于中小企业"
    # micro: any small-bound figure under its bound; medium: every medium bound met.
    if any(m in value and value[m] < Fraction(b) for m, b in row.small.items()):
        below = [m for m, b in row.small.items() if m in value and value[m] < Fraction(b)]
        return SizeResult("micro", f"{row.title}：{show(below)} → {SIZE_LABELS['micro']}")
    if all(m in value and value[m] >= Fraction(b) for m, b in row.medium.items()):
        return SizeResult("medium", f"{row.title}：{show(row.medium)} → {SIZE_LABELS['medium']}")
    medium_out = any(m in value and value[m] < Fraction(b) for m, b in row.medium.items())
    if medium_out and all(m in value and value[m] >= Fraction(b) for m, b in row.small.items()):
        return SizeResult("small", f"{row.title}：{show(row.small)} → {SIZE_LABELS['small']}")
    candidates: tuple[SizeClass, ...] = (
        ("small", "micro") if medium_out else ("medium", "small", "micro")
    )
    open_ = unknown_of(set(row.small) | (set() if medium_out else set(row.medium)))
    labels = "、".join(SIZE_LABELS[c] for c in candidates)
    return SizeResult(
        None,
        f"{sme}；{labels}之中哪一类未定，补充{_names(open_)}后可确定",
        open_,
        candidates,
    )


_MEASURES: tuple[Measure, ...] = ("employees", "revenue", "total_assets")


def _fmt(v: Fraction | None) -> str:
    if v is None:
        return "?"
    if v.denominator == 1:
        return str(v.numerator)
    return f"{float(v):g}"
