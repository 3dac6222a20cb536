"""The SME size standard (中小企业划型标准规定, 2011) as data plus one classifier.

The table lives in `rubrics/size/*.yaml`.  For each industry: the firm is an SME when any
ceiling figure is under its ceiling; medium and small each need every lower bound met
(otherwise the firm drops a tier); micro is what is left.
"""

from __future__ import annotations

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


_MEASURE_LABEL = {"employees": "从业人员", "revenue": "营业收入", "total_assets": "资产总额"}
_MEASURE_UNIT = {"employees": "人", "revenue": "万元", "total_assets": "万元"}


def classify(
    standard: SizeStandard, industry: str | None, figures: dict[str, Fraction | None]
) -> SizeResult:
    if industry is None:
        return SizeResult(None, "缺少数据：所属行业(划型) (industry)", ("industry",))
    row = standard.industries.get(industry)
    if row is None:
        return SizeResult(None, f"划型标准中没有行业 {industry!r}")
    needed = set(row.sme_below_any) | set(row.medium) | set(row.small)
    missing = tuple(sorted(m for m in needed if figures.get(m) is None))
    if missing:
        names = "、".join(f"{_MEASURE_LABEL[m]} ({m})" for m in missing)
        return SizeResult(None, f"无法划型，缺少数据：{names}", missing)
    value: dict[str, Fraction] = {}
    for m in needed:
        figure = figures[m]
        assert figure is not None  # checked above
        value[m] = figure

    def show(measures: dict[Measure, Decimal]) -> str:
        return "，".join(
            f"{_MEASURE_LABEL[m]} {_fmt(value[m])} {_MEASURE_UNIT[m]}" for m in measures
        )

    if not any(value[m] < Fraction(c) for m, c in row.sme_below_any.items()):
        limits = " 或 ".join(
            f"{_MEASURE_LABEL[m]} < {c} {_MEASURE_UNIT[m]}" for m, c in row.sme_below_any.items()
        )
        return SizeResult("large", f"{row.title}：{show(row.sme_below_any)}，未满足 {limits}")
    if all(value[m] >= Fraction(b) for m, b in row.medium.items()):
        return SizeResult("medium", f"{row.title}：{show(row.medium)} → {SIZE_LABELS['medium']}")
    if all(value[m] >= Fraction(b) for m, b in row.small.items()):
        return SizeResult("small", f"{row.title}：{show(row.small)} → {SIZE_LABELS['small']}")
    return SizeResult("micro", f"{row.title}：{show(row.small)} → {SIZE_LABELS['micro']}")


def _fmt(v: Fraction | None) -> str:
    if v is None:
        return "?"
    if v.denominator == 1:
        return str(v.numerator)
    return f"{float(v):g}"
