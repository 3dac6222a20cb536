"""Partial knowledge gives bounds, not zeros.

For a firm with some figures left blank, every indicator reports the points its known data
guarantees and the most it could reach.  Property: for any firm and any blanks, the score
of every way of filling the blanks in lies within the bounds, and each bound is reached by
one of them — for every operator.
"""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assess.engine import evaluate, scoring_context
from assess.fields import FIELDS_BY_ID, FieldType
from assess.intake.firm import firm_from_mapping, load_firm_file
from assess.results import IndicatorResult
from assess.rubric import models as m
from assess.rubric.loader import builtin_rubrics
from assess.rubric.operators import OPERATORS, ScoreModel, names_read, operator_for

RUBRICS = builtin_rubrics()
# A local block's override (a score the province gives) is left out: given, it decides.
OVERRIDES = {
    o
    for r in RUBRICS.values()
    for i in r.indicators
    if (o := getattr(i.score, "override", None)) is not None
}
PROVINCES = ["山东省", "四川省", "湖南省"]


def _blocks(score: ScoreModel) -> list[ScoreModel]:
    """The block and, for an operator made of parts, every part's block."""
    out = [score]
    for _, part, _ in operator_for(score).parts(score):
        out.append(part)
    blocks = getattr(score, "blocks", None) or []
    for block in blocks:
        out.extend(p.score for p in block.parts)
    return out


def _uses(operator: str) -> list[tuple[str, str]]:
    """(rubric, indicator) pairs whose score block, or a part of it, uses the operator."""
    return [
        (r.id, ind.id)
        for r in RUBRICS.values()
        for ind in r.indicators
        if any(b.operator == operator for b in _blocks(ind.score))  # type: ignore[attr-defined]
    ]


def _fields_read(rubric: m.Rubric, ind: m.Indicator) -> list[str]:
    ctx = scoring_context(rubric, firm_from_mapping({"name": "甲"}, "t"))
    names: list[str] = []
    for block in _blocks(ind.score):
        for name in sorted(names_read(block)):
            for leaf in ctx.inputs_of(name):
                if leaf in FIELDS_BY_ID and leaf not in names:
                    names.append(leaf)
    return [n for n in names if n not in OVERRIDES]


def _candidates(field_id: str) -> list[Any]:
    """Values to fill a blank with: both ends and the steps between, every choice."""
    spec = FIELDS_BY_ID[field_id]
    if spec.type is FieldType.BOOL:
        return [False, True]
    if spec.type is FieldType.ENUM:
        return list(spec.choice_values)
    if spec.type is FieldType.TEXT:
        return PROVINCES if field_id == "province" else ["甲"]
    values: list[Any] = [0, 1, 2, 3, 5, 10, 100, 1000, 100_000, 10_000_000]
    if spec.type is not FieldType.INT:  # amounts are entered to the cent
        values[1:1] = [Decimal("0.01"), Decimal("0.5")]
    if spec.type is FieldType.PERCENT:
        values = [0, 1, 3, 5, 10, 30, 50, 80, 100]
    if spec.negative_ok:
        values = [-10_000_000, -1000, -10, *values]
    low = spec.minimum if spec.minimum is not None else None
    high = spec.maximum if spec.maximum is not None else None
    return [v for v in values if (low is None or v >= low) and (high is None or v <= high)]


def _value(field_id: str) -> st.SearchStrategy[Any]:
    spec = FIELDS_BY_ID[field_id]
    if spec.type in (FieldType.BOOL, FieldType.ENUM, FieldType.TEXT):
        return st.sampled_from(_candidates(field_id))
    low = spec.minimum if spec.minimum is not None else (-5000 if spec.negative_ok else 0)
    high = spec.maximum if spec.maximum is not None else 60000
    if spec.type is FieldType.INT:
        return st.integers(min_value=low, max_value=min(high, 3000))
    if spec.type is FieldType.PERCENT:
        return st.decimals(min_value=0, max_value=100, places=2)
    return st.decimals(min_value=max(low, 1), max_value=high, places=2)


def _row(result: Any, ind_id: str, part: str | None) -> IndicatorResult:
    ind = next(i for i in result.indicators if i.id == ind_id)
    return ind if part is None else next(p for p in ind.parts if p.id == part)


@st.composite
def _case(draw: st.DrawFn, operator: str) -> tuple[m.Rubric, str, dict[str, Any], list[str]]:
    rubric_id, ind_id = draw(st.sampled_from(_uses(operator)))
    rubric = RUBRICS[rubric_id]
    ind = next(i for i in rubric.indicators if i.id == ind_id)
    data: dict[str, Any] = {"name": "性质测试企业"}
    for name in sorted(rubric.inputs):
        if name in FIELDS_BY_ID and name not in OVERRIDES:
            data[name] = draw(_value(name))
    fields = _fields_read(rubric, ind)
    blanks = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=2, unique=True))
    return rubric, ind_id, data, blanks


def _near_extremes(
    field_id: str,
    fillings: list[tuple[tuple[Any, ...], Any]],
    ind_id: str,
    key: str | None,
    fill: Any,
) -> list[tuple[tuple[Any, ...], Any]]:
    """More fillings of one numeric blank, for a bound the candidates did not reach: a
    finer grid (1, 2, 3, 5 and 7 in each decade), then, to the cent (or the unit), where
    the row's points change between two of those values (by halving), and near where the
    row's figure is least and where it is greatest (by ternary search between the values
    on either side of the one that gives it).  A bound can be reached only inside a gap of
    the candidates: a tier of "R&D intensity ≥ 3 % in both years and R&D expense growing"
    with last-but-one year's R&D blank needs it between the 3 % line and last year's
    figure (10.01–20.00 for one firm); and ((a / x − 1) + (x / c − 1)) / 2, a growth rate
    averaged over two years with the middle year blank, is least at x = √(ac)."""
    spec = FIELDS_BY_ID[field_id]
    if spec.type not in (FieldType.INT, FieldType.NUMBER, FieldType.MONEY, FieldType.PERCENT):
        return []
    unit = Fraction(1) if spec.type is FieldType.INT else Fraction(1, 100)
    low = Fraction(spec.minimum) if spec.minimum is not None else None
    high = Fraction(spec.maximum) if spec.maximum is not None else None
    tried = {Fraction(values[0]) for values, _ in fillings}
    finer = {unit * k * 10**e for k in (1, 2, 3, 5, 7) for e in range(12)}
    if spec.negative_ok:
        finer |= {-x for x in finer}

    def entry(x: Fraction) -> Any:
        x = x if low is None else max(x, low)
        x = x if high is None else min(x, high)
        return int(x) if unit == 1 else Decimal(int(x * 100)) / 100

    made: list[tuple[tuple[Any, ...], Any]] = []

    def row_at(x: Fraction) -> IndicatorResult:
        """The row with the blank filled with x (as entered), the filling kept."""
        values = (entry(x),)
        done = fill(values)
        made.append((values, done))
        return _row(done, ind_id, key)

    for x in sorted(finer):
        if (low is None or x >= low) and (high is None or x <= high) and x not in tried:
            row_at(x)
    # Between neighbours scoring differently, halve down to the unit, each half whose ends
    # still differ: a tier holding only between two grid points borders on such a change.
    points = {
        Fraction(v[0]): r.points
        for v, done in [*fillings, *made]
        if (r := _row(done, ind_id, key)).status != "unknown"
    }
    edges = sorted(points)
    pending = [(a, b) for a, b in itertools.pairwise(edges) if points[a] != points[b]]
    budget = 400
    while pending and budget:
        lo, hi = pending.pop()
        if hi - lo <= unit:
            continue
        mid = lo + (hi - lo) // (2 * unit) * unit
        row = row_at(mid)
        budget -= 1
        if row.status == "unknown":
            continue
        points[mid] = row.points
        pending += [(a, b) for a, b in ((lo, mid), (mid, hi)) if points[a] != points[b]]
    everything = [*fillings, *made]
    xs = sorted({Fraction(values[0]) for values, _ in everything})
    figures = {Fraction(v[0]): _row(done, ind_id, key).value for v, done in everything}
    known = [x for x in xs if figures[x] is not None]
    if not known:
        return made
    for pick in (min, max):
        at = pick(known, key=lambda x: figures[x])
        i = xs.index(at)
        lo, hi = xs[max(i - 1, 0)], xs[min(i + 1, len(xs) - 1)]
        while hi - lo > unit:
            m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
            f1, f2 = row_at(m1).value, row_at(m2).value
            if f1 is None or f2 is None:
                break
            if (f1 < f2) == (pick is min):
                hi = m2
            else:
                lo = m1
        for x in (lo, hi):
            row_at(math.floor(x / unit) * unit)
            row_at(math.ceil(x / unit) * unit)
    return made


PROFILE = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("operator", list(OPERATORS))
def test_bounds_hold_and_are_tight_for_every_operator(operator: str) -> None:
    assert _uses(operator), f"no bundled rubric uses {operator}"

    @PROFILE
    @given(_case(operator))
    def check(case: tuple[m.Rubric, str, dict[str, Any], list[str]]) -> None:
        rubric, ind_id, data, blanks = case
        blank = {k: v for k, v in data.items() if k not in blanks}
        partial = evaluate(rubric, firm_from_mapping(blank, "partial"))
        ind = _row(partial, ind_id, None)
        rows = [(None, ind)] + [(p.id, p) for p in ind.parts]
        seen: dict[str | None, list[Decimal]] = {key: [] for key, _ in rows}

        def fill(values: tuple[Any, ...]) -> Any:
            filled = firm_from_mapping(
                {**blank, **dict(zip(blanks, values, strict=True))}, "filled"
            )
            return evaluate(rubric, filled)

        grid = list(itertools.product(*(_candidates(b) for b in blanks)))
        fillings = [(values, fill(values)) for values in grid]
        for key, row in rows:
            reached = {
                r.points
                for _, done in fillings
                if (r := _row(done, ind_id, key)).status != "unknown"
            }
            if (
                len(blanks) == 1
                and row.status == "unknown"
                and not {row.points, row.at_most} <= reached
            ):
                fillings += _near_extremes(blanks[0], fillings, ind_id, key, fill)
        for values, done in fillings:
            if all(i.status != "unknown" for i in done.indicators):  # else no completion
                out = [
                    (i.id, i.points, j.points, j.at_most)
                    for i, j in zip(done.indicators, partial.indicators, strict=True)
                    if not j.points <= i.points <= j.at_most
                ]
                assert partial.total <= done.total <= partial.at_most, (values, out)
            for key, _ in rows:
                row = _row(done, ind_id, key)
                if row.status != "unknown":  # a zero denominator is no completion
                    seen[key].append(row.points)
        for key, row in rows:
            got = seen[key]
            where = (rubric.id, ind_id, key, blanks, row.reason)
            assert all(row.points <= p <= row.at_most for p in got), (where, got)
            if row.status == "unknown" and got:
                assert (min(got), max(got)) == (row.points, row.at_most), (where, got)

    check()


def test_a_blank_ip_field_gives_the_guaranteed_points_and_the_range() -> None:
    """The issue's firm: five Ⅰ类 IP entered, Ⅰ类高价值知识产权数 left blank."""
    rubric = RUBRICS["miit-2022-srdi"]
    data = {"name": "甲", "ip_class1": 5, "ip_class1_self": 5, "ip_class2": 0}
    a = evaluate(rubric, firm_from_mapping(data, "t"))
    ip = next(i for i in a.indicators if "ip_class1_high_value" in i.missing)
    assert ip.status == "unknown" and ip.points > 0 and ip.at_most == ip.max
    assert f"至少 {ip.points} 分；补充 " in ip.reason and f"后最多 {ip.max} 分" in ip.reason
    typed = evaluate(rubric, firm_from_mapping({**data, "ip_class1_high_value": 0}, "t"))
    assert next(i for i in typed.indicators if i.id == ip.id).points == ip.points


def test_the_partial_sample_shows_the_range_and_passes_on_its_lower_bound() -> None:
    """samples/partial.json: one blank IP field (Ⅰ类高价值知识产权数)."""
    firm = load_firm_file(Path(__file__).resolve().parents[1] / "samples" / "partial.json")
    a = evaluate(RUBRICS["miit-2022-innovative"], firm)
    (ip,) = [i for i in a.indicators if "ip_class1_high_value" in i.missing]
    assert ip.status == "unknown" and ip.points < ip.at_most
    assert f"至少 {ip.points} 分；补充 " in ip.reason and f"后最多 {ip.at_most} 分" in ip.reason
    assert a.total < a.at_most
    assert a.pass_mark is not None and a.total >= a.pass_mark and a.pass_status == "pass"


def test_the_least_of_a_growth_rate_inside_a_gap_is_guaranteed_and_reached() -> None:
    """The mean main-revenue growth over two years with the middle year x blank,
    ((a / x − 1) + (x / c − 1)) / 2, is least at x = √(ac): a = 5.46 and c = 4.86 give
    5.993 % at x = 5.15, in the 4-point band; only entries within about 0.06 of it stay
    below 6 %, so round figures near it all give 6 points."""
    rubric = RUBRICS["miit-2022-srdi"]
    data = {"name": "甲", "main_revenue": Decimal("5.46"), "main_revenue_prev2": Decimal("4.86")}

    def growth(extra: dict[str, Any]) -> IndicatorResult:
        return _row(evaluate(rubric, firm_from_mapping({**data, **extra}, "t")), "SRDI-02", None)

    blank = growth({})
    assert (blank.status, blank.points, blank.at_most) == ("unknown", 4, 10)
    assert "至少 4 分" in blank.reason
    assert growth({"main_revenue_prev": Decimal("5.15")}).points == 4
    for x in ("5", "5.05", "5.25", "5.5"):
        assert growth({"main_revenue_prev": Decimal(x)}).points == 6, x


def test_a_tier_that_holds_only_between_two_grid_points_is_within_reach() -> None:
    """RDY-RD-03's top tier (R&D intensity ≥ 3 % in both years and R&D expense growing)
    with last-but-one year's R&D blank: 170 this year and 5,600 of revenue in both years
    give 6 points for 168 ≤ x < 170 only, between the search grid's 100 and 200.  The
    bound says so ("最多 6 分"), as the blank filled in shows."""
    rubric = RUBRICS["srdi-readiness"]
    data = {
        "name": "甲",
        "rd_expense": Decimal("170"),
        "revenue": Decimal("5600"),
        "revenue_prev": Decimal("5600"),
    }

    def trend(extra: dict[str, Any]) -> IndicatorResult:
        return _row(evaluate(rubric, firm_from_mapping({**data, **extra}, "t")), "RDY-RD-03", None)

    blank = trend({})
    assert (blank.status, blank.points, blank.at_most) == ("unknown", 0, 6)
    assert "后最多 6 分" in blank.reason
    filled = {
        x: trend({"rd_expense_prev": Decimal(x)}).points for x in ("167.99", "168", "169.99", "170")
    }
    assert filled == {"167.99": 2, "168": 6, "169.99": 6, "170": 2}
