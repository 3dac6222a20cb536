"""Assessments as JSON-ready records: the score contract every machine format reads.

Contract (more keys are welcome, these never change meaning): `rubric`, `total`, `max`,
`passed`, `size_class`, `indicators` [{id, title, points, max, status, reason}],
`gates` [{id, ok, reason}].
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from assess.results import Assessment, ConditionResult, IndicatorResult, NextStep


def number(value: Decimal | None) -> int | float | None:
    """A Decimal as a JSON number: an int when whole, else a float."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _next(step: NextStep | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {
        "gain": number(step.gain),
        "target": step.target,
        "text": step.text,
        "metric_target": number(step.metric_target),
        "lever": step.lever,
        "lever_from": number(step.lever_from),
        "lever_to": number(step.lever_to),
    }


def _indicator(ind: IndicatorResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ind.id,
        "title": ind.title,
        "points": number(ind.points),
        "max": number(ind.max),
        "status": ind.status,
        "reason": ind.reason,
        "class": ind.class_id,
        "figure": ind.figure,
        "value": number(ind.value),
        "band": ind.band,
        "next": _next(ind.next),
        "advice": ind.advice,
        "evidence": list(ind.evidence),
        "missing": list(ind.missing),
        "provisional": ind.provisional,
        "source": ind.source,
    }
    if ind.parts:
        out["parts"] = [_indicator(p) for p in ind.parts]
    return out


def _condition(c: ConditionResult) -> dict[str, Any]:
    return {
        "id": c.id,
        "ok": c.ok is True,
        "status": {True: "ok", False: "failed", None: "unknown"}[c.ok],
        "reason": c.reason,
        "title": c.title,
        "role": c.role,
        "group": c.group,
        "missing": list(c.missing),
    }


def record(a: Assessment) -> dict[str, Any]:
    return {
        "rubric": a.rubric,
        "title": a.rubric_title,
        "version": a.rubric_version,
        "status": a.rubric_status,
        "tier": a.tier,
        "firm": a.firm,
        "source": a.source,
        "total": number(a.total),
        "max": number(a.max),
        "pass_mark": number(a.pass_mark),
        "passed": a.passed,
        "pass_status": a.pass_status,
        "complete": a.complete,
        "size_class": a.size_class,
        "size_reason": a.size_reason,
        "classes": [
            {
                "id": c.id,
                "title": c.title,
                "points": number(c.points),
                "max": number(c.max),
                "maturity": c.maturity,
            }
            for c in a.classes
        ],
        "maturity": a.maturity,
        "indicators": [_indicator(i) for i in a.indicators],
        "gates": [_condition(c) for c in a.gates],
        "direct": [_condition(c) for c in a.direct],
        "pass_explanation": list(a.pass_explanation),
        "warnings": list(a.warnings),
        "notes": list(a.notes),
    }


# The rubric's static texts, the same for every applicant: `assess rubric show` has them.
STATIC_INDICATOR_KEYS = ("advice", "evidence", "source")


def _indicator_compact(ind: IndicatorResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ind.id,
        "title": ind.title,
        "points": number(ind.points),
        "max": number(ind.max),
        "status": ind.status,
        "reason": ind.reason,
        "class": ind.class_id,
        "figure": ind.figure,
        "value": number(ind.value),
        "band": ind.band,
        "next": _next(ind.next),
        "missing": list(ind.missing),
        "provisional": ind.provisional,
    }
    if ind.parts:
        out["parts"] = [_indicator_compact(p) for p in ind.parts]
    return out


def compact_record(a: Assessment) -> dict[str, Any]:
    """`record` without the rubric's static texts (each indicator's `advice`, `evidence`
    and `source`), for results.jsonl, where they would be most of every line: the score
    contract and everything that depends on the applicant are all there."""
    out = record_head(a)
    out["indicators"] = [_indicator_compact(i) for i in a.indicators]
    return out


def record_head(a: Assessment) -> dict[str, Any]:
    """`record`'s keys, in its order, with the indicators left to the caller."""
    gates: list[dict[str, Any]] = []
    direct: list[dict[str, Any]] = []
    for c in a.conditions:
        (direct if c.role == "direct" else gates).append(_condition(c))
    return {
        "rubric": a.rubric,
        "title": a.rubric_title,
        "version": a.rubric_version,
        "status": a.rubric_status,
        "tier": a.tier,
        "firm": a.firm,
        "source": a.source,
        "total": number(a.total),
        "max": number(a.max),
        "pass_mark": number(a.pass_mark),
        "passed": a.passed,
        "pass_status": a.pass_status,
        "complete": a.complete,
        "size_class": a.size_class,
        "size_reason": a.size_reason,
        "classes": [
            {
                "id": c.id,
                "title": c.title,
                "points": number(c.points),
                "max": number(c.max),
                "maturity": c.maturity,
            }
            for c in a.classes
        ],
        "maturity": a.maturity,
        "indicators": [],
        "gates": gates,
        "direct": direct,
        "pass_explanation": list(a.pass_explanation),
        "warnings": list(a.warnings),
        "notes": list(a.notes),
    }


def dumps(assessments: Sequence[Assessment]) -> str:
    """One assessment → an object; several → a list of objects."""
    records = [record(a) for a in assessments]
    payload: Any = records[0] if len(records) == 1 else records
    return json.dumps(payload, ensure_ascii=False, indent=2)
