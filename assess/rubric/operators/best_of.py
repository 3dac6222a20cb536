"""`best_of`: the better of several band tables (R&D amount band OR ratio band)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import Field

from assess.catalog import t
from assess.errors import Problem
from assess.numbers import fmt, to_decimal
from assess.results import IndicatorResult, Level, NextStep
from assess.rubric.operators.bands import (
    Bands,
    BandsScore,
    band_range,
    band_target,
    decide_bands,
    reach,
    reach_goal,
)
from assess.rubric.operators.base import (
    Checker,
    Doc,
    Operator,
    Outcome,
    Scope,
    ScoreModel,
    next_step,
    settled,
    unknown,
    with_unit,
)
from assess.rubric.operators.registry import register
from assess.yamlsrc import Loc


class BestOfScore(ScoreModel):
    """The better of several band tables (R&D amount band OR ratio band)."""

    operator: Literal["best_of"]
    options: list[BandsScore] = Field(min_length=2)

    @property
    def max_points(self) -> Decimal:
        return max(o.max_points for o in self.options)


def _cost(step: NextStep) -> Decimal:
    """How far the lever moves: the cheapest option's step is the one to name."""
    if step.lever_to is None or step.lever_from is None:
        return Decimal("Infinity")
    return step.lever_to - step.lever_from


@register
class BestOf(Operator):
    name = "best_of"
    model = BestOfScore
    in_parts = False

    @classmethod
    def decide(cls, score: BestOfScore, scope: Scope, maximum: Decimal) -> Outcome:
        outcomes = [decide_bands(option, scope) for option in score.options]
        reasons = [
            Bands.reason(option, o) for option, o in zip(score.options, outcomes, strict=True)
        ]
        known = [o for o in outcomes if o.status == "ok"]
        best = max(known, key=lambda o: o.points, default=None)
        if best is None or (len(known) < len(outcomes) and best.points < score.max_points):
            undecided = [(o, r) for o, r in zip(outcomes, reasons, strict=True) if o.status != "ok"]
            missing = tuple(dict.fromkeys(x for o, _ in undecided for x in o.missing))
            why = t("operator.and_separator").join(r for _, r in undecided)
            if best is not None:
                why += t("operator.best.open", points=fmt(best.points))
            return unknown(why, missing)
        facts = {"reasons": tuple(reasons)}
        figure = t("operator.and_separator").join(o.figure for o in outcomes)
        return replace(best, code="best", facts=facts, next=None, figure=figure)

    @classmethod
    def score(cls, score: BestOfScore, scope: Scope, maximum: Decimal) -> Outcome:
        o = cls.decide(score, scope, maximum)
        if o.status != "ok":
            return o
        # The next step: the cheapest among the options that would lift the indicator.
        steps = []
        for option in score.options:
            value = scope.number(option.metric)
            better = sorted({b.points for b in option.bands if b.points > o.points})
            if isinstance(value, Fraction) and better:
                found = reach(option, scope, value, o.points, better[0])
                if found is not None:
                    steps.append(next_step(found[0], o.points, to_decimal(found[1])))
        steps.sort(key=_cost)
        return replace(o, next=steps[0] if steps else None)

    @classmethod
    def bounds(
        cls, score: BestOfScore, scope: Scope, maximum: Decimal, outcome: Outcome
    ) -> tuple[Decimal, Decimal]:
        # The better of the options: at least the best any option surely gives, at most
        # the best any could reach.
        known = settled(outcome)
        if known is not None:
            return known
        ranges = []
        for option in score.options:
            o = decide_bands(option, scope)  # the points only: no next band needed
            ranges.append((o.points, o.points) if o.status == "ok" else band_range(option, scope))
        return max(lo for lo, _ in ranges), max(hi for _, hi in ranges)

    @classmethod
    def explain(cls, score: BestOfScore, outcome: Outcome) -> str:
        reasons = t("operator.and_separator").join(outcome.facts["reasons"])
        return t("operator.explain.best", reasons=reasons, points=fmt(outcome.points))

    @classmethod
    def rungs(cls, score: BestOfScore, result: IndicatorResult, scope: Scope) -> list[Level]:
        # Any option reaching the points will do; name the nearest band of each.
        cur = result.points
        levels = sorted({b.points for o in score.options for b in o.bands if b.points > cur})
        out = []
        for pts in levels:
            ways = []
            for option in score.options:
                worth = sorted({b.points for b in option.bands if b.points >= pts})
                edge = option.edge or scope.edge_rule
                target = band_target(option, edge, worth[0]) if worth else None
                if target is not None:
                    unit = scope.unit(option.metric)
                    goal = reach_goal(option, target[2], with_unit(target[1], unit))
                    ways.append(
                        t("operator.best.way", metric=scope.label(option.metric), goal=goal)
                    )
            if ways:
                joined = t("operator.best.or").join(dict.fromkeys(ways))
                text = t("operator.best.rung", ways=joined, gain=fmt(pts - cur))
                out.append(Level(pts, t("operator.best.label", points=fmt(pts)), text))
        return out

    @classmethod
    def names_read(cls, score: BestOfScore) -> set[str]:
        return {o.metric for o in score.options}

    @classmethod
    def check(
        cls, score: BestOfScore, loc: Loc, maximum: Decimal, checker: Checker
    ) -> Iterator[Problem]:
        for j, option in enumerate(score.options):
            yield from checker.numeric((*loc, "options", j, "metric"), option.metric)

    @classmethod
    def document(cls, score: BestOfScore, doc: Doc) -> Iterator[str]:
        yield t("rubric.doc.best_of")
        for option in score.options:
            for line in Bands.document(option, doc):
                yield "  " + line if line.startswith("-") else line
