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

from assess.catalog import t
from assess.rubric.common import Strict, Text

Measure = Literal["employees", "revenue", "total_assets"]
# The firm's values its size class is classified by: the figures and the industry.
SIZE_FACTS = frozenset({"employees", "industry", "revenue", "total_assets"})
SizeClass = Literal["large", "medium", "small", "micro"]


def _size_label(size: str) -> str:
    """大型企业(不属于中小企业), 中型企业 …: a class as the size reason names it."""
    return t(f"operator.sizing.class.{size}")


class IndustryRow(Strict):
    title: Text
    sme_below_any: dict[Measure, Decimal] = Field(min_length=1)
    medium: dict[Measure, Decimal] = Field(min_length=1)
    small: dict[Measure, Decimal] = Field(min_length=1)


class SizeStandard(Strict):
    schema_version: Literal[1]
    id: str
    title: Text
    document: Text
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


_MEASURE_UNIT = {"employees": "persons", "revenue": "wan_yuan", "total_assets": "wan_yuan"}
_ALL: tuple[SizeClass, ...] = ("large", "medium", "small", "micro")


def _measure(m: str) -> str:
    """从业人员, 营业收入, 资产总额 (the standard's words for its figures)."""
    return t(f"operator.sizing.measure.{m}")


def _unit(m: str) -> str:
    return t(f"label.unit.{_MEASURE_UNIT[m]}")


def _names(measures: Iterable[str]) -> str:
    return t("operator.list_separator").join(f"{_measure(m)} ({m})" for m in sorted(measures))


def classify(
    standard: SizeStandard, industry: str | None, figures: dict[str, Fraction | None]
) -> SizeResult:
    """The size class from the figures known.  Each step is decided by whichever known
    figure already decides it: one figure under its ceiling makes the firm an SME ("X<1000
    or Y<40000") whatever the other; one figure under its small bound makes it micro.  What
    stays open is given as the classes still possible and the figures that would settle
    it."""
    if industry is None:
        name = t("operator.sizing.industry")
        return SizeResult(None, t("operator.missing", name=name), ("industry",), _ALL)
    row = standard.industries.get(industry)
    if row is None:
        return SizeResult(None, t("operator.sizing.no_industry", industry=repr(industry)))
    value = {m: v for m in _MEASURES if (v := figures.get(m)) is not None}
    title = str(row.title)

    def show(measures: Iterable[str]) -> str:
        return t("operator.figure_separator").join(
            f"{_measure(m)} {_fmt(value[m])} {_unit(m)}" for m in measures if m in value
        )

    def unknown_of(measures: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(m for m in measures if m not in value))

    ceiling = row.sme_below_any
    under_ceiling = [m for m, c in ceiling.items() if m in value and value[m] < Fraction(c)]
    if not under_ceiling:
        open_ = unknown_of(row.sme_below_any)
        if open_:
            shown = show(row.sme_below_any) or t("operator.sizing.data")
            why = t("operator.sizing.open", title=title, shown=shown, names=_names(open_))
            return SizeResult(None, why, open_, _ALL)
        limits = t("operator.best.or").join(
            f"{_measure(m)} < {c} {_unit(m)}" for m, c in row.sme_below_any.items()
        )
        why = t("operator.sizing.large", title=title, shown=show(row.sme_below_any), limits=limits)
        return SizeResult("large", why)
    sme = t("operator.sizing.sme", title=title, shown=show(under_ceiling))

    def decided(size: SizeClass, measures: Iterable[str]) -> SizeResult:
        why = t("operator.sizing.class", title=title, shown=show(measures), size=_size_label(size))
        return SizeResult(size, why)

    # micro: any small-bound figure under its bound; medium: every medium bound met.
    if any(m in value and value[m] < Fraction(b) for m, b in row.small.items()):
        return decided(
            "micro", [m for m, b in row.small.items() if m in value and value[m] < Fraction(b)]
        )
    if all(m in value and value[m] >= Fraction(b) for m, b in row.medium.items()):
        return decided("medium", row.medium)
    medium_out = any(m in value and value[m] < Fraction(b) for m, b in row.medium.items())
    if medium_out and all(m in value and value[m] >= Fraction(b) for m, b in row.small.items()):
        return decided("small", row.small)
    candidates: tuple[SizeClass, ...] = (
        ("small", "micro") if medium_out else ("medium", "small", "micro")
    )
    open_ = unknown_of(set(row.small) | (set() if medium_out else set(row.medium)))
    labels = t("operator.list_separator").join(_size_label(c) for c in candidates)
    why = t("operator.sizing.undecided", sme=sme, labels=labels, names=_names(open_))
    return SizeResult(None, why, open_, candidates)


_MEASURES: tuple[Measure, ...] = ("employees", "revenue", "total_assets")


def _fmt(v: Fraction | None) -> str:
    if v is None:
        return "?"
    if v.denominator == 1:
        return str(v.numerator)
    return f"{float(v):g}"
