"""`enum`: an enum field's value maps to points; every value must be mapped."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

from pydantic import Field

from assess.catalog import t
from assess.errors import Problem
from assess.fields import FIELDS_BY_ID, FieldType
from assess.numbers import fmt
from assess.results import IndicatorResult, Level
from assess.rubric.common import Points, Text
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
from assess.rubric.operators.tiers import grouped
from assess.yamlsrc import Loc


class EnumScore(ScoreModel):
    """An enum field's value maps to points; every value must be mapped."""

    operator: Literal["enum"]
    field: str
    points: dict[str, Points]
    advice: dict[str, Text] = Field(default={})

    @property
    def max_points(self) -> Decimal:
        return max(self.points.values())


def _reach(field: str, label: str, pts: Decimal, points: Decimal) -> Level:
    spec = FIELDS_BY_ID[field]
    text = t("operator.enum.reach", field=spec.label, label=label, gain=fmt(pts - points))
    return Level(pts, label, text)


@register
class Enum(Operator):
    name = "enum"
    model = EnumScore

    @classmethod
    def score(cls, score: EnumScore, scope: Scope, maximum: Decimal) -> Outcome:
        spec = FIELDS_BY_ID[score.field]
        value = scope.value(score.field)
        if not isinstance(value, str):
            return unknown(t("operator.missing", name=scope.describe(score.field)), (score.field,))
        points = score.points[value]
        label = spec.choice_label(value)
        better = sorted((p, v) for v, p in score.points.items() if p > points)
        nxt = None
        if better:
            p, v = better[0]
            nxt = next_step(_reach(score.field, spec.choice_label(v), p, points), points)
        facts = {"field": spec.label, "label": label}
        advice = str(score.advice.get(value, ""))
        return Outcome(points, "ok", "choice", facts, label, None, label, nxt, advice)

    @classmethod
    def bounds(
        cls, score: EnumScore, scope: Scope, maximum: Decimal, outcome: Outcome
    ) -> tuple[Decimal, Decimal]:
        known = settled(outcome)
        if known is not None:
            return known
        points = score.points.values()  # any choice may be made
        return min(points), max(points)

    @classmethod
    def explain(cls, score: EnumScore, outcome: Outcome) -> str:
        f = outcome.facts
        return t(
            "operator.explain.choice",
            field=f["field"],
            label=f["label"],
            points=fmt(outcome.points),
        )

    @classmethod
    def rungs(cls, score: EnumScore, result: IndicatorResult, scope: Scope) -> list[Level]:
        spec = FIELDS_BY_ID[score.field]
        pairs = [(p, spec.choice_label(v)) for v, p in score.points.items()]
        return [
            _reach(score.field, label, p, result.points)
            for p, label in grouped(pairs, result.points)
        ]

    @classmethod
    def names_read(cls, score: EnumScore) -> set[str]:
        return {score.field}

    @classmethod
    def check(
        cls, score: EnumScore, loc: Loc, maximum: Decimal, checker: Checker
    ) -> Iterator[Problem]:
        spec = FIELDS_BY_ID.get(score.field)
        if score.field not in checker.inputs or spec is None or spec.type is not FieldType.ENUM:
            yield checker.problem(
                (*loc, "field"), t("rubric.model.not_enum", name=repr(score.field))
            )
            return
        mapped, values = set(score.points), set(spec.choice_values)
        if mapped - values:
            extra = ", ".join(sorted(mapped - values))
            yield checker.problem(
                (*loc, "points"), t("rubric.model.enum_extra", name=score.field, values=extra)
            )
        if values - mapped:
            lacking = ", ".join(sorted(values - mapped))
            yield checker.problem((*loc, "points"), t("rubric.model.enum_missing", values=lacking))

    @classmethod
    def document(cls, score: EnumScore, doc: Doc) -> Iterator[str]:
        spec = FIELDS_BY_ID[score.field]
        yield t("rubric.doc.enum", field=score.field, label=spec.label)
        for value, points in score.points.items():
            yield t("rubric.doc.points_line", what=spec.choice_label(value), points=fmt(points))
