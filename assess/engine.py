"""evaluate(rubric, firm) -> Assessment: pure, exact, and explained.

The engine imports neither report nor cli, and reads no file: the rubric arrives with its
size standard resolved.  Each indicator is scored by its operator (`assess.rubric.
operators`), which the engine hands its `_Context` as the operator's `Scope`.  It never
raises on missing or odd data: an indicator it cannot decide is `unknown` with its reason
and 0 points, and the assessment says it is incomplete.  All arithmetic is on
`fractions.Fraction`.  The pass rule's judgement is kept as data (`RuleLine`s); the
reporters word it.
"""

from __future__ import annotations

import copy
import functools
import math
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from itertools import product
from typing import Any

from assess import plan as planning
from assess.catalog import Lang, language, t, table
from assess.fields import FIELDS_BY_ID, Field, FieldType
from assess.intake.firm import Firm
from assess.numbers import fmt, to_decimal
from assess.results import (
    Assessment,
    ClassResult,
    ConditionResult,
    IndicatorResult,
    PassStatus,
    Reference,
    RuleLine,
)
from assess.rubric import models as m
from assess.rubric.common import texts
from assess.rubric.expr import Expr, Result, Unknown
from assess.rubric.operators import Outcome, ScoreModel, operator_for
from assess.rubric.operators.bands import band_for, band_label
from assess.rubric.operators.base import with_unit
from assess.rubric.size import SIZE_FACTS, SizeResult, SizeStandard, classify

__all__ = [
    "band_for",
    "band_label",
    "decide",
    "decide_reusing",
    "evaluate",
    "maturity_level",
    "scoring_context",
    "solve_lever",
]


class _Context:
    """The firm's values and computed metrics for one rubric; lives for one evaluation."""

    def __init__(self, rubric: m.Rubric, firm: Firm, fast: bool = False):
        self.rubric = rubric
        self.firm = firm
        # `decide`: operators decide without looking for the next band (`Operator.decide`).
        self.fast = fast
        # What `sweep` found for a name: the env does not change while a context lives.
        self._swept: dict[str, list[Fraction]] = {}
        self.metrics = rubric.metrics_by_id  # the rubric's, built once (read only)
        self.env: dict[str, Any] = {}
        for name in rubric.inputs:
            raw = firm.get(name)
            self.env[name] = (
                Fraction(raw)
                if isinstance(raw, Decimal | int) and not isinstance(raw, bool)
                else raw
            )
        self.size_class: str | None = None
        self.size_reason = ""
        # The classes still possible when the known figures leave the class open: an
        # expression reading size_class is decided when every one of them gives the same.
        self.size_candidates: tuple[str, ...] = ()
        if rubric.size_standard is not None:
            standard = rubric.size_table
            if standard is None:
                raise ValueError(
                    f"rubric {rubric.id}: size standard {rubric.size_standard!r} was not "
                    "resolved; load rubrics through assess.rubric.loader"
                )
            figures = {k: self.env.get(k) for k in ("employees", "revenue", "total_assets")}
            industry = self.env.get("industry")
            sized = _classify(standard, industry if isinstance(industry, str) else None, figures)
            self.size_class, self.size_reason = sized.size_class, sized.reason
            self.size_candidates = sized.candidates
            self.env["size_class"] = (
                sized.size_class
                if sized.size_class is not None
                else Unknown((sized.reason,), sized.missing)
            )
        for metric in rubric.metrics:
            self.env[metric.id] = metric.expr.evaluate(self.env, self.describe)

    @property
    def edge_rule(self) -> str:
        return self.rubric.edge_rule

    def value(self, name: str) -> Any:
        if name in self.env:
            return self.env[name]
        # A field the rubric does not score on (the assessment year a plan dates its
        # targets by) is still the firm's to read.
        return self.firm.get(name) if name in FIELDS_BY_ID else None

    def places(self, name: str) -> int:
        spec = FIELDS_BY_ID.get(name)
        return 0 if spec is not None and spec.type is FieldType.INT else 2

    def solve(self, metric: str, target: Fraction) -> tuple[str, Fraction, Fraction] | None:
        return solve_lever(self, metric, target)

    def score_part(self, score: ScoreModel, maximum: Decimal) -> Outcome:
        return _score(self, score, maximum)

    def sweep(
        self, name: str, settled: Callable[[Fraction, Fraction], bool] | None = None
    ) -> list[Fraction]:
        if settled is not None:
            return sweep(self, name, settled)
        found = self._swept.get(name)
        if found is None:
            found = self._swept[name] = sweep(self, name)
        return list(found)

    def fillings(
        self, names: Iterable[str], conditions: Iterable[Expr] = ()
    ) -> list[_Context] | None:
        """This firm with the blanks `names` are computed from filled in, every way worth
        trying: booleans both ways, every choice, each number over its grid (`_grid`;
        coarser for two blanks).  A lone number blank is also filled on either side of
        where any comparison in `conditions` changes between two grid points (`crossings`):
        a condition may hold only between them.  None when there is no blank to fill, a
        blank is text, or there are more than two."""
        blanks = sorted(
            {
                leaf
                for n in names
                for leaf in self.inputs_of(n)
                if leaf in FIELDS_BY_ID and self.env.get(leaf) is None
            }
        )
        if not blanks or len(blanks) > 2:
            return None
        grids: list[list[Any]] = []
        for b in blanks:
            spec = FIELDS_BY_ID[b]
            if spec.type is FieldType.BOOL:
                grids.append([False, True])
            elif spec.type is FieldType.ENUM:
                grids.append(list(spec.choice_values))
            elif spec.type in _NUMERIC:
                grids.append(_grid(b, steps=(1, 3) if len(blanks) > 1 else (1, 2, 5)))
            else:
                return None
        chain = self._depending_on(set(blanks))
        out = [
            self.filled(dict(zip(blanks, combo, strict=True)), chain) for combo in product(*grids)
        ]
        if len(blanks) == 1 and FIELDS_BY_ID[blanks[0]].type in _NUMERIC:
            (blank,) = blanks
            grid = grids[0]
            between: set[Fraction] = set()

            def at(piece: Expr, x: Fraction) -> object:
                return self.filled({blank: x}, chain).eval(piece)

            for condition in conditions:
                for piece in condition.comparisons:
                    truths = [c.eval(piece) for c in out]
                    between.update(
                        crossings(
                            grid, truths, functools.partial(at, piece), _unit(FIELDS_BY_ID[blank])
                        )
                    )
            out += [self.filled({blank: x}, chain) for x in sorted(between - set(grid))]
        return out

    def _depending_on(self, names: set[str]) -> tuple[m.Metric, ...]:
        """The metrics computed, directly or not, from any of `names`, in order."""
        out, hit = [], set(names)
        for metric in self.rubric.metrics:
            if metric.expr.names & hit:
                out.append(metric)
                hit.add(metric.id)
        return tuple(out)

    def filled(
        self, values: dict[str, Any], metrics: tuple[m.Metric, ...] | None = None
    ) -> _Context:
        """A copy with `values` entered and the metrics computed from them again (all of
        them unless `metrics` names those)."""
        other = copy.copy(self)
        other.env = {**self.env, **values}
        other._swept = {}
        for metric in self.rubric.metrics if metrics is None else metrics:
            other.env[metric.id] = metric.expr.evaluate(other.env, self.describe)
        return other

    def names_figure(self, names: Iterable[str]) -> str:
        return t("operator.figure_separator").join(self.show(n) for n in sorted(names))

    def describe(self, name: str) -> str:
        if name in self.metrics:
            return str(self.metrics[name].title)
        spec = FIELDS_BY_ID.get(name)
        # The questionnaire's label, as the firm reads it; the id stays in `missing`.
        return spec.label if spec else name

    def label(self, name: str) -> str:
        return self.rubric.label_of(name)

    def unit(self, name: str) -> str:
        return self.rubric.unit_of(name)

    def eval(self, expr: Expr) -> Result:
        result = expr.evaluate(self.env, self.describe)
        if isinstance(result, Unknown) and self.size_candidates and "size_class" in expr.names:
            # "X<1000 or Y<40000": an SME whose class is open still passes an SME gate.
            env = dict(self.env)
            seen = set()
            for size in self.size_candidates:
                env["size_class"] = size
                value = expr.evaluate(env, self.describe)
                if isinstance(value, Unknown):
                    return result
                seen.add(value)
            if len(seen) == 1:
                return seen.pop()
        return result

    def number(self, name: str) -> Fraction | Unknown:
        value = self.env.get(name)
        if value is None:
            return Unknown((t("operator.missing", name=self.describe(name)),), (name,))
        if isinstance(value, Unknown | Fraction):
            return value
        return Unknown((t("operator.not_number", name=self.describe(name)),))

    def show(self, name: str) -> str:
        """`上年度研发费用 420 万元` for a field; a metric with its inputs."""
        value = self.env.get(name)
        if name == "size_class":
            if (
                isinstance(value, Unknown)
                and self.size_candidates[:1] != ("large",)
                and (self.size_candidates)
            ):
                return t("operator.size_sme", reason=self.size_reason)
            if value == "large":
                return t("operator.size_large")
            sizes = _labels("label.size", language())
            if str(value) not in sizes:
                return t("operator.unknown_value", name=t("report.text.size_name"))
            return t("operator.size", size=sizes[str(value)])
        if isinstance(value, Unknown) or value is None:
            return t("operator.unknown_value", name=self.label(name))
        if isinstance(value, bool):
            word = t("operator.yes") if value else t("operator.no")
            return t("operator.choice", name=self.label(name), value=word)
        if isinstance(value, str):
            spec = FIELDS_BY_ID.get(name)
            choice = spec.choice_label(value) if spec else value
            return t("operator.choice", name=self.label(name), value=choice)
        return f"{self.label(name)} {with_unit(value, self.unit(name))}"

    def inputs_of(self, name: str) -> list[str]:
        return self.rubric.inputs_of(name)

    def figure(self, name: str) -> str:
        value = self.env.get(name)
        head = (
            with_unit(value, self.unit(name))
            if isinstance(value, Fraction)
            else t("operator.unknown")
        )
        if name not in self.metrics:
            return head
        parts = t("operator.figure_separator").join(self.show(x) for x in self.inputs_of(name))
        return t("operator.figure_inputs", figure=head, inputs=parts)


# The last size class decided, with what it was decided from: the rubrics of a round
# share a size standard and score one firm in a row.  One tuple, replaced whole.
_last_sized: tuple[tuple[object, ...], SizeResult, SizeStandard] | None = None


def _classify(standard: SizeStandard, industry: str | None, figures: dict[str, Any]) -> SizeResult:
    """`size.classify`, given again for the same standard, industry, figures (each with
    its type) and language."""
    global _last_sized
    key = (
        id(standard),
        language(),
        industry,
        *[(v.__class__, v) for v in figures.values()],
        *figures,
    )
    last = _last_sized
    if last is not None and last[0] == key and last[2] is standard:
        return last[1]
    sized = classify(standard, industry, figures)
    _last_sized = (key, sized, standard)
    return sized


@functools.cache
def _labels(prefix: str, lang: Lang) -> dict[str, str]:
    """A catalog label table, built once per language (the catalog does not change)."""
    return table(prefix, lang)


# ---- the lever solver ---------------------------------------------------------------------


def solve_lever(
    ctx: _Context, metric: str, target: Fraction
) -> tuple[str, Fraction, Fraction] | None:
    """The lever value that brings `metric` to `target`, when the metric is linear in it."""
    lever = ctx.metrics[metric].lever if metric in ctx.metrics else metric
    if lever is None:
        return None
    start = ctx.env.get(lever)
    if not isinstance(start, Fraction):
        return None
    if lever == metric:
        return lever, start, target

    chain = _metric_chain(ctx.rubric, metric)

    def at(x: Fraction) -> Fraction | None:
        env = dict(ctx.env)
        env[lever] = x
        for mm in chain:
            env[mm.id] = mm.expr.evaluate(env, ctx.describe)
        v = env[metric]
        return v if isinstance(v, Fraction) else None

    current = ctx.env.get(metric)
    f0 = current if isinstance(current, Fraction) else None
    f1, f2 = at(start + 1), at(start + 2)
    if f0 is None or f1 is None or f2 is None or f1 == f0 or (f2 - f1) != (f1 - f0):
        return None
    return lever, start, start + (target - f0) / (f1 - f0)


# ---- the values a metric can take while its inputs are blank -----------------------------

_NUMERIC = (FieldType.INT, FieldType.NUMBER, FieldType.MONEY, FieldType.PERCENT)
_STEPS = (1, 2, 3, 5, 7)


def _grid(name: str, steps: tuple[int, ...] = _STEPS) -> list[Fraction]:
    """Values a blank field may be filled with: the smallest entry (a cent, or one), then
    `steps` in each decade (1-2-3-5-7) to a billion, within the field's limits (mirrored
    when negative values are allowed)."""
    return list(_grid_of(FIELDS_BY_ID[name], steps))


def _unit(spec: Field) -> Fraction:
    """The precision a number field is entered with: one, or a cent."""
    return Fraction(1) if spec.type is FieldType.INT else Fraction(1, 100)


# By the field itself, not its id: a local rubric may declare a field of its own.
@functools.cache
def _grid_of(spec: Field, steps: tuple[int, ...]) -> tuple[Fraction, ...]:
    unit = _unit(spec)
    top = Fraction(spec.maximum) if spec.maximum is not None else Fraction(10**9)
    bottom = Fraction(spec.minimum) if spec.minimum is not None else Fraction(0)
    values = {Fraction(0), unit, top}
    scale = unit
    while scale <= top:
        values.update(scale * k for k in steps)
        scale *= 10
    if spec.negative_ok and spec.minimum is None:
        values |= {-v for v in values}
        bottom = -top
    return tuple(sorted(v for v in values if bottom <= v <= top))


def crossings(
    grid: Sequence[Any], truths: Sequence[object], truth_at: Callable[[Any], object], unit: Fraction
) -> list[Fraction]:
    """Where a comparison changes between grid points: for each pair of neighbours it is
    decided at, true at one and false at the other, the last value (to `unit`) on the
    first one's side and the first on the other's, by bisection (`truth_at` decides it at
    a value).  A condition made of comparisons, each changing once between two grid
    points, can hold only between them: R&D expense above last-but-one year's and that
    year's at least 3 % of its revenue holds for 168 ≤ x < 170 when 170 and 5,600 are
    known, and the grid's 100 and 200 are both outside."""
    out: list[Fraction] = []
    for i in range(len(grid) - 1):
        left, right = truths[i], truths[i + 1]
        if left.__class__ is not bool or right.__class__ is not bool or left is right:
            continue
        lo, hi = Fraction(grid[i]), Fraction(grid[i + 1])
        while hi - lo > unit:
            mid = lo + (hi - lo) // (2 * unit) * unit
            at = truth_at(mid)
            if at is left:
                lo = mid
            elif at is right:
                hi = mid
            else:
                break
        out += [lo, hi]
    return out


def sweep(
    ctx: _Context, name: str, settled: Callable[[Fraction, Fraction], bool] | None = None
) -> list[Fraction]:
    """The values `name` (a metric, or a field) takes while the blanks it is computed from
    range over what may be entered: a search over each blank's grid, refined by ternary
    search between the grid points around the least and the greatest value found (one
    blank), to the precision the field is entered with.  [] when a blank is not a number
    or there are more than two.

    The refinement only finds values below the least or above the greatest: when
    `settled(least, greatest)` of the grid's values already holds (the caller's answer
    cannot change with a wider range), it is skipped."""
    blanks = [n for n in ctx.inputs_of(name) if ctx.env.get(n) is None]
    if (
        not blanks
        or len(blanks) > 2
        or any(b not in FIELDS_BY_ID or FIELDS_BY_ID[b].type not in _NUMERIC for b in blanks)
    ):
        return []
    chain = _metric_chain(ctx.rubric, name) if name in ctx.metrics else ()

    def at(values: tuple[Fraction, ...]) -> Fraction | None:
        env = dict(ctx.env)
        env.update(zip(blanks, values, strict=True))
        for mm in chain:
            env[mm.id] = mm.expr.evaluate(env, ctx.describe)
        v = env.get(name)
        return v if isinstance(v, Fraction) else None

    grids = [_grid(b, (1, 3)) for b in blanks] if len(blanks) == 2 else [_grid(blanks[0])]
    if len(blanks) == 2:
        found = [at((x, y)) for x in grids[0] for y in grids[1]]
        return [v for v in found if v is not None]
    xs = grids[0]
    ys = [at((x,)) for x in xs]
    out = [v for v in ys if v is not None]
    if not out:
        return []
    if settled is not None and settled(min(out), max(out)):
        return out
    unit = _unit(FIELDS_BY_ID[blanks[0]])
    for pick in (min, max):
        i = ys.index(pick(out))
        lo, hi = xs[max(i - 1, 0)], xs[min(i + 1, len(xs) - 1)]
        better = operator.lt if pick is min else operator.gt
        for _ in range(60):  # ternary search for an extreme between grid points
            if hi - lo <= unit:
                break
            m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
            f1, f2 = at((m1,)), at((m2,))
            if f1 is None or f2 is None:
                break
            if better(f1, f2):
                hi = m2
            else:
                lo = m1
        # The extreme at the precision of the field, on either side of where it lies.
        for x in (lo, hi, (lo + hi) / 2):
            for near in (math.floor(x / unit) * unit, math.ceil(x / unit) * unit):
                v = at((near,))
                if v is not None:
                    out.append(v)
    return out


def scoring_context(rubric: m.Rubric, firm: Firm) -> _Context:
    """The firm's values and computed metrics for one rubric: the `Scope` operators and
    the plan work in."""
    return _Context(rubric, firm)


def _metric_chain(rubric: m.Rubric, metric: str) -> tuple[m.Metric, ...]:
    """The metrics `metric` is computed from, itself last, in declaration order."""
    by_id = {x.id: x for x in rubric.metrics}
    needed: set[str] = set()

    def visit(name: str) -> None:
        if name in by_id and name not in needed:
            needed.add(name)
            for dep in by_id[name].expr.names:
                visit(dep)

    visit(metric)
    return tuple(x for x in rubric.metrics if x.id in needed)


# ---- indicators: each scored by its operator ---------------------------------------------


# An indicator's (points, status, the most its blanks could bring or None), found
# without words (`assess.compiled.reacher`).
Reach = tuple[Decimal, str, Decimal | None]


def _bounded(
    ctx: _Context,
    score: ScoreModel,
    maximum: Decimal,
    reach: Callable[[], Reach | None] | None = None,
) -> Outcome:
    """An operator's decision with its bounds: undecided, its points are what the known
    data guarantees and `high` the most the blanks could bring (taken from what `reach`
    gives when it is given and undecided too, instead of searched)."""
    op = operator_for(score)
    if ctx.fast:
        o = op.decide(score, ctx, maximum)
        if o.next is not None:  # an operator whose next band is cheap may still give it
            o = replace(o, next=None)
    else:
        o = op.score(score, ctx, maximum)
    if o.status != "unknown":
        return o
    found = reach() if reach is not None else None
    if found is not None and found[1] == "unknown" and found[2] is not None:
        return replace(o, points=found[0], high=found[2])
    low, high = op.bounds(score, ctx, maximum, o)
    return replace(o, points=low, high=high)


def _score(ctx: _Context, score: ScoreModel, maximum: Decimal) -> Outcome:
    """An operator's decision, worded by the same operator (for a local block's parts)."""
    o = _bounded(ctx, score, maximum)
    return replace(o, reason=_reason(ctx, score, o))


def _reason(ctx: _Context, score: ScoreModel, o: Outcome) -> str:
    reason = operator_for(score).reason(score, o)
    if o.high is None:
        return reason
    return f"{reason}。{range_words(o.points, o.high, [ctx.label(n) for n in o.missing])}"


def range_words(low: Decimal, high: Decimal, missing: list[str]) -> str:
    """至少 15 分；补充 Ⅰ类高价值知识产权数 后最多 20 分."""
    names = t("operator.list_separator").join(missing)
    if low == high:
        return t(
            "operator.range_same", names=names or t("operator.range_missing_data"), low=fmt(low)
        )
    fill = t("operator.range_fill", names=names) if missing else t("operator.range_complete")
    return t("operator.range", low=fmt(low), fill=fill, high=fmt(high))


def _score_indicator(
    ctx: _Context, ind: m.Indicator, reach: Callable[[], Reach | None] | None = None
) -> IndicatorResult:
    o = _bounded(ctx, ind.score, ind.max, reach)
    status = ind.status or ctx.rubric.status
    return IndicatorResult(
        id=ind.id,
        title=str(ind.title),
        class_id=ind.class_,
        points=o.points,
        max=ind.max,
        status=o.status,
        reason=_reason(ctx, ind.score, o),
        figure=o.figure,
        value=None if o.value is None else to_decimal(o.value),
        band=o.band,
        next=o.next,
        advice=o.advice or str(ind.advice),
        evidence=texts(ind.evidence),
        missing=o.missing,
        provisional=status == "provisional" or o.provisional,
        parts=tuple(replace(p, class_id=ind.class_) for p in o.parts) if o.parts else (),
        source=str(ind.source),
        effort=ind.effort,
        code=o.code,
        high=o.high,
    )


# ---- conditions and pass rules ---------------------------------------------------------


def _condition(ctx: _Context, cond: m.Condition) -> ConditionResult:
    failed: list[m.Check] = []
    open_checks: list[m.Check] = []
    unknown = Unknown(())
    for check in cond.require:
        ok = ctx.eval(check.when)
        if isinstance(ok, Unknown):
            unknown = unknown | ok
            open_checks.append(check)
        elif ok is not True:
            failed.append(check)
    provisional = (cond.status or ctx.rubric.status) == "provisional"
    evidence = texts(cond.evidence)
    # Show the figures of the checks that decided the outcome, not every figure used.
    shown = failed or open_checks or list(cond.require)
    figure = ctx.names_figure(frozenset().union(*(c.when.names for c in shown)))
    if failed:
        labels = t("operator.and_separator").join(str(c.label) for c in failed)
        return ConditionResult(
            cond.id,
            str(cond.title),
            cond.role,
            str(cond.group),
            False,
            t("operator.condition.failed", labels=labels, figure=figure),
            str(cond.advice),
            provisional=provisional,
            evidence=evidence,
        )
    if unknown.reasons:
        return ConditionResult(
            cond.id,
            str(cond.title),
            cond.role,
            str(cond.group),
            None,
            t("operator.condition.unknown", reason=unknown.reason),
            str(cond.advice),
            unknown.missing,
            provisional=provisional,
            evidence=evidence,
        )
    return ConditionResult(
        cond.id,
        str(cond.title),
        cond.role,
        str(cond.group),
        True,
        t("operator.condition.met", figure=figure),
        provisional=provisional,
        evidence=evidence,
    )


def _all(values: list[bool | None]) -> bool | None:
    return False if False in values else None if None in values else True


def _any(values: list[bool | None]) -> bool | None:
    return True if True in values else None if None in values else False


class _Judge:
    """Judges the pass rule, keeping each step as a `RuleLine` (a group's line before
    the lines of its members)."""

    def __init__(
        self,
        total: Decimal,
        open_total: Decimal,
        classes: dict[str, ClassResult],
        conds: dict[str, ConditionResult],
    ):
        self.total, self.open_total = total, open_total
        self.classes, self.conds = classes, conds
        self.lines: list[RuleLine] = []

    def at_least(self, have: Decimal, open_: Decimal, need: Decimal) -> bool | None:
        if have >= need:
            return True
        return None if have + open_ >= need else False

    def rule(self, rule: m.Rule, depth: int = 0) -> bool | None:
        v: bool | None
        if rule.all is not None or rule.any is not None:
            is_all = rule.all is not None
            at = len(self.lines)
            values = [self.rule(r, depth + 1) for r in (rule.all or rule.any or [])]
            v = _all(values) if is_all else _any(values)
            self.lines.insert(at, RuleLine(depth, "all" if is_all else "any", v, str(rule.label)))
            return v
        if rule.not_ is not None:
            inner = self.rule(rule.not_, depth + 1)
            return None if inner is None else not inner
        if rule.total_at_least is not None:
            need = rule.total_at_least
            v = self.at_least(self.total, self.open_total, need)
            self.lines.append(RuleLine(depth, "total", v, str(rule.label), self.total, need))
            return v
        if rule.class_at_least is not None:
            at = len(self.lines)
            level = depth + 1 if rule.label else depth
            results = []
            for cid, need in rule.class_at_least.items():
                cls = self.classes[cid]
                v = self.at_least(cls.points, cls.unknown_max, need)
                self.lines.append(RuleLine(level, "class", v, cls.title, cls.points, need))
                results.append(v)
            verdict = _all(results)
            if rule.label:
                self.lines.insert(
                    at, RuleLine(depth, "classes", verdict, str(rule.label), marked=False)
                )
            return verdict
        if rule.condition is not None:
            c = self.conds[rule.condition]
            self.lines.append(RuleLine(depth, "condition", c.ok, str(rule.label) or c.title))
            return c.ok
        role = rule.conditions or ""
        oks = [c.ok for c in self.conds.values() if c.role == role]
        v = _any(oks) if role == "direct" else _all(oks)
        self.lines.append(RuleLine(depth, "conditions", v, str(rule.label), role=role))
        return v


# The national platform's development score (发展评价得分) of the last year and the year
# before (a review accepts either): only the platform computes it.
PLATFORM_FIELDS = frozenset({"platform_score", "platform_score_prev"})


def _only_the_platform_score_open(
    rubric: m.Rubric,
    total: Decimal,
    open_total: Decimal,
    classes: list[ClassResult],
    conditions: tuple[ConditionResult, ...],
) -> bool:
    """Whether the rule, undecided, would pass once the platform's score meets its line:
    every open condition waits only for a platform score, and with them met the rule
    holds whatever else is open."""
    waiting = [c for c in conditions if c.ok is None]
    if not waiting or not all(c.missing and set(c.missing) <= PLATFORM_FIELDS for c in waiting):
        return False
    met = tuple(replace(c, ok=True) if c.ok is None else c for c in conditions)
    judge = _Judge(total, open_total, {c.id: c for c in classes}, {c.id: c for c in met})
    return judge.rule(rubric.pass_rule) is True


def _platform_line(
    ctx: _Context, rubric: m.Rubric, conditions: tuple[ConditionResult, ...]
) -> Decimal | None:
    """The least whole development score that meets the open platform conditions (the
    line the plan prints), found by trying the scores 0–100 in the rubric's own checks."""
    waiting = {c.id for c in conditions if c.ok is None}
    checks = [ch for c in rubric.conditions if c.id in waiting for ch in c.require]
    for score in range(101):
        filled = ctx.filled(dict.fromkeys(PLATFORM_FIELDS, Fraction(score)))
        if all(filled.eval(ch.when) is True for ch in checks):
            return Decimal(score)
    return None


class _Planner:
    """Makes an assessment's plan from the context it was scored in (no second one)."""

    def __init__(self, context: Callable[[], _Context]):
        self.context = context

    def __call__(self, a: Assessment) -> planning.TierPlan | None:
        ctx = self.context()
        return planning.build(a, ctx.rubric, ctx)


def evaluate(rubric: m.Rubric, firm: Firm, reference: m.Rubric | None = None) -> Assessment:
    """Score one firm against one rubric.  The plan (`Assessment.plan`) is made from the
    same scoring context when first asked for.  When the verdict waits only for the
    platform's score, the firm's points under `reference` (the 2022 专精特新 table) are
    given beside it."""
    return _evaluate(_Context(rubric, firm), reference)


def decide(rubric: m.Rubric, firm: Firm, reference: m.Rubric | None = None) -> Assessment:
    """`evaluate` without the next band of each indicator (`IndicatorResult.next` is None,
    and an indicator's advice is the one its outcome or the rubric gives): every point,
    status, bound, reason, gate and verdict is `evaluate`'s (tests/test_fast_path.py
    checks that on thousands of random firms over every bundled rubric).  The next band
    costs most of an evaluation, in the search for the lever that reaches it, and only a
    report or a plan shows it: a batch round decides every applicant this way and makes
    its reports with `evaluate`."""
    return _evaluate(_Context(rubric, firm, fast=True), reference)


# ---- deciding a round: each item worded once per distinct input --------------------------

# The operators whose wording in `decide` reads nothing but the names they declare
# (`names_read`; a local block's parts too), through the scope: the built-in ones, whose
# `decide` looks for no lever (and so reads neither the assessment year nor another
# field).  An item scored by any other operator is worded afresh for every firm.
_KNOWN_OPERATORS = frozenset({"bands", "tiers", "enum", "items", "stepped", "best_of", "local"})
# What the size class is decided from (and its reason quotes): an item reading it is
# keyed by these.
_SIZE_FACTS = tuple(sorted(SIZE_FACTS))
# Results remembered per item (an indicator, a condition, the size class, the judgement)
# and language, at most this many, then the oldest go: an item reading few values keeps
# them all, one reading a figure that differs for every firm no more than this (a result
# holds about 2 KB).
WORDS_LIMIT = 256
# Rubrics with results remembered, at most this many (a rubric file's object is made anew
# for each chunk a worker receives).
_RUBRICS_LIMIT = 8


class _Unkeyed(Exception):
    """A value that cannot be part of a key: the item is worded afresh."""


def _declared(score: ScoreModel) -> set[str] | None:
    """Every name an item's decision and wording read (a local block's parts too); None
    when an operator there is not one whose reading is known."""
    op = operator_for(score)
    if op.name not in _KNOWN_OPERATORS or op.__module__ != f"assess.rubric.operators.{op.name}":
        return None
    found = set(op.names_read(score))
    if op.name == "local":
        for block in getattr(score, "blocks", ()):
            for part in block.parts:
                inner = _declared(part.score)
                if inner is None:
                    return None
                found |= inner
    return found


def _leaves(rubric: m.Rubric, names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(rubric.values_read(names)))


def _tag(value: object) -> object:
    """A firm's value as a key: its type with it (True is not 1), a Decimal by its digits
    and exponent (1.0 is not 1 where a value is shown as given)."""
    cls = value.__class__
    if cls is Decimal:
        return cls, value.as_tuple()  # type: ignore[attr-defined]
    if cls is str or cls is bool or cls is int:
        return cls, value
    if value is None:
        return None
    raise _Unkeyed


class _Words:
    """One rubric's items, each with the values its result is decided and worded from,
    and the results remembered by those values, per language."""

    def __init__(self, rubric: m.Rubric):
        self.rubric = rubric
        indicators: list[tuple[str, ...] | None] = []
        for ind in rubric.indicators:
            names = _declared(ind.score)
            indicators.append(None if names is None else _leaves(rubric, names))
        self.indicators = tuple(indicators)
        self.conditions = tuple(
            _leaves(rubric, frozenset().union(*(c.when.names for c in cond.require)))
            for cond in rubric.conditions
        )
        self.sized = rubric.size_standard is not None
        # The firm's values the scoring context is made from (an odd one makes it raise)
        # that no key above holds: keyed on their own, remembered once a context was
        # made from them.
        keyed = {n for leaves in (*self.indicators, *self.conditions) for n in leaves or ()}
        if self.sized:
            keyed.update(_SIZE_FACTS)
        self.rest = tuple(sorted(set(rubric.inputs) - keyed))
        self.memo: dict[str, _Memo] = {}

    def remembered(self, lang: str) -> _Memo:
        found = self.memo.get(lang)
        if found is None:
            found = self.memo[lang] = _Memo()
        return found


_WORDS: dict[int, _Words] = {}


def _words(rubric: m.Rubric) -> _Words:
    found = _WORDS.get(id(rubric))
    if found is not None and found.rubric is rubric:
        return found
    if len(_WORDS) >= _RUBRICS_LIMIT:
        del _WORDS[next(iter(_WORDS))]
    made = _WORDS[id(rubric)] = _Words(rubric)
    return made


class _Memo:
    """Results by key, in one table per item (a key's first part), each of at most
    `WORDS_LIMIT` (the oldest go first)."""

    def __init__(self) -> None:
        self.tables: dict[object, dict[tuple[object, ...], Any]] = {}

    def get(self, key: tuple[object, ...]) -> Any:
        table = self.tables.get(key[0])
        return None if table is None else table.get(key)

    def put(self, key: tuple[object, ...], value: Any) -> None:
        table = self.tables.get(key[0])
        if table is None:
            table = self.tables[key[0]] = {}
        elif len(table) >= WORDS_LIMIT:
            del table[next(iter(table))]
        table[key] = value


def decide_reusing(
    rubric: m.Rubric,
    firm: Firm,
    reference: m.Rubric | None = None,
    reaches: Callable[[], Callable[[int], Reach | None] | None] | None = None,
) -> Assessment:
    """`decide`, with each indicator's and condition's result (its points, reason, band,
    figure...) taken from an earlier firm whose values it reads were the same, when there
    was one: what it reads is the values of the names its operator declares, through the
    metrics to the fields (the size class: the figures and industry it is decided from),
    in the current language, on the same rubric object.  The rest is `decide`'s.  Equal to
    `decide` field by field (tests/test_batch_words.py).

    `reaches`: gives the n-th indicator's points, status and bounds found without words
    (`assess.compiled.reacher`), asked for when an indicator to word is undecided: its
    bounds are then taken from there instead of searched."""
    words = _words(rubric)
    memo = words.remembered(language())
    get = firm.values.get
    made: list[_Context] = []

    def context() -> _Context:
        if not made:
            made.append(_Context(rubric, firm, fast=True))
        return made[0]

    def key_of(kind: int, leaves: tuple[str, ...]) -> tuple[object, ...] | None:
        try:
            return (kind, *[_tag(get(n)) for n in leaves])
        except _Unkeyed:
            return None

    if words.rest:
        key = key_of(-2, words.rest)
        if key is None or memo.get(key) is None:
            context()
            if key is not None:
                memo.put(key, True)
    known: list[Callable[[int], Reach | None] | None] = []

    def reach(n: int) -> Reach | None:
        if reaches is None:
            return None
        if not known:
            known.append(reaches())
        found = known[0]
        return None if found is None else found(n)

    indicators = []
    for n, (ind, leaves) in enumerate(zip(rubric.indicators, words.indicators, strict=True)):
        key = None if leaves is None else key_of(n, leaves)
        found = None if key is None else memo.get(key)
        if found is None:
            found = _score_indicator(context(), ind, functools.partial(reach, n))
            if key is not None:
                memo.put(key, found)
        indicators.append(found)
    base = len(rubric.indicators)
    conditions = []
    for n, (cond, leaves) in enumerate(zip(rubric.conditions, words.conditions, strict=True)):
        key = key_of(base + n, leaves)
        got = None if key is None else memo.get(key)
        if got is None:
            got = _condition(context(), cond)
            if key is not None:
                memo.put(key, got)
        conditions.append(got)
    size_class: str | None = None
    size_reason = ""
    if words.sized:
        key = key_of(-1, _SIZE_FACTS)
        sized = None if key is None else memo.get(key)
        if sized is None:
            ctx = context()
            sized = (ctx.size_class, ctx.size_reason)
            if key is not None:
                memo.put(key, sized)
        size_class, size_reason = sized
    return _assemble(
        rubric,
        firm,
        tuple(indicators),
        tuple(conditions),
        size_class,
        size_reason,
        context,
        reference,
        True,
        memo,
    )


def _evaluate(ctx: _Context, reference: m.Rubric | None) -> Assessment:
    rubric = ctx.rubric
    indicators = tuple(_score_indicator(ctx, ind) for ind in rubric.indicators)
    conditions = tuple(_condition(ctx, c) for c in rubric.conditions)
    return _assemble(
        rubric,
        ctx.firm,
        indicators,
        conditions,
        ctx.size_class,
        ctx.size_reason,
        lambda: ctx,
        reference,
        ctx.fast,
    )


def _assemble(
    rubric: m.Rubric,
    firm: Firm,
    indicators: tuple[IndicatorResult, ...],
    conditions: tuple[ConditionResult, ...],
    size_class: str | None,
    size_reason: str,
    context: Callable[[], _Context],
    reference: m.Rubric | None,
    fast: bool,
    memo: _Memo | None = None,
) -> Assessment:
    """The assessment from its indicators and conditions: class totals, the pass rule,
    the notes.  `context` gives the scoring context, asked for only when the verdict waits
    for the platform's score (its line is searched) and when the plan is made.  `memo`:
    the judgement remembered by what it reads of the items (`_judged`)."""
    judged: Judged | None = None
    if memo is None:
        judged = _judged(rubric, indicators, conditions)
    else:
        key = (
            -3,
            language(),
            # Each figure by its digits: 5.0 and 5 are equal, but printed apart.
            *[(_digits(i.points), _digits(i.high), i.status, i.provisional) for i in indicators],
            *[(c.ok, c.missing, c.provisional) for c in conditions],
        )
        judged = memo.get(key)
        if judged is None:
            judged = _judged(rubric, indicators, conditions)
            memo.put(key, judged)
    classes, total, lines, status, notes, maturity = judged
    platform_need = (
        _platform_line(context(), rubric, conditions) if status == "platform_pending" else None
    )
    return Assessment(
        rubric=rubric.id,
        rubric_title=str(rubric.title),
        rubric_version=rubric.version,
        rubric_status=rubric.status,
        tier=rubric.tier,
        document=str(rubric.document),
        firm=firm.name,
        source=firm.source,
        total=total,
        max=rubric.max_total,
        pass_status=status,
        pass_mark=rubric.pass_mark,
        size_class=size_class,
        size_reason=size_reason,
        classes=classes,
        indicators=indicators,
        conditions=conditions,
        explanation=lines,
        warnings=firm.warnings,
        notes=notes,
        maturity=maturity,
        issued_by=str(rubric.issued_by),
        effective_from=rubric.effective_from,
        effective_to=rubric.effective_to,
        source_notes=texts(rubric.source_notes),
        reference=_reference(reference, firm, fast) if status == "platform_pending" else None,
        platform_need=platform_need,
        planner=_Planner(context),
    )


def _digits(value: Decimal | None) -> object:
    return None if value is None else value.as_tuple()


Judged = tuple[
    tuple[ClassResult, ...],
    Decimal,
    tuple[RuleLine, ...],
    PassStatus,
    tuple[str, ...],
    str | None,
]


def _judged(
    rubric: m.Rubric,
    indicators: tuple[IndicatorResult, ...],
    conditions: tuple[ConditionResult, ...],
) -> Judged:
    """The class totals, the total, the pass rule's lines, the status, the notes and the
    maturity: read from the indicators' points, bounds, status
    and provisional mark and the conditions' outcome, missing names and provisional mark
    (the rest of them is the rubric's), in the current language."""
    minima = planning.class_minima_of(rubric)
    classes = []
    for cls in rubric.classes:
        members = [i for i in indicators if i.class_id == cls.id]
        points = sum((i.points for i in members), Decimal(0))
        open_max = sum((i.at_most - i.points for i in members), Decimal(0))
        classes.append(
            ClassResult(
                cls.id,
                str(cls.title),
                points,
                cls.max,
                open_max,
                maturity_level(rubric, points, cls.max, open_max),
                minima.get(cls.id),
            )
        )
    total = sum((i.points for i in indicators), Decimal(0))
    open_total = sum((i.at_most - i.points for i in indicators), Decimal(0))
    judge = _Judge(total, open_total, {c.id: c for c in classes}, {c.id: c for c in conditions})
    verdict = judge.rule(rubric.pass_rule)
    status: PassStatus = "pass" if verdict else "fail" if verdict is False else "undetermined"
    if verdict is None and _only_the_platform_score_open(
        rubric, total, open_total, classes, conditions
    ):
        status = "platform_pending"
    notes = []
    if rubric.status == "advisory":
        notes.append(t("operator.note.advisory", title=str(rubric.title)))
    elif rubric.status == "provisional":
        notes.append(t("operator.note.provisional_rubric", title=str(rubric.title)))
    else:
        provisional = [i.title for i in indicators if i.provisional]
        provisional += [c.title for c in conditions if c.provisional]
        if provisional:
            items = t("operator.list_separator").join(provisional)
            notes.append(t("operator.note.provisional_items", items=items))
    if open_total:
        count = sum(1 for i in indicators if i.status == "unknown")
        notes.append(
            t(
                "operator.note.incomplete",
                count=count,
                low=fmt(total),
                high=fmt(total + open_total),
            )
        )
    if status == "platform_pending":
        notes.append(t("operator.note.platform"))
    maturity = maturity_level(rubric, total, rubric.max_total, open_total)
    return tuple(classes), total, tuple(judge.lines), status, tuple(notes), maturity


def _reference(rubric: m.Rubric | None, firm: Firm, fast: bool) -> Reference | None:
    if rubric is None or rubric.max_total <= 0:
        return None
    r = _evaluate(_Context(rubric, firm, fast=fast), None)
    return Reference(r.rubric, r.rubric_title, r.total, r.at_most, r.max, r.pass_mark)


def maturity_level(
    rubric: m.Rubric, points: Decimal, maximum: Decimal, unknown: Decimal = Decimal(0)
) -> str | None:
    """The highest level whose min_percent the share of the maximum reaches; marked when
    points still unknown could lift it to another level."""
    if not rubric.maturity or not maximum:
        return None

    def level(p: Decimal) -> str:
        share = p * 100 / maximum
        return [str(lv.label) for lv in rubric.maturity if share >= lv.min_percent][-1]

    reached = level(points)
    if unknown and level(points + unknown) != reached:
        return t("operator.maturity_open", level=reached)
    return reached
