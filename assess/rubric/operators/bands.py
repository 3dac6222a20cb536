"""`bands`: points by the band a metric falls in; on a shared edge the edge rule decides."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from itertools import pairwise
from typing import Literal

from pydantic import Field, model_validator

from assess.catalog import t
from assess.errors import Problem
from assess.numbers import fmt, to_decimal
from assess.results import IndicatorResult, Level
from assess.rubric.common import NO_TEXT, EdgeRule, Points, Strict, Text
from assess.rubric.operators.base import (
    Checker,
    Doc,
    Operator,
    Outcome,
    Scope,
    ScoreModel,
    move_lever,
    next_step,
    reach_words,
    settled,
    unknown,
    with_unit,
)
from assess.rubric.operators.registry import register
from assess.yamlsrc import Loc


class Band(Strict):
    min: Decimal | None = None  # None: no lower end
    max: Decimal | None = None  # None: no upper end
    points: Points
    label: Text = NO_TEXT
    advice: Text = NO_TEXT

    @cached_property
    def lo(self) -> Fraction | None:
        """min as an exact fraction, converted once (scoring compares it often)."""
        return None if self.min is None else Fraction(self.min)

    @cached_property
    def hi(self) -> Fraction | None:
        return None if self.max is None else Fraction(self.max)

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(t("rubric.model.band_order", min=self.min, max=self.max))
        return self


class BandsScore(ScoreModel):
    """Points by the band a metric falls in; on a shared edge the edge rule decides."""

    operator: Literal["bands"]
    metric: str
    direction: Literal["higher", "lower"]
    edge: EdgeRule | None = None  # None: the rubric's edge_rule
    bands: list[Band] = Field(min_length=1)

    @model_validator(mode="after")
    def _tile(self) -> BandsScore:
        # "[at bands[i]]" lets the loader point at the band itself, not the whole table.
        problems: list[str] = []
        order = sorted(
            range(len(self.bands)),
            key=lambda i: (self.bands[i].min is not None, self.bands[i].min or 0),
        )
        ranked = [self.bands[i] for i in order]
        if ranked[0].min is not None:
            problems.append(t("rubric.model.bands_below", value=ranked[0].min))
        if ranked[-1].max is not None:
            problems.append(t("rubric.model.bands_above", value=ranked[-1].max))
        for (ia, a), (ib, b) in zip(
            zip(order, ranked, strict=True), zip(order[1:], ranked[1:], strict=True), strict=False
        ):
            first, second = sorted((ia, ib))
            if a.max is None or (b.min is not None and a.max > b.min):
                overlap = t(
                    "rubric.model.bands_overlap",
                    first=first,
                    second=second,
                    a=_span(self.bands[first]),
                    b=_span(self.bands[second]),
                )
                problems.append(f"[at bands[{second}]] {overlap}")
            elif b.min is not None and a.max < b.min:
                hole = t("rubric.model.bands_hole", first=first, second=second, a=a.max, b=b.min)
                problems.append(f"[at bands[{second}]] {hole}")
        if not problems:
            points = [band.points for band in ranked]
            rising = self.direction == "higher"
            if any((p2 < p1) if rising else (p2 > p1) for p1, p2 in pairwise(points)):
                problems.append(t(f"rubric.model.bands_{self.direction}"))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def max_points(self) -> Decimal:
        return max(b.points for b in self.bands)


def _span(band: Band) -> str:
    lo = "−∞" if band.min is None else str(band.min)
    hi = "+∞" if band.max is None else str(band.max)
    return f"{lo}..{hi}"


# ---- bands, bounds and labels ---------------------------------------------------------


def _band_matches(band: Band, value: Fraction) -> bool:
    lo, hi = band.lo, band.hi
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def band_for(score: BandsScore, edge: str, value: Fraction) -> Band:
    """The band a value falls in; on a shared edge the edge rule picks one."""
    hits = [b for b in score.bands if _band_matches(b, value)]
    if len(hits) == 1:
        return hits[0]
    if edge == "better_band":
        return max(hits, key=lambda b: b.points)
    lower = min(hits, key=lambda b: b.min if b.min is not None else Decimal("-Infinity"))
    upper = max(hits, key=lambda b: b.min if b.min is not None else Decimal("-Infinity"))
    return lower if edge == "lower_band" else upper


def band_range(score: BandsScore, scope: Scope) -> tuple[Decimal, Decimal]:
    """The fewest and most points the metric's bands give over the values it can take
    while its blanks are filled (`Scope.sweep`); any band when those cannot be searched
    (the bands tile every value)."""
    edge = score.edge or scope.edge_rule
    points = [b.points for b in score.bands]
    lowest, highest = min(points), max(points)

    def settled(least: Fraction, greatest: Fraction) -> bool:
        # Both ends of the table reached: a wider sweep gives the same range.
        ends = {band_for(score, edge, least).points, band_for(score, edge, greatest).points}
        return ends == {lowest, highest}

    values = scope.sweep(score.metric, settled)
    if not values:
        return lowest, highest
    # Points rise or fall with the metric (checked on load): its extremes give theirs.
    ends = [band_for(score, edge, min(values)).points, band_for(score, edge, max(values)).points]
    return min(ends), max(ends)


def band_label(
    band: Band, unit: str, score: BandsScore | None = None, edge: str = "better_band"
) -> str:
    """ "≥ 5%", "< 1%", "3%–5%": one-sided labels say whether the edge itself belongs."""
    if band.label:
        return str(band.label)
    lo = None if band.min is None else with_unit(band.min, unit)
    hi = None if band.max is None else with_unit(band.max, unit)
    if lo and hi:
        return f"{lo}–{hi}"

    def owns(bound: Decimal) -> bool:
        return score is None or band_for(score, edge, Fraction(bound)) is band

    if lo and band.min is not None:
        return f"{'≥' if owns(band.min) else '>'} {lo}"
    if hi and band.max is not None:
        return f"{'≤' if owns(band.max) else '<'} {hi}"
    return t("operator.band.any")


def band_target(score: BandsScore, edge: str, pts: Decimal) -> tuple[Band, Decimal, bool] | None:
    """The nearest band worth `pts`, the bound to reach and whether the bound is inside it."""
    same = [b for b in score.bands if b.points == pts]
    if not same:
        return None
    if score.direction == "higher":
        band = min(same, key=lambda b: b.min if b.min is not None else Decimal("Inf"))
        bound = band.min
    else:
        band = max(same, key=lambda b: b.max if b.max is not None else Decimal("-Inf"))
        bound = band.max
    if bound is None:
        return None
    return band, bound, band_for(score, edge, Fraction(bound)) is band


def reach_goal(score: BandsScore, inclusive: bool, value: str) -> str:
    """ "达到 5%", "超过 5%", "降至 50% 以下", "降至低于 50%"."""
    if score.direction == "higher":
        return t("operator.goal.at_least" if inclusive else "operator.goal.above", value=value)
    return t("operator.goal.at_most" if inclusive else "operator.goal.below", value=value)


def reach(
    score: BandsScore, scope: Scope, value: Fraction, points: Decimal, pts: Decimal
) -> tuple[Level, Decimal] | None:
    """The rung worth `pts` from a metric at `value` scoring `points`, and the metric
    value to reach: the one next-band function of the engine's next step and the plan's
    ladder, so both print the same lever figure, rounded so that it reaches the band.
    A figure of last year becomes a target for next year; the lever says what it must
    become and how far it is from it."""
    edge = score.edge or scope.edge_rule
    target = band_target(score, edge, pts)
    if target is None:
        return None
    band, bound, inclusive = target
    unit = scope.unit(score.metric)
    now, gain = with_unit(value, unit), fmt(pts - points)
    goal = reach_goal(score, inclusive, with_unit(bound, unit))
    lever = lever_from = lever_to = None
    move = move_lever(scope, score.metric, Fraction(bound), inclusive)
    if move is not None:
        lever, lever_from, lever_to = move.lever, to_decimal(move.start), move.goal
        text = reach_words(scope, score.metric, move, now, goal, gain)
    else:
        metric = scope.label(score.metric)
        text = t("operator.reach.plain", metric=metric, now=now, goal=goal, gain=gain)
    label = band_label(band, unit, score, edge)
    ahead = move is not None and move.next_year
    level = Level(pts, label, text, lever, lever_from, lever_to, ahead)
    return level, bound


def decide_bands(score: BandsScore, scope: Scope) -> Outcome:
    """`bands` deciding, without the next band (`Operator.decide`); shared with `best_of`,
    which decides each of its tables so."""
    value = scope.number(score.metric)
    if isinstance(value, Fraction):
        edge = score.edge or scope.edge_rule
        band = band_for(score, edge, value)
        label = band_label(band, scope.unit(score.metric), score, edge)
        facts = {"metric": scope.label(score.metric), "label": label}
        figure = scope.figure(score.metric)
        advice = str(band.advice)
        return Outcome(band.points, "ok", "band", facts, figure, value, label, None, advice)
    return unknown(value)


def score_bands(score: BandsScore, scope: Scope) -> Outcome:
    """`bands` scoring: the decision and the next band."""
    o = decide_bands(score, scope)
    if o.value is None:
        return o
    better = sorted({b.points for b in score.bands if b.points > o.points})
    found = reach(score, scope, o.value, o.points, better[0]) if better else None
    if found is None:
        return o
    return replace(o, next=next_step(found[0], o.points, to_decimal(found[1])))


def explain_bands(outcome: Outcome) -> str:
    f = outcome.facts
    return t(
        "operator.explain.band",
        metric=f["metric"],
        figure=outcome.figure,
        label=f["label"],
        points=fmt(outcome.points),
    )


@register
class Bands(Operator):
    name = "bands"
    model = BandsScore

    @classmethod
    def score(cls, score: BandsScore, scope: Scope, maximum: Decimal) -> Outcome:
        return score_bands(score, scope)

    @classmethod
    def decide(cls, score: BandsScore, scope: Scope, maximum: Decimal) -> Outcome:
        return decide_bands(score, scope)

    @classmethod
    def bounds(
        cls, score: BandsScore, scope: Scope, maximum: Decimal, outcome: Outcome
    ) -> tuple[Decimal, Decimal]:
        known = settled(outcome)
        if known is not None:
            return known
        return band_range(score, scope)

    @classmethod
    def explain(cls, score: BandsScore, outcome: Outcome) -> str:
        return explain_bands(outcome)

    @classmethod
    def rungs(cls, score: BandsScore, result: IndicatorResult, scope: Scope) -> list[Level]:
        value = scope.number(score.metric)
        if not isinstance(value, Fraction):
            return []
        out = []
        for pts in sorted({b.points for b in score.bands if b.points > result.points}):
            found = reach(score, scope, value, result.points, pts)
            if found is not None:
                out.append(found[0])
        return out

    @classmethod
    def names_read(cls, score: BandsScore) -> set[str]:
        return {score.metric}

    @classmethod
    def check(
        cls, score: BandsScore, loc: Loc, maximum: Decimal, checker: Checker
    ) -> Iterator[Problem]:
        yield from checker.numeric((*loc, "metric"), score.metric)

    @classmethod
    def document(cls, score: BandsScore, doc: Doc) -> Iterator[str]:
        yield t(f"rubric.doc.bands.{score.direction}", metric=score.metric)
        for band in score.bands:
            label = band_label(band, doc.unit(score.metric), score, score.edge or doc.edge_rule)
            yield t("rubric.doc.points_line", what=label, points=fmt(band.points))
