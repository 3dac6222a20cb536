"""`local`: a provincial block chosen by a field (province); points given directly win.

A block's parts are scored by their own operators (any registered operator allowed in
parts), so a new operator can serve as a local part without touching this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from pydantic import Field

from assess.catalog import t
from assess.errors import Problem
from assess.numbers import fmt, to_decimal
from assess.results import IndicatorResult, Level
from assess.rubric.common import NO_TEXT, Points, Strict, Text, texts
from assess.rubric.operators.base import (
    Checker,
    Doc,
    Operator,
    Outcome,
    Scope,
    ScoreModel,
    settled,
    unknown,
)
from assess.rubric.operators.registry import PartBlock, on_change, register
from assess.yamlsrc import Loc

_PROVINCE_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
)


def province_key(name: str) -> str:
    """山东省 and 山东 name the same province."""
    name = name.strip()
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


class LocalPart(Strict):
    id: str
    title: Text
    max: Points
    score: PartBlock  # any registered operator that allows parts
    source: Text = NO_TEXT
    evidence: list[Text] = Field(default=[])
    advice: Text = NO_TEXT


class LocalBlock(Strict):
    # Matched, as its Chinese, with the province the firm writes (山东省 or 山东); shown in
    # the language in force.
    province: Text
    status: Literal["official", "provisional"] = "official"
    source: Text
    note: Text = NO_TEXT
    parts: list[LocalPart] = Field(min_length=1)


class LocalScore(ScoreModel):
    """A provincial block chosen by a field (province); points given directly win."""

    operator: Literal["local"]
    selector: str
    override: str | None = None
    blocks: list[LocalBlock] = Field(default=[])

    @property
    def max_points(self) -> Decimal:
        return Decimal(0)  # each block is checked against the indicator in `check`

    def max_problem(self, maximum: Decimal) -> str | None:
        return None


def _rebuild() -> None:
    """Follow the registry: a newly registered operator may serve as a part."""
    for model in (LocalPart, LocalBlock, LocalScore):
        model.model_rebuild(force=True)


@register
class Local(Operator):
    name = "local"
    model = LocalScore
    in_parts = False

    @classmethod
    def score(cls, score: LocalScore, scope: Scope, maximum: Decimal) -> Outcome:
        override = scope.value(score.override) if score.override else None
        if isinstance(override, Fraction):
            points = min(maximum, to_decimal(override))
            field = scope.describe(score.override or "")
            figure = t("operator.points", points=fmt(points))
            return Outcome(points, "ok", "override", {"field": field}, figure)
        province = scope.value(score.selector)
        if not isinstance(province, str):
            return unknown(
                t("operator.local.missing", name=scope.describe(score.selector)),
                (score.selector,),
            )
        key = province_key(province)
        block = next((b for b in score.blocks if province_key(b.province) == key), None)
        if block is None:
            where = {"province": province, "max": maximum}
            return Outcome(Decimal(0), "not_assessed", "no_block", where)
        provisional = block.status == "provisional"
        parts = []
        for part in block.parts:
            o = scope.score_part(part.score, part.max)
            parts.append(
                IndicatorResult(
                    id=part.id,
                    title=str(part.title),
                    class_id="",  # the engine gives the indicator's class
                    points=o.points,
                    max=part.max,
                    status=o.status,
                    reason=o.reason,
                    figure=o.figure,
                    value=None if o.value is None else to_decimal(o.value),
                    band=o.band,
                    next=o.next,
                    advice=o.advice or str(part.advice),
                    evidence=texts(part.evidence),
                    missing=o.missing,
                    high=o.high,
                    provisional=provisional,
                    source=str(part.source or block.source),
                    code=o.code,
                )
            )
        undecided = [p for p in parts if p.status == "unknown"]
        if undecided:
            why = t("operator.and_separator").join(p.reason for p in undecided)
            missing = tuple(x for p in undecided for x in p.missing)
            return replace(unknown(why, missing), parts=tuple(parts))
        points = sum((p.points for p in parts), Decimal(0))
        steps = [p.next for p in parts if p.next is not None]
        facts = {
            "province": str(block.province),
            "note": str(block.note),
            "detail": t("operator.and_separator").join(
                t("operator.local.part", title=p.title, points=fmt(p.points), max=fmt(p.max))
                for p in parts
            ),
        }
        return Outcome(
            points,
            "ok",
            "block",
            facts,
            t("operator.points", points=fmt(points)),
            band=str(block.province),
            next=max(steps, key=lambda s: s.gain, default=None),
            parts=tuple(parts),
            provisional=provisional,
        )

    @classmethod
    def bounds(
        cls, score: LocalScore, scope: Scope, maximum: Decimal, outcome: Outcome
    ) -> tuple[Decimal, Decimal]:
        known = settled(outcome)
        if known is not None:
            return known
        if outcome.parts:  # the block is known; some of its parts are open
            low = sum((p.points for p in outcome.parts), Decimal(0))
            high = sum((p.points if p.high is None else p.high for p in outcome.parts), Decimal(0))
            return low, high
        # The province is blank: any block may apply, or none (a province without one).
        totals = [Decimal(0)]
        for block in score.blocks:
            total = Decimal(0)
            for part in block.parts:
                o = scope.score_part(part.score, part.max)
                total += o.points if o.high is None else o.high
            totals.append(min(maximum, total))
        return Decimal(0), max(totals)

    @classmethod
    def explain(cls, score: LocalScore, outcome: Outcome) -> str:
        f = outcome.facts
        if outcome.code == "override":
            return t("operator.explain.override", points=fmt(outcome.points), field=f["field"])
        if outcome.code == "no_block":
            return t("operator.explain.no_block", province=f["province"], max=fmt(f["max"]))
        note = t("operator.local.note", note=f["note"]) if f["note"] else ""
        return t("operator.explain.block", province=f["province"], detail=f["detail"], note=note)

    @classmethod
    def rungs(cls, score: LocalScore, result: IndicatorResult, scope: Scope) -> list[Level]:
        # The plan climbs the part the engine named (its next step): the parts' own
        # ladders would need a plan per part.
        return []

    @classmethod
    def names_read(cls, score: LocalScore) -> set[str]:
        return {n for n in (score.selector, score.override) if n}

    @classmethod
    def check(
        cls, score: LocalScore, loc: Loc, maximum: Decimal, checker: Checker
    ) -> Iterator[Problem]:
        for key in ("selector", "override"):
            name = getattr(score, key)
            if name is not None and name not in checker.inputs:
                yield checker.problem((*loc, key), t("rubric.model.not_input", name=repr(name)))
        for j, block in enumerate(score.blocks):
            total = sum((p.max for p in block.parts), Decimal(0))
            if total != maximum:
                yield checker.problem(
                    (*loc, "blocks", j),
                    t(
                        "rubric.model.local_sum",
                        province=str(block.province),
                        total=total,
                        maximum=maximum,
                    ),
                )
            for k, part in enumerate(block.parts):
                ploc = (*loc, "blocks", j, "parts", k)
                problem = part.score.max_problem(part.max)
                if problem is not None:
                    yield checker.problem((*ploc, "max"), problem)
                yield from checker.score(part.score, (*ploc, "score"), part.max)

    @classmethod
    def document(cls, score: LocalScore, doc: Doc) -> Iterator[str]:
        yield t("rubric.doc.local", selector=score.selector, override=str(score.override))
        for block in score.blocks:
            status = t("rubric.doc.provisional") if block.status == "provisional" else ""
            yield ""
            yield t(
                "rubric.doc.local_block",
                province=str(block.province),
                status=status,
                source=str(block.source),
            )
            if block.note:
                yield f"> {block.note}"
            for part in block.parts:
                yield ""
                yield t("rubric.doc.local_part", title=str(part.title), max=fmt(part.max))
                yield from doc.lines(part.score)

    @classmethod
    def parts(cls, score: LocalScore) -> tuple[tuple[str, Any, tuple[str, ...]], ...]:
        return tuple(
            (
                t("operator.local.part_title", province=str(block.province), title=str(part.title)),
                part.score,
                texts(part.evidence),
            )
            for block in score.blocks
            for part in block.parts
        )


on_change(_rebuild)
