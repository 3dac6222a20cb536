"""`tiers`: the first tier whose condition holds gives the points."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Literal

from pydantic import Field

from assess.catalog import t
from assess.errors import Problem
from assess.numbers import fmt
from assess.results import IndicatorResult, Level
from assess.rubric.common import NO_TEXT, ExprText, Points, Strict, Text
from assess.rubric.expr import Unknown
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
)
from assess.rubric.operators.registry import register
from assess.yamlsrc import Loc


class Tier(Strict):
    when: ExprText
    points: Points
    label: Text
    advice: Text = NO_TEXT


class Otherwise(Strict):
    points: Points = Decimal(0)
    label: Text
    advice: Text = NO_TEXT


class TiersScore(ScoreModel):
    """The first tier whose condition holds gives the points."""

    operator: Literal["tiers"]
    tiers: list[Tier] = Field(min_length=1)
    otherwise: Otherwise

    @property
    def max_points(self) -> Decimal:
        return max([x.points for x in self.tiers] + [self.otherwise.points])


def grouped(pairs: Iterable[tuple[Decimal, str]], above: Decimal) -> list[tuple[Decimal, str]]:
    """(points, label) pairs above `above`, one per points value, labels joined by 或
    (or)."""
    by_points: dict[Decimal, list[str]] = {}
    for pts, label in pairs:
        if pts > above and label not in by_points.setdefault(pts, []):
            by_points[pts].append(label)
    sep = t("operator.best.or")
    return [(p, sep.join(by_points[p])) for p in sorted(by_points)]


def _reach(label: str, pts: Decimal, points: Decimal) -> Level:
    return Level(pts, label, t("operator.tier.reach", label=label, gain=fmt(pts - points)))


def _next(better: list[Tier], points: Decimal) -> Level | None:
    above = [x for x in better if x.points > points]
    if not above:
        return None
    nxt = min(above, key=lambda x: x.points)
    return _reach(str(nxt.label), nxt.points, points)


def _first(score: TiersScore, scope: Scope) -> Decimal | None:
    """The points of the first tier that holds; None when one before it is undecided."""
    for tier in score.tiers:
        ok = scope.eval(tier.when)
        if isinstance(ok, Unknown):
            return None
        if ok is True:
            return tier.points
    return score.otherwise.points


@register
class Tiers(Operator):
    name = "tiers"
    model = TiersScore

    @classmethod
    def score(cls, score: TiersScore, scope: Scope, maximum: Decimal) -> Outcome:
        undecided: Unknown | None = None
        for i, tier in enumerate(score.tiers):
            ok = scope.eval(tier.when)
            if isinstance(ok, Unknown):
                undecided = ok if undecided is None else undecided | ok
                continue
            if ok is True:
                if undecided is not None:
                    # A tier above might hold once the data is there.
                    why = undecided.reason + t("operator.tier.higher_open")
                    return unknown(why, undecided.missing)
                figure = scope.names_figure(tier.when.names)
                level = _next(score.tiers[:i], tier.points)
                nxt = next_step(level, tier.points) if level else None
                label = str(tier.label)
                facts = {"label": label}
                return Outcome(
                    tier.points, "ok", "tier", facts, figure, None, label, nxt, str(tier.advice)
                )
        if undecided is not None:
            return unknown(undecided)
        figure = scope.names_figure(frozenset().union(*(x.when.names for x in score.tiers)))
        other = score.otherwise
        level = _next(score.tiers, other.points)
        nxt = next_step(level, other.points) if level else None
        label = str(other.label)
        facts = {"label": label}
        return Outcome(
            other.points, "ok", "otherwise", facts, figure, None, label, nxt, str(other.advice)
        )

    @classmethod
    def bounds(
        cls, score: TiersScore, scope: Scope, maximum: Decimal, outcome: Outcome
    ) -> tuple[Decimal, Decimal]:
        # Each tier whose condition is open may hold or not; the first that surely holds
        # (or otherwise) ends the list: every tier open above it, and it, can be the one.
        known = settled(outcome)
        if known is not None:
            return known
        names = set().union(*(x.when.names for x in score.tiers))
        fillings = scope.fillings(names, [x.when for x in score.tiers])
        if fillings is not None:
            found = {p for f in fillings if (p := _first(score, f)) is not None}
            if found:
                return min(found), max(found)
        # Too many blanks to try: each open tier may hold or not, independently.
        possible: list[Decimal] = []
        for tier in score.tiers:
            ok = scope.eval(tier.when)
            if ok is True:
                possible.append(tier.points)
                break
            if isinstance(ok, Unknown):
                possible.append(tier.points)
        else:
            possible.append(score.otherwise.points)
        return min(possible), max(possible)

    @classmethod
    def explain(cls, score: TiersScore, outcome: Outcome) -> str:
        label, points = outcome.facts["label"], fmt(outcome.points)
        key = "operator.explain.tier" if outcome.code == "tier" else "operator.explain.otherwise"
        return t(key, figure=outcome.figure, label=label, points=points)

    @classmethod
    def rungs(cls, score: TiersScore, result: IndicatorResult, scope: Scope) -> list[Level]:
        pairs = [(tier.points, str(tier.label)) for tier in score.tiers]
        return [_reach(label, p, result.points) for p, label in grouped(pairs, result.points)]

    @classmethod
    def names_read(cls, score: TiersScore) -> set[str]:
        return set().union(*(x.when.names for x in score.tiers))

    @classmethod
    def check(
        cls, score: TiersScore, loc: Loc, maximum: Decimal, checker: Checker
    ) -> Iterator[Problem]:
        for j, tier in enumerate(score.tiers):
            yield from checker.expr((*loc, "tiers", j, "when"), tier.when)

    @classmethod
    def document(cls, score: TiersScore, doc: Doc) -> Iterator[str]:
        yield t("rubric.doc.tiers")
        for tier in score.tiers:
            yield t(
                "rubric.doc.tier_line",
                label=str(tier.label),
                when=str(tier.when),
                points=fmt(tier.points),
            )
        other = t("rubric.doc.otherwise", label=str(score.otherwise.label))
        yield t("rubric.doc.points_line", what=other, points=fmt(score.otherwise.points))
