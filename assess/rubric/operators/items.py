"""`items`: a fixed number of points per item held, capped."""

from __future__ import annotations

from collections.abc import Iterator
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


class Item(Strict):
    id: str
    when: ExprText
    label: Text


class ItemsScore(ScoreModel):
    """A fixed number of points per item held, capped."""

    operator: Literal["items"]
    items: list[Item] = Field(min_length=1)
    points_each: Points
    cap: Points
    advice: Text = NO_TEXT

    @property
    def max_points(self) -> Decimal:
        return min(self.cap, self.points_each * len(self.items))


def _held(score: ItemsScore, scope: Scope) -> Decimal | None:
    """The points of the items held; None when one is undecided."""
    held = 0
    for item in score.items:
        ok = scope.eval(item.when)
        if isinstance(ok, Unknown):
            return None
        held += ok is True
    return min(score.cap, score.points_each * held)


@register
class Items(Operator):
    name = "items"
    model = ItemsScore

    @classmethod
    def score(cls, score: ItemsScore, scope: Scope, maximum: Decimal) -> Outcome:
        held: list[Item] = []
        lacking: list[Item] = []
        undecided = Unknown(())
        for item in score.items:
            ok = scope.eval(item.when)
            if isinstance(ok, Unknown):
                undecided = undecided | ok
            else:
                (held if ok else lacking).append(item)
        points = min(score.cap, score.points_each * len(held))
        sep = t("operator.list_separator")
        labels = sep.join(str(i.label) for i in held) or t("operator.items.none")
        if undecided.reasons and points < score.cap:
            why = t("operator.items.held_open", labels=labels, reason=undecided.reason)
            return unknown(why, undecided.missing)
        nxt = None
        if lacking and points < score.cap:
            gain = min(score.cap, points + score.points_each) - points
            options = sep.join(str(i.label) for i in lacking)
            text = t("operator.items.next", options=options, gain=fmt(gain))
            nxt = next_step(Level(points + gain, str(lacking[0].label), text), points)
        facts = {"held": len(held), "labels": labels}
        advice = str(score.advice) if nxt else ""
        figure = t("operator.items.figure", count=len(held))
        return Outcome(points, "ok", "items", facts, figure, None, labels, nxt, advice)

    @classmethod
    def bounds(
        cls, score: ItemsScore, scope: Scope, maximum: Decimal, outcome: Outcome
    ) -> tuple[Decimal, Decimal]:
        known = settled(outcome)
        if known is not None:
            return known
        each = score.points_each
        fillings = scope.fillings(
            set().union(*(i.when.names for i in score.items)), [i.when for i in score.items]
        )
        if fillings is not None:
            found = {p for f in fillings if (p := _held(score, f)) is not None}
            if found:
                return min(found), max(found)
        # Too many blanks to try: each open item may be held or not, independently.
        held = open_ = 0
        for item in score.items:
            ok = scope.eval(item.when)
            if isinstance(ok, Unknown):
                open_ += 1
            elif ok:
                held += 1
        return min(score.cap, each * held), min(score.cap, each * (held + open_))

    @classmethod
    def explain(cls, score: ItemsScore, outcome: Outcome) -> str:
        f = outcome.facts
        return t(
            "operator.explain.items",
            held=f["held"],
            labels=f["labels"],
            each=fmt(score.points_each),
            cap=fmt(score.cap),
            points=fmt(outcome.points),
        )

    @classmethod
    def rungs(cls, score: ItemsScore, result: IndicatorResult, scope: Scope) -> list[Level]:
        out = []
        cur = result.points
        k, pts = 1, cur
        while pts < score.cap and score.points_each > 0:
            pts = min(score.cap, cur + score.points_each * k)
            label = t("operator.items.rung_label", count=k)
            out.append(Level(pts, label, t("operator.items.rung", count=k, gain=fmt(pts - cur))))
            k += 1
        return out

    @classmethod
    def names_read(cls, score: ItemsScore) -> set[str]:
        return set().union(*(i.when.names for i in score.items))

    @classmethod
    def check(
        cls, score: ItemsScore, loc: Loc, maximum: Decimal, checker: Checker
    ) -> Iterator[Problem]:
        for j, item in enumerate(score.items):
            yield from checker.expr((*loc, "items", j, "when"), item.when)

    @classmethod
    def document(cls, score: ItemsScore, doc: Doc) -> Iterator[str]:
        yield t("rubric.doc.items", each=fmt(score.points_each), cap=fmt(score.cap))
        for item in score.items:
            yield "- " + t("rubric.doc.when", label=str(item.label), when=str(item.when))
