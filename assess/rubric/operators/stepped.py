"""`stepped`: points_per_step for each full step of a metric, capped (1 per full 2 years,
at most 5)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Annotated, Literal

from pydantic import Field

from assess.catalog import t
from assess.errors import Problem
from assess.numbers import fmt, to_decimal
from assess.results import IndicatorResult, Level
from assess.rubric.common import NO_TEXT, Points, Text
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


class SteppedScore(ScoreModel):
    """points_per_step for each full step of the metric, capped (1 per full 2 years, ≤ 5)."""

    operator: Literal["stepped"]
    metric: str
    step: Annotated[Decimal, Field(gt=0)]
    points_per_step: Points
    cap: Points
    advice: Text = NO_TEXT

    @property
    def max_points(self) -> Decimal:
        return self.cap


def _rung(score: SteppedScore, scope: Scope, value: Fraction, done: int, k: int) -> Level:
    """The rung k steps above the `done` full steps of `value`; with the lever figure that
    reaches it when the metric has one (a count the firm can raise: 合作高校数不少于 2)."""
    unit = scope.unit(score.metric)
    cur = min(score.cap, score.points_per_step * done)
    pts = min(score.cap, score.points_per_step * (done + k))
    reach = (done + k) * Fraction(score.step)
    now, gain = with_unit(value, unit), fmt(pts - cur)
    goal = t("operator.step.goal", value=with_unit(reach, unit))
    move = move_lever(scope, score.metric, reach, inclusive=True)
    if move is None:
        text = t(
            "operator.reach.plain", metric=scope.label(score.metric), now=now, goal=goal, gain=gain
        )
        return Level(pts, with_unit(reach, unit), text)
    text = reach_words(scope, score.metric, move, now, goal, gain)
    start = to_decimal(move.start)
    return Level(pts, with_unit(reach, unit), text, move.lever, start, move.goal, move.next_year)


@register
class Stepped(Operator):
    name = "stepped"
    model = SteppedScore

    @classmethod
    def decide(cls, score: SteppedScore, scope: Scope, maximum: Decimal) -> Outcome:
        value = scope.number(score.metric)
        if not isinstance(value, Fraction):
            return unknown(value)
        steps = max(0, floor(value / Fraction(score.step)))
        points = min(score.cap, score.points_per_step * steps)
        figure = with_unit(value, scope.unit(score.metric))
        facts = {"metric": scope.label(score.metric), "unit": scope.unit(score.metric)}
        advice = str(score.advice) if points < score.cap else ""  # while a step is left
        band = t("operator.steps.band", count=steps)
        return Outcome(points, "ok", "steps", facts, figure, value, band, None, advice)

    @classmethod
    def score(cls, score: SteppedScore, scope: Scope, maximum: Decimal) -> Outcome:
        o = cls.decide(score, scope, maximum)
        if o.value is None or o.points >= score.cap:
            return o
        steps = max(0, floor(o.value / Fraction(score.step)))
        level = _rung(score, scope, o.value, steps, 1)
        return replace(
            o, next=next_step(level, o.points, to_decimal((steps + 1) * Fraction(score.step)))
        )

    @classmethod
    def bounds(
        cls, score: SteppedScore, scope: Scope, maximum: Decimal, outcome: Outcome
    ) -> tuple[Decimal, Decimal]:
        known = settled(outcome)
        if known is not None:
            return known
        values = scope.sweep(score.metric)
        if not values:
            return Decimal(0), score.cap  # below one step, or as many as the cap takes
        step = Fraction(score.step)

        def points(v: Fraction) -> Decimal:
            return min(score.cap, score.points_per_step * max(0, floor(v / step)))

        return points(min(values)), points(max(values))

    @classmethod
    def explain(cls, score: SteppedScore, outcome: Outcome) -> str:
        f = outcome.facts
        return t(
            "operator.explain.steps",
            metric=f["metric"],
            figure=outcome.figure,
            step=with_unit(score.step, f["unit"]),
            each=fmt(score.points_per_step),
            cap=fmt(score.cap),
            points=fmt(outcome.points),
        )

    @classmethod
    def rungs(cls, score: SteppedScore, result: IndicatorResult, scope: Scope) -> list[Level]:
        value = scope.number(score.metric)
        if not isinstance(value, Fraction):
            return []
        done = max(0, floor(value / Fraction(score.step)))
        out: list[Level] = []
        k = 1
        while score.points_per_step > 0:
            rung = _rung(score, scope, value, done, k)
            if rung.points <= result.points:
                break
            out.append(rung)
            if rung.points >= score.cap:
                break
            k += 1
        return out

    @classmethod
    def names_read(cls, score: SteppedScore) -> set[str]:
        return {score.metric}

    @classmethod
    def check(
        cls, score: SteppedScore, loc: Loc, maximum: Decimal, checker: Checker
    ) -> Iterator[Problem]:
        yield from checker.numeric((*loc, "metric"), score.metric)

    @classmethod
    def document(cls, score: SteppedScore, doc: Doc) -> Iterator[str]:
        yield t(
            "rubric.doc.stepped",
            metric=score.metric,
            step=fmt(score.step),
            each=fmt(score.points_per_step),
            cap=fmt(score.cap),
        )
