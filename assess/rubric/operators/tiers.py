"""`tiers`: the first tier whose condition holds gives the points."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Literal

from pydantic import Field

from assess.errors import Problem
from assess.numbers import fmt
from assess.results import IndicatorResult, Level
from assess.rubric.common import ExprText, Points, Strict
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
    label: str
    advice: str = ""


class Otherwise(Strict):
    points: Points = Decimal(0)
    label: str
    advice: str = ""


class TiersScore(ScoreModel):
    """The first tier whose condition holds gives the points."""

    operator: Literal["tiers"]
    tiers: list[Tier] = Field(min_length=1)
    otherwise: Otherwise

    @property
    def max_points(self) -> Decimal:
        return max([t.points for t in self.tiers] + [self.otherwise.points])


def grouped(pairs: Iterable[tuple[Decimal, str]], above: Decimal) -> list[tuple[Decimal, str]]:
    """(points, label) pairs above `above`, one per points value, labels joined by 或."""
    by_points: dict[Decimal, list[str]] = {}
    for pts, label in pairs:
        if pts > above and label not in by_points.setdefault(pts, []):
            by_points[pts].append(label)
    return [(p, " 或 ".join(by_points[p])) for p in sorted(by_points)]


def _reach(label: str, pts: Decimal, points: Decimal) -> Level:
    return Level(pts, label, f"达到「{label}」可再得 {fmt(pts - points)} 分")


def _next(better: list[Tier], points: Decimal) -> Level | None:
    above = [t for t in better if t.points > points]
    if not above:
        return None
    nxt = min(above, key=lambda t: t.points)
    return _reach(nxt.label, nxt.points, points)


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
                    return unknown(undecided.reason + "（可能达到更高档）", undecided.missing)
                figure = scope.names_figure(tier.when.names)
                level = _next(score.tiers[:i], tier.points)
                nxt = next_step(level, tier.points) if level else None
                facts = {"label": tier.label}
                return Outcome(
                    tier.points, "ok", "tier", facts, figure, None, tier.label, nxt, tier.advice
                )
        if undecided is not None:
            return unknown(undecided)
        figure = scope.names_figure(frozenset().union(*(t.when.names for t in score.tiers)))
        other = score.otherwise
        level = _next(score.tiers, other.points)
        nxt = next_step(level, other.points) if level else None
        facts = {"label": other.label}
        return Outcome(
            other.points, "ok", "otherwise", facts, figure, None, other.label, nxt, other.advice
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
        names = set().union(*(t.when.names for t in score.tiers))
        fillings = scope.fillings(names)
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
        if outcome.code == "tier":
            return f"{outcome.figure}，符合「{label}」，得 {points} 分"
        return f"{outcome.figure}，{label}，得 {points} 分"

    @classmethod
    def rungs(cls, score: TiersScore, result: IndicatorResult, scope: Scope) -> list[Level]:
        pairs = [(t.points, t.label) for t in score.tiers]
        return [_reach(label, p, result.points) for p, label in grouped(pairs, result.points)]

    @classmethod
    def names_read(cls, score: TiersScore) -> set[str]:
        return set().union(*(t.when.names for t in score.tiers))

    @classmethod
    def check(
        cls, score: TiersScore, loc: Loc, maximum: Decimal, checker: Checker
    ) -> Iterator[Problem]:
        for j, tier in enumerate(score.tiers):
            yield from checker.expr((*loc, "tiers", j, "when"), tier.when)

    @classmethod
    def document(cls, score: TiersScore, doc: Doc) -> Iterator[str]:
        yield "按顺序取第一个满足的档次："
        for tier in score.tiers:
            yield f"- {tier.label}（`{tier.when}`）→ {fmt(tier.points)} 分"
        yield f"- 其他：{score.otherwise.label} → {fmt(score.otherwise.points)} 分"
