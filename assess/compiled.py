"""Deciding without words: each rubric compiled once into plain functions over a firm's
values, giving every indicator's points, status and bounds, every condition's outcome,
the class totals and the verdict exactly as `engine.evaluate` gives them, and no text.

What a round ranks and sorts applicants by needs only those; the reasons, figures and next
bands are worded by the engine when something is written.  Formulas run in their fast form
(`expr.fast`: integer pairs, cross-multiplied comparisons, no reasons); a band table is
its written bounds as integer pairs, each bound's band and the band between two bounds
found once by the engine's own `band_for`; the size class is decided from the same table
by the same steps as `size.classify`.  An undecided indicator's bounds are the engine's
searches made in closed form: a metric linear in its blanks (a sum, a share of a known
figure) is least and greatest at the corners of the grid the engine sweeps, and yes/no and
choice blanks are filled in every way, as the engine does; bounds are remembered by the
values they are computed from.

The built-in operators are compiled here (bands, tiers, enum, items, stepped, best_of and
local, whose parts are compiled by their own operators).  What is not compiled is handed
to the engine, and counted (`FALLBACKS`):

* a rubric with an operator this module does not know (one a rubric's author registers)
  is decided by `engine.decide` whole ("rubric");
* a firm on which a formula meets a value of the wrong kind (where the engine raises) or
  whose verdict waits only for the platform's score (the engine finds the line to print)
  is decided by the engine ("firm");
* an undecided indicator whose bounds need a search the compiled form does not make (a
  metric that is not linear in its blanks: a share whose denominator is blank) takes its
  bounds from the engine ("bounds").

tests/test_compiled.py checks that the two agree on thousands of random firms over every
bundled and sample rubric.
"""

from __future__ import annotations

import ast
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise, product
from typing import Any, NamedTuple

from assess import engine
from assess.fields import FIELDS_BY_ID, FieldType
from assess.intake.firm import Firm
from assess.numbers import to_decimal
from assess.results import Assessment, IndicatorStatus, PassStatus
from assess.rubric import models as m
from assess.rubric.expr import Blank, Expr, FastFn, Mismatch, Pair, fast
from assess.rubric.operators import ScoreModel, names_read, operator_for
from assess.rubric.operators.bands import Bands, BandsScore, band_for
from assess.rubric.operators.best_of import BestOf, BestOfScore
from assess.rubric.operators.enum import Enum, EnumScore
from assess.rubric.operators.items import Items, ItemsScore
from assess.rubric.operators.local import Local, LocalScore, province_key
from assess.rubric.operators.stepped import Stepped, SteppedScore
from assess.rubric.operators.tiers import Tiers, TiersScore
from assess.rubric.size import SizeStandard

__all__ = [
    "FALLBACKS",
    "ClassDecision",
    "ConditionDecision",
    "Decision",
    "IndicatorDecision",
    "compiled",
    "decide",
    "from_assessment",
    "reacher",
]

# What went to the engine, by kind: "rubric" (a whole rubric not compiled), "firm" (one
# firm on one rubric), "bounds" (one undecided indicator's bounds).
FALLBACKS: Counter[str] = Counter()

_ZERO = Decimal(0)
_NUMERIC = (FieldType.INT, FieldType.NUMBER, FieldType.MONEY, FieldType.PERCENT)


# ---- what a decision holds ----------------------------------------------------------------


class IndicatorDecision(NamedTuple):
    id: str
    class_id: str
    points: Decimal
    status: IndicatorStatus
    # Undecided: the most the blanks could bring (`IndicatorResult.high`); None when decided.
    high: Decimal | None

    @property
    def at_most(self) -> Decimal:
        return self.points if self.high is None else self.high


class ConditionDecision(NamedTuple):
    id: str
    role: str
    ok: bool | None
    missing: tuple[str, ...]


class ClassDecision(NamedTuple):
    id: str
    points: Decimal
    unknown_max: Decimal


class Decision(NamedTuple):
    """One firm against one rubric: `Assessment`'s points, statuses, bounds and verdict."""

    rubric: str
    total: Decimal
    at_most: Decimal
    pass_status: PassStatus
    size_class: str | None
    indicators: tuple[IndicatorDecision, ...]
    conditions: tuple[ConditionDecision, ...]
    classes: tuple[ClassDecision, ...]
    # Made by the compiled functions (False: handed to the engine, see `FALLBACKS`).
    compiled: bool = True


def from_assessment(a: Assessment, compiled: bool = False) -> Decision:
    """An engine assessment's decision (what the compiled form must give)."""
    return Decision(
        a.rubric,
        a.total,
        a.at_most,
        a.pass_status,
        a.size_class,
        tuple(
            IndicatorDecision(i.id, i.class_id, i.points, i.status, i.high) for i in a.indicators
        ),
        tuple(ConditionDecision(c.id, c.role, c.ok, c.missing) for c in a.conditions),
        tuple(ClassDecision(c.id, c.points, c.unknown_max) for c in a.classes),
        compiled,
    )


# ---- one firm's values, for one rubric ----------------------------------------------------


class _Engine(Exception):
    """Hand this firm to the engine."""


def _fast_raw(raw: object) -> object:
    """A firm's value as the fast formulas read it: numbers as integer pairs."""
    cls = raw.__class__
    if cls is Decimal:
        return raw.as_integer_ratio()  # type: ignore[attr-defined]
    if cls is str or cls is bool or raw is None:
        return raw
    if cls is int:
        return raw, 1
    if isinstance(raw, Decimal | int) and not isinstance(raw, bool):
        return Fraction(raw).as_integer_ratio()
    return raw


def _fraction(v: Pair) -> Fraction:
    return Fraction(v[0], v[1])


def _band_pair(value: Decimal) -> Pair:
    return Fraction(value).as_integer_ratio()


def _ge(a: Pair, b: Pair) -> bool:
    return a[0] * b[1] >= b[0] * a[1]


def _lt(a: Pair, b: Pair) -> bool:
    return a[0] * b[1] < b[0] * a[1]


class _Firm:
    """What the compiled functions of one rubric read of one firm: the values (`env`, as
    the engine's context holds them, in fast form), the size classes still possible, and
    the engine's context, made only if an indicator's bounds need it."""

    __slots__ = ("candidates", "ctx", "env", "firm", "rubric")

    def __init__(self, rubric: m.Rubric, firm: Firm, env: dict[str, object]):
        self.rubric, self.firm, self.env = rubric, firm, env
        self.candidates: tuple[str, ...] = ()
        self.ctx: engine._Context | None = None

    def context(self) -> engine._Context:
        if self.ctx is None:
            self.ctx = engine._Context(self.rubric, self.firm, fast=True)
        return self.ctx


# An indicator's decision: (points, status, the blanks' reach or None).
Decided = tuple[Decimal, IndicatorStatus, Decimal | None]
Decider = Callable[[_Firm], Decided]
# An operator compiled: its decision when the data decide it (None when not), and its
# bounds when they do not.
Parts = tuple[Callable[[_Firm], Decided | None], Callable[[_Firm], Decided]]
# Bounds remembered per indicator, at most this many (then forgotten and begun again).
_MEMO = 4096


class _Compiler:
    """Compiles one rubric: its metrics, indicators, conditions and pass rule."""

    def __init__(self, rubric: m.Rubric):
        self.rubric = rubric
        self.metrics = rubric.metrics_by_id
        self.metric_fns = [(x.id, fast(x.expr)) for x in rubric.metrics]
        self.edge = rubric.edge_rule
        # The sweeps (`engine.sweep`) made in closed form, by metric and blanks.
        self._linear: dict[tuple[str, frozenset[str]], bool] = {}
        self._depending: dict[frozenset[str], list[tuple[str, FastFn]]] = {}

    # -- the engine's context, in fast form --

    def inputs_of(self, name: str) -> list[str]:
        return self.rubric.inputs_of(name)

    def evaluator(self, expr: Expr) -> Callable[[_Firm, Mapping[str, object]], object]:
        """`_Context.eval`: an expression reading size_class is decided when every class
        still possible gives the same."""
        fn = fast(expr)
        if "size_class" not in expr.names:
            return lambda f, env: fn(env)
        retry = self.retry

        def run(f: _Firm, env: Mapping[str, object]) -> object:
            result = fn(env)
            if result.__class__ is not Blank or not f.candidates:
                return result
            return retry(fn, f, env, result)

        return run

    @staticmethod
    def retry(fn: FastFn, f: _Firm, env: Mapping[str, object], result: object) -> object:
        """An undecided `result` of `fn` that reads size_class, tried with every class
        still possible: decided when all give the same."""
        trial = dict(env)
        seen = set()
        for size in f.candidates:
            trial["size_class"] = size
            value = fn(trial)
            if value.__class__ is Blank:
                return result
            seen.add(value)
        return seen.pop() if len(seen) == 1 else result

    def depending_on(self, blanks: frozenset[str]) -> list[tuple[str, FastFn]]:
        """`_Context._depending_on`: the metrics computed from any of `blanks`, in order."""
        found = self._depending.get(blanks)
        if found is None:
            found, hit = [], set(blanks)
            for metric in self.rubric.metrics:
                if metric.expr.names & hit:
                    found.append((metric.id, fast(metric.expr)))
                    hit.add(metric.id)
            self._depending[blanks] = found
        return found

    def fillings(
        self,
        f: _Firm,
        leaves: list[str],
        pieces: Sequence[Callable[[_Firm, Mapping[str, object]], object]] = (),
    ) -> list[dict[str, object]] | None:
        """`_Context.fillings`, as values: the firm with its blanks among `leaves` filled
        in every way the engine tries, a lone number blank also where one of `pieces`
        (the conditions' comparisons, `Expr.comparisons`) changes; None when it tries
        none."""
        env = f.env
        blanks = sorted({x for x in leaves if x in FIELDS_BY_ID and env.get(x) is None})
        if not blanks or len(blanks) > 2:
            return None
        grids: list[Iterable[object]] = []
        for b in blanks:
            spec = FIELDS_BY_ID[b]
            if spec.type is FieldType.BOOL:
                grids.append((False, True))
            elif spec.type is FieldType.ENUM:
                grids.append(tuple(spec.choice_values))
            elif spec.type in _NUMERIC:
                grids.append(_grid_pairs(b, (1, 3) if len(blanks) > 1 else (1, 2, 5)))
            else:
                return None
        chain = self.depending_on(frozenset(blanks))

        def fill(combo: Iterable[object]) -> dict[str, object]:
            filled = dict(env)
            filled.update(zip(blanks, combo, strict=True))
            for mid, fn in chain:
                filled[mid] = fn(filled)
            return filled

        out = [fill(combo) for combo in product(*grids)]
        if len(blanks) == 1 and FIELDS_BY_ID[blanks[0]].type in _NUMERIC and pieces:
            grid = [Fraction(*p) for p in grids[0]]  # type: ignore[misc]
            between: set[Fraction] = set()

            def at(run: Callable[[_Firm, Mapping[str, object]], object], x: Fraction) -> object:
                return run(f, fill((x.as_integer_ratio(),)))

            for run in pieces:
                truths = [run(f, e) for e in out]
                between.update(
                    engine.crossings(
                        grid,
                        truths,
                        functools.partial(at, run),
                        engine._unit(FIELDS_BY_ID[blanks[0]]),
                    )
                )
            out += [fill((x.as_integer_ratio(),)) for x in sorted(between - set(grid))]
        return out

    def linear(self, name: str, blanks: frozenset[str]) -> bool:
        """Whether `name` is a linear function of `blanks` jointly (sums, products by what
        does not depend on them, division by what does not): its least and greatest over
        a grid, and over any refinement between grid points, are at the grid's corners."""
        key = (name, blanks)
        found = self._linear.get(key)
        if found is None:
            found = self._linear[key] = self._affine_name(name, blanks)
        return found

    def _depends(self, node: ast.AST, blanks: frozenset[str]) -> bool:
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        return any(n in blanks or set(self.inputs_of(n)) & blanks for n in names)

    def _affine_name(self, name: str, blanks: frozenset[str]) -> bool:
        if name not in self.metrics:
            return True
        return self._affine(self.metrics[name].expr.tree, blanks)

    def _affine(self, node: ast.AST, blanks: frozenset[str]) -> bool:
        if not self._depends(node, blanks):
            return True
        match node:
            case ast.Name(id=name):
                return self._affine_name(name, blanks)
            case ast.UnaryOp(op=ast.USub() | ast.UAdd(), operand=operand):
                return self._affine(operand, blanks)
            case ast.BinOp(left=left, op=ast.Add() | ast.Sub(), right=right):
                return self._affine(left, blanks) and self._affine(right, blanks)
            case ast.BinOp(left=left, op=ast.Mult(), right=right):
                if self._depends(left, blanks) and self._depends(right, blanks):
                    return False
                return self._affine(left, blanks) and self._affine(right, blanks)
            case ast.BinOp(left=left, op=ast.Div(), right=right):
                return not self._depends(right, blanks) and self._affine(left, blanks)
        return False

    def sweep(self, f: _Firm, name: str) -> tuple[Pair, Pair] | None:
        """The least and greatest of `engine.sweep(name)` (None when it finds nothing);
        raises `_Bounds` when the sweep is not made in closed form here."""
        env = f.env
        blanks = [n for n in self.inputs_of(name) if env.get(n) is None]
        if (
            not blanks
            or len(blanks) > 2
            or any(b not in FIELDS_BY_ID or FIELDS_BY_ID[b].type not in _NUMERIC for b in blanks)
        ):
            return None
        if not self.linear(name, frozenset(blanks)) or not all(_on_units(b) for b in blanks):
            raise _Bounds
        steps = (1, 3) if len(blanks) == 2 else engine._STEPS
        ends = [_grid_ends(b, steps) for b in blanks]
        leaves, chain = self.chain(name)
        base = {x: env.get(x) for x in leaves}
        found: list[Pair] = []
        for combo in product(*ends):
            trial = dict(base)
            trial.update(zip(blanks, combo, strict=True))
            for mid, fn in chain:
                trial[mid] = fn(trial)
            v = trial.get(name)
            if v.__class__ is tuple:
                found.append(v)
        if not found:
            return None
        if len(found) != 2 ** len(blanks):
            raise _Bounds  # some corners computed, some not: let the engine search
        low = high = found[0]
        for v in found[1:]:
            if _lt(v, low):
                low = v
            if _lt(high, v):
                high = v
        return low, high

    @functools.cache  # noqa: B019 - one compiler per rubric, kept as long as it
    def chain(self, name: str) -> tuple[list[str], list[tuple[str, FastFn]]]:
        """The fields `name` is computed from, and the metrics computing it in order."""
        if name not in self.metrics:
            return [name], []
        chain = [(x.id, fast(x.expr)) for x in engine._metric_chain(self.rubric, name)]
        return self.inputs_of(name), chain

    # -- indicators --

    def indicator(self, ind: m.Indicator) -> Decider | None:
        """The indicator's decision; an undecided one's bounds are remembered by the values
        they are computed from (the same blanks and figures give the same bounds)."""
        made = self.block(ind.score, ind.max)
        if made is None:
            return None
        known, reach = made
        leaves = sorted({leaf for n in _reads(ind.score) for leaf in self.inputs_of(n)})
        sized = "size_class" in leaves
        memo: dict[tuple[object, ...], Decided] = {}

        def decide(f: _Firm) -> Decided:
            got = known(f)
            if got is not None:
                return got
            key = tuple([_value(f, x) for x in leaves])
            if sized:
                key += f.candidates
            found = memo.get(key)
            if found is None:
                if len(memo) >= _MEMO:
                    memo.clear()
                found = memo[key] = reach(f)
            return found

        return decide

    def block(self, score: ScoreModel, maximum: Decimal) -> Parts | None:
        op = operator_for(score)
        fallback = self._engine_bounds(score, maximum)
        made: Parts | None = None
        if op is Bands and isinstance(score, BandsScore):
            made = self.bands(score)
        elif op is Tiers and isinstance(score, TiersScore):
            made = self.tiers(score)
        elif op is Enum and isinstance(score, EnumScore):
            made = self.enum(score)
        elif op is Stepped and isinstance(score, SteppedScore):
            made = self.stepped(score)
        elif op is BestOf and isinstance(score, BestOfScore):
            made = self.best_of(score)
        elif op is Items and isinstance(score, ItemsScore):
            made = self.items(score)
        elif op is Local and isinstance(score, LocalScore):
            made = self.local(score, maximum)
        if made is None:
            return None
        known, reach = made

        def bounds(f: _Firm) -> Decided:
            try:
                return reach(f)
            except _Bounds:
                return fallback(f)

        return known, bounds

    def _engine_bounds(self, score: ScoreModel, maximum: Decimal) -> Callable[[_Firm], Decided]:
        def run(f: _Firm) -> Decided:
            FALLBACKS["bounds"] += 1
            o = engine._bounded(f.context(), score, maximum)
            return o.points, o.status, o.high

        return run

    def band_points(self, score: BandsScore) -> Callable[[Pair], Decimal]:
        """`bands.band_for`'s points by integer cross-multiplication.  The bands tile the
        line (checked on load), so the band is the same between two written bounds: the
        engine's own `band_for` is asked once for each bound (where the edge rule decides)
        and once between each two, and a value is placed among the bounds."""
        edge = score.edge or self.edge
        bounds = sorted({b for band in score.bands for b in (band.lo, band.hi) if b is not None})
        if not bounds:
            only = band_for(score, edge, Fraction(0)).points
            return lambda value: only
        inside = [bounds[0] - 1, *((x + y) / 2 for x, y in pairwise(bounds)), bounds[-1] + 1]
        below = [band_for(score, edge, v).points for v in inside]
        table = [
            (b.numerator, b.denominator, low, band_for(score, edge, b).points)
            for b, low in zip(bounds, below, strict=False)
        ]
        above = below[-1]

        def points(value: Pair) -> Decimal:
            n, d = value
            for bn, bd, low, at in table:
                x, y = n * bd, bn * d
                if x < y:
                    return low
                if x == y:
                    return at
            return above

        return points

    def band_range(self, score: BandsScore) -> Callable[[_Firm], tuple[Decimal, Decimal]]:
        """`bands.band_range`."""
        points = self.band_points(score)
        every = [b.points for b in score.bands]
        lowest, highest = min(every), max(every)

        def run(f: _Firm) -> tuple[Decimal, Decimal]:
            found = self.sweep(f, score.metric)
            if found is None:
                return lowest, highest
            ends = [points(found[0]), points(found[1])]
            return min(ends), max(ends)

        return run

    def bands(self, score: BandsScore) -> Parts:
        metric = score.metric
        points = self.band_points(score)
        reach = self.band_range(score)

        def known(f: _Firm) -> Decided | None:
            value = f.env.get(metric)
            if value.__class__ is tuple:
                return points(value), "ok", None
            return None

        def bounds(f: _Firm) -> Decided:
            low, high = reach(f)
            return low, "unknown", high

        return known, bounds

    def tiers(self, score: TiersScore) -> Parts:
        tiers = [(self.evaluator(x.when), x.points) for x in score.tiers]
        pieces = [self.evaluator(p) for x in score.tiers for p in x.when.comparisons]
        other = score.otherwise.points
        names = set().union(*(x.when.names for x in score.tiers))
        leaves = sorted({leaf for n in names for leaf in self.inputs_of(n)})

        def first(f: _Firm, env: Mapping[str, object]) -> Decimal | None:
            for run, pts in tiers:
                ok = run(f, env)
                if ok.__class__ is Blank:
                    return None
                if ok is True:
                    return pts
            return other

        plain = [(fast(x.when), "size_class" in x.when.names, x.points) for x in score.tiers]
        retry = self.retry

        def known(f: _Firm) -> Decided | None:
            env = f.env
            undecided = False
            for fn, sized, pts in plain:
                ok = fn(env)
                if ok.__class__ is Blank:
                    if sized and f.candidates:
                        ok = retry(fn, f, env, ok)
                    if ok.__class__ is Blank:
                        undecided = True
                        continue
                if ok is True:
                    return None if undecided else (pts, "ok", None)
            return None if undecided else (other, "ok", None)

        def bounds(f: _Firm) -> Decided:
            fillings = self.fillings(f, leaves, pieces)
            if fillings is not None:
                found = {p for env in fillings if (p := first(f, env)) is not None}
                if found:
                    return min(found), "unknown", max(found)
            possible: list[Decimal] = []
            for run, pts in tiers:
                ok = run(f, f.env)
                if ok is True:
                    possible.append(pts)
                    break
                if ok.__class__ is Blank:
                    possible.append(pts)
            else:
                possible.append(other)
            return min(possible), "unknown", max(possible)

        return known, bounds

    def items(self, score: ItemsScore) -> Parts:
        items = [self.evaluator(x.when) for x in score.items]
        pieces = [self.evaluator(p) for x in score.items for p in x.when.comparisons]
        cap, each = score.cap, score.points_each
        leaves = sorted(
            {leaf for x in score.items for n in x.when.names for leaf in self.inputs_of(n)}
        )

        def held_in(f: _Firm, env: Mapping[str, object]) -> Decimal | None:
            held = 0
            for run in items:
                ok = run(f, env)
                if ok.__class__ is Blank:
                    return None
                held += ok is True
            return min(cap, each * held)

        def known(f: _Firm) -> Decided | None:
            held = 0
            undecided = False
            for run in items:
                ok = run(f, f.env)
                if ok.__class__ is Blank:
                    undecided = True
                elif _truth(ok):
                    held += 1
            points = min(cap, each * held)
            if undecided and points < cap:
                return None
            return points, "ok", None

        def bounds(f: _Firm) -> Decided:
            fillings = self.fillings(f, leaves, pieces)
            if fillings is not None:
                found = {p for env in fillings if (p := held_in(f, env)) is not None}
                if found:
                    return min(found), "unknown", max(found)
            held = open_ = 0
            for run in items:
                ok = run(f, f.env)
                if ok.__class__ is Blank:
                    open_ += 1
                elif _truth(ok):
                    held += 1
            return min(cap, each * held), "unknown", min(cap, each * (held + open_))

        return known, bounds

    def enum(self, score: EnumScore) -> Parts:
        name, table = score.field, score.points
        every = table.values()
        low, high = min(every), max(every)

        def known(f: _Firm) -> Decided | None:
            env = f.env
            value = env[name] if name in env else f.firm.get(name) if name in FIELDS_BY_ID else None
            if value.__class__ is not str:
                return None
            found = table.get(value)
            if found is None:
                raise _Engine
            return found, "ok", None

        return known, lambda f: (low, "unknown", high)

    def stepped(self, score: SteppedScore) -> Parts:
        metric, cap, each = score.metric, score.cap, score.points_per_step
        sn, sd = _band_pair(score.step)

        def points(value: Pair) -> Decimal:
            n, d = value
            return min(cap, each * max(0, (n * sd) // (d * sn)))

        def known(f: _Firm) -> Decided | None:
            value = f.env.get(metric)
            if value.__class__ is tuple:
                return points(value), "ok", None
            return None

        def bounds(f: _Firm) -> Decided:
            found = self.sweep(f, metric)
            if found is None:
                return _ZERO, "unknown", cap
            return points(found[0]), "unknown", points(found[1])

        return known, bounds

    def best_of(self, score: BestOfScore) -> Parts:
        options = [(x.metric, self.band_points(x), self.band_range(x)) for x in score.options]
        best_possible = score.max_points

        def known(f: _Firm) -> Decided | None:
            env = f.env
            best: Decimal | None = None
            count = 0
            for metric, points, _ in options:
                value = env.get(metric)
                if value.__class__ is tuple:
                    p = points(value)
                    count += 1
                    if best is None or p > best:
                        best = p
            if best is not None and (count == len(options) or best >= best_possible):
                return best, "ok", None
            return None

        def bounds(f: _Firm) -> Decided:
            env = f.env
            ranges: list[tuple[Decimal, Decimal]] = []
            for metric, points, reach in options:
                value = env.get(metric)
                if value.__class__ is tuple:
                    p = points(value)
                    ranges.append((p, p))
                else:
                    ranges.append(reach(f))
            return max(lo for lo, _ in ranges), "unknown", max(hi for _, hi in ranges)

        return known, bounds

    def part(self, score: ScoreModel, maximum: Decimal) -> Decider | None:
        """A local block's part, decided with its bounds (`Scope.score_part`)."""
        made = self.block(score, maximum)
        if made is None:
            return None
        known, bounds = made

        def decide(f: _Firm) -> Decided:
            got = known(f)
            return got if got is not None else bounds(f)

        return decide

    def local(self, score: LocalScore, maximum: Decimal) -> Parts | None:
        blocks = []
        for block in score.blocks:
            parts = [self.part(p.score, p.max) for p in block.parts]
            if any(p is None for p in parts):
                return None
            blocks.append((province_key(block.province), [p for p in parts if p is not None]))
        override, selector = score.override, score.selector

        def known(f: _Firm) -> Decided | None:
            if override:
                given = _value(f, override)
                if given.__class__ is tuple:
                    return min(maximum, to_decimal(_fraction(given))), "ok", None
                if isinstance(given, Decimal | int) and not isinstance(given, bool):
                    raise _Engine  # as the engine's context holds it: not a number
            province = _value(f, selector)
            if province.__class__ is not str:
                return None
            key = province_key(province)
            parts = next((parts for k, parts in blocks if k == key), None)
            if parts is None:
                return _ZERO, "not_assessed", None
            low = high = _ZERO
            undecided = False
            for run in parts:
                points, state, reach = run(f)
                low += points
                high += points if reach is None else reach
                undecided = undecided or state == "unknown"
            return (low, "unknown", high) if undecided else (low, "ok", None)

        def bounds(f: _Firm) -> Decided:
            best = _ZERO
            for _, parts in blocks:
                total = _ZERO
                for run in parts:
                    points, _, reach = run(f)
                    total += points if reach is None else reach
                best = max(best, min(maximum, total))
            return _ZERO, "unknown", best

        return known, bounds

    # -- conditions and the pass rule --

    def condition(
        self, cond: m.Condition
    ) -> Callable[[_Firm], tuple[bool | None, tuple[str, ...]]]:
        checks = [(fast(c.when), "size_class" in c.when.names) for c in cond.require]
        retry = self.retry
        if len(checks) == 1 and not checks[0][1]:
            only = checks[0][0]

            def one(f: _Firm) -> tuple[bool | None, tuple[str, ...]]:
                ok = only(f.env)
                if ok is True:
                    return _MET
                if ok.__class__ is Blank:
                    return None, ok.missing
                return _FAILED

            return one

        def decide(f: _Firm) -> tuple[bool | None, tuple[str, ...]]:
            env = f.env
            failed = False
            unknown: Blank | None = None
            for fn, sized in checks:
                ok = fn(env)
                if ok.__class__ is Blank:
                    if sized and f.candidates:
                        ok = retry(fn, f, env, ok)
                        if ok.__class__ is not Blank:
                            if ok is not True:
                                failed = True
                            continue
                    unknown = ok if unknown is None else unknown | ok
                elif ok is not True:
                    failed = True
            if failed:
                return _FAILED
            if unknown is not None:
                return None, unknown.missing
            return _MET

        return decide


_MET: tuple[bool | None, tuple[str, ...]] = (True, ())
_FAILED: tuple[bool | None, tuple[str, ...]] = (False, ())


def _value(f: _Firm, name: str) -> object:
    """`_Context.value`: a name of the rubric's, else a field the firm may have given."""
    env = f.env
    return env[name] if name in env else f.firm.get(name) if name in FIELDS_BY_ID else None


def _reads(score: ScoreModel) -> set[str]:
    """Every name a block's decision and bounds read: a local block's parts too (the
    questionnaire's `names_read` leaves them to the block's own questions)."""
    if isinstance(score, LocalScore):
        found = {n for n in (score.selector, score.override) if n}
        for block in score.blocks:
            for part in block.parts:
                found |= _reads(part.score)
        return found
    return names_read(score)


class _Bounds(Exception):
    """The compiled form does not search these bounds: the engine does."""


def _truth(v: object) -> bool:
    """`bool(v)` of the wording form's value (a number by its value)."""
    if v.__class__ is tuple:
        return bool(v[0] != 0)
    return bool(v)


@functools.cache
def _grid_pairs(name: str, steps: tuple[int, ...]) -> tuple[Pair, ...]:
    return tuple(v.as_integer_ratio() for v in engine._grid(name, steps))


@functools.cache
def _grid_ends(name: str, steps: tuple[int, ...]) -> tuple[Pair, Pair]:
    grid = engine._grid(name, steps)
    return grid[0].as_integer_ratio(), grid[-1].as_integer_ratio()


@functools.cache
def _on_units(name: str) -> bool:
    """Whether every value of the field's grid is a whole number of the units it is
    entered in (a refinement between grid points then stays between them)."""
    unit = engine._unit(FIELDS_BY_ID[name])
    return all((v / unit).denominator == 1 for v in engine._grid(name))


# ---- the rubric, compiled -----------------------------------------------------------------

Judge = Callable[
    [Decimal, Decimal, Mapping[str, ClassDecision], Mapping[str, bool | None]], bool | None
]


def _all(values: list[bool | None]) -> bool | None:
    return False if False in values else None if None in values else True


def _any(values: list[bool | None]) -> bool | None:
    return True if True in values else None if None in values else False


def _at_least(have: Decimal, open_: Decimal, need: Decimal) -> bool | None:
    if have >= need:
        return True
    return None if have + open_ >= need else False


def _judge(rule: m.Rule, roles: Mapping[str, str]) -> Judge:
    """`engine._Judge.rule` without its lines."""
    if rule.all is not None or rule.any is not None:
        subs = [_judge(r, roles) for r in (rule.all or rule.any or [])]
        join = _all if rule.all is not None else _any
        return lambda total, open_, classes, conds: join(
            [s(total, open_, classes, conds) for s in subs]
        )
    if rule.not_ is not None:
        inner = _judge(rule.not_, roles)

        def negate(
            total: Decimal,
            open_: Decimal,
            classes: Mapping[str, ClassDecision],
            conds: Mapping[str, bool | None],
        ) -> bool | None:
            v = inner(total, open_, classes, conds)
            return None if v is None else not v

        return negate
    if rule.total_at_least is not None:
        need = rule.total_at_least
        return lambda total, open_, classes, conds: _at_least(total, open_, need)
    if rule.class_at_least is not None:
        needs = list(rule.class_at_least.items())
        return lambda total, open_, classes, conds: _all(
            [_at_least(classes[cid].points, classes[cid].unknown_max, need) for cid, need in needs]
        )
    if rule.condition is not None:
        cid = rule.condition
        return lambda total, open_, classes, conds: conds[cid]
    role = rule.conditions or ""
    ids = [c for c, r in roles.items() if r == role]
    join = _any if role == "direct" else _all
    return lambda total, open_, classes, conds: join([conds[c] for c in ids])


@dataclass(frozen=True)
class Compiled:
    """One rubric as plain functions (`decide` runs them)."""

    rubric: m.Rubric
    inputs: tuple[str, ...]
    size: SizeStandard | None
    metrics: tuple[tuple[str, FastFn], ...]
    indicators: tuple[tuple[str, str, Decider], ...]
    conditions: tuple[tuple[str, str, Callable[[_Firm], Any]], ...]
    class_ids: tuple[str, ...]
    judge: Judge

    def _firm(self, firm: Firm) -> tuple[_Firm, str | None]:
        """The firm's values as the compiled functions read them, and its size class."""
        values = _values(firm)
        get = values.get
        env: dict[str, object] = {name: get(name) for name in self.inputs}
        f = _Firm(self.rubric, firm, env)
        size_class: str | None = None
        if self.size is not None:
            industry = env.get("industry")
            size_class, missing, f.candidates = _classify(
                self.size, industry if industry.__class__ is str else None, env
            )
            env["size_class"] = size_class if size_class is not None else Blank(missing)
        for mid, fn in self.metrics:
            env[mid] = fn(env)
        return f, size_class

    def reacher(self, firm: Firm) -> Callable[[int], Decided | None]:
        """The n-th indicator's (points, status, the most its blanks could bring or None);
        None where the engine must decide it."""
        f, _ = self._firm(firm)
        runs = self.indicators

        def reach(n: int) -> Decided | None:
            try:
                return runs[n][2](f)
            except (_Engine, Mismatch):
                return None

        return reach

    def decide(self, firm: Firm) -> Decision:
        f, size_class = self._firm(firm)
        indicators = []
        total = open_total = _ZERO
        by_class: dict[str, list[Decimal]] = {c: [_ZERO, _ZERO] for c in self.class_ids}
        for iid, cid, run in self.indicators:
            points, state, high = run(f)
            indicators.append(IndicatorDecision(iid, cid, points, state, high))
            total += points
            sums = by_class.get(cid)
            if high is not None:
                open_total += high - points
                if sums is not None:
                    sums[1] += high - points
            if sums is not None:
                sums[0] += points
        classes = {c: ClassDecision(c, s[0], s[1]) for c, s in by_class.items()}
        conditions = []
        oks: dict[str, bool | None] = {}
        for cid, role, check in self.conditions:
            ok, missing = check(f)
            conditions.append(ConditionDecision(cid, role, ok, missing))
            oks[cid] = ok
        verdict = self.judge(total, open_total, classes, oks)
        status: PassStatus = "pass" if verdict else "fail" if verdict is False else "undetermined"
        if verdict is None and _platform_may_decide(conditions):
            met = {c.id: True if c.ok is None else c.ok for c in conditions}
            if self.judge(total, open_total, classes, met) is True:
                raise _Engine  # the engine finds the score to print
        return Decision(
            self.rubric.id,
            total,
            total + open_total,
            status,
            size_class,
            tuple(indicators),
            tuple(conditions),
            tuple(classes.values()),
        )


def _platform_may_decide(conditions: list[ConditionDecision]) -> bool:
    waiting = [c for c in conditions if c.ok is None]
    return bool(waiting) and all(
        c.missing and set(c.missing) <= engine.PLATFORM_FIELDS for c in waiting
    )


# The firm last decided and its values in fast form (a round decides one firm against
# several rubrics in a row).  By the firm object: a `Firm` is not changed once made.  One
# tuple, replaced whole, so that a thread reading it never sees half of another's.
_last: tuple[Firm, dict[str, object]] | None = None


def _values(firm: Firm) -> dict[str, object]:
    global _last
    last = _last
    if last is not None and last[0] is firm:
        return last[1]
    values = {k: _fast_raw(v) for k, v in firm.values.items()}
    _last = (firm, values)
    return values


# ---- the size class ------------------------------------------------------------------------

_MEASURES = ("employees", "revenue", "total_assets")
_ALL_SIZES = ("large", "medium", "small", "micro")


Bounds = list[tuple[str, Pair]]
# A size table row's bounds as pairs, by the row object (kept alive with it).
_ROWS: dict[int, tuple[Any, tuple[Bounds, Bounds, Bounds]]] = {}


def _row_pairs(row: Any) -> tuple[Bounds, Bounds, Bounds]:
    found = _ROWS.get(id(row))
    if found is not None and found[0] is row:
        return found[1]

    def pairs(d: Mapping[str, Any]) -> Bounds:
        return [(k, Fraction(v).as_integer_ratio()) for k, v in d.items()]

    made = pairs(row.sme_below_any), pairs(row.small), pairs(row.medium)
    _ROWS[id(row)] = (row, made)
    return made


Sized = tuple[str | None, tuple[str, ...], tuple[str, ...]]
# The last firm's size class (the rubrics of a round share a size standard): (standard,
# industry, figures) and what they give; one tuple, replaced whole (see `_last`).
_last_size: tuple[tuple[object, ...], Sized] | None = None


def _classify(standard: SizeStandard, industry: str | None, env: Mapping[str, object]) -> Sized:
    """`size.classify` without words: (the class or None, the figures that would settle
    it, the classes still possible)."""
    global _last_size
    key = (standard, industry, env.get("employees"), env.get("revenue"), env.get("total_assets"))
    last = _last_size
    if last is not None and last[0][0] is standard and last[0][1:] == key[1:]:
        return last[1]
    sized = _sized(standard, industry, env)
    _last_size = (key, sized)
    return sized


def _sized(standard: SizeStandard, industry: str | None, env: Mapping[str, object]) -> Sized:
    if industry is None:
        return None, ("industry",), _ALL_SIZES
    row = standard.industries.get(industry)
    if row is None:
        return None, (), ()
    value: dict[str, Pair] = {}
    for k in _MEASURES:
        v = env.get(k)
        if v is None:
            continue
        if v.__class__ is not tuple:
            raise _Engine
        value[k] = v
    ceiling, small, medium = _row_pairs(row)
    if not any(k in value and _lt(value[k], c) for k, c in ceiling):
        open_ = tuple(sorted(k for k, _ in ceiling if k not in value))
        if open_:
            return None, open_, _ALL_SIZES
        return "large", (), ()
    if any(k in value and _lt(value[k], b) for k, b in small):
        return "micro", (), ()
    if all(k in value and _ge(value[k], b) for k, b in medium):
        return "medium", (), ()
    medium_out = any(k in value and _lt(value[k], b) for k, b in medium)
    if medium_out and all(k in value and _ge(value[k], b) for k, b in small):
        return "small", (), ()
    candidates = ("small", "micro") if medium_out else ("medium", "small", "micro")
    names = {k for k, _ in small} | (set() if medium_out else {k for k, _ in medium})
    return None, tuple(sorted(k for k in names if k not in value)), candidates


# ---- compiling, and deciding ----------------------------------------------------------------

# Compiled rubrics by the rubric object (kept alive with it): None when not compiled.
_COMPILED: dict[int, tuple[m.Rubric, Compiled | None]] = {}


def compiled(rubric: m.Rubric) -> Compiled | None:
    """The rubric compiled, once per rubric object; None when a part of it cannot be (it
    is then decided by the engine)."""
    found = _COMPILED.get(id(rubric))
    if found is not None and found[0] is rubric:
        return found[1]
    made = _compile(rubric)
    _COMPILED[id(rubric)] = (rubric, made)
    return made


def _compile(rubric: m.Rubric) -> Compiled | None:
    if rubric.size_standard is not None and rubric.size_table is None:
        return None  # the engine says what is wrong
    c = _Compiler(rubric)
    indicators = []
    for ind in rubric.indicators:
        run = c.indicator(ind)
        if run is None:
            return None
        indicators.append((ind.id, ind.class_, run))
    roles = {cond.id: cond.role for cond in rubric.conditions}
    return Compiled(
        rubric,
        tuple(dict.fromkeys(rubric.inputs)),
        rubric.size_table if rubric.size_standard is not None else None,
        tuple(c.metric_fns),
        tuple(indicators),
        tuple((cond.id, cond.role, c.condition(cond)) for cond in rubric.conditions),
        tuple(cls.id for cls in rubric.classes),
        _judge(rubric.pass_rule, roles),
    )


def reacher(rubric: m.Rubric, firm: Firm) -> Callable[[int], Decided | None] | None:
    """The n-th indicator's (points, status, the most its blanks could bring or None) as
    `engine.decide` gives them, by the compiled functions, for the engine to take an
    undecided indicator's bounds from instead of searching them; None (or None for an
    indicator) where the compiled functions would hand the firm or the rubric to the
    engine."""
    made = compiled(rubric)
    if made is None:
        return None
    try:
        return made.reacher(firm)
    except (_Engine, Mismatch):
        return None


def decide(rubric: m.Rubric, firm: Firm) -> Decision:
    """The firm's points, statuses, bounds, class totals and verdict on the rubric, as
    `engine.evaluate` gives them: by the compiled functions, or by the engine where they
    hand over (`FALLBACKS`)."""
    made = compiled(rubric)
    if made is None:
        FALLBACKS["rubric"] += 1
    else:
        try:
            return made.decide(firm)
        except (_Engine, Mismatch):
            FALLBACKS["firm"] += 1
    return from_assessment(engine.decide(rubric, firm))
