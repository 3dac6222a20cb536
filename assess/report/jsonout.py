"""Assessments as JSON-ready records: the score contract every machine format reads.

Contract (more keys are welcome, these never change meaning): `rubric`, `total`, `max`,
`passed`, `size_class`, `indicators` [{id, title, points, max, status, reason}],
`gates` [{id, ok, reason}].

With blanks in the data, `points` (and `total`, each class's `points`) are what the known
data guarantees and `at_most` the most it could reach once they are filled.  `pass_status`
is `pass`, `fail`, `undetermined` (the range crosses the line) or `platform_pending`
(every condition holds but the national platform's development score, still to be had;
`platform_need` is the score needed and `reference` the firm's points under the 2022
专精特新 table, a reference figure only — not the platform's method).

`record` also carries the improvement plan (`plan`: null once passed); `compact_record`,
written for every applicant of a batch round, leaves it out (a plan costs ten times the
scoring, and a round's reports make their own).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from assess.plan import MustFix, Step, TierPlan
from assess.report.words import explanation_lines, plan_summary, reference_words
from assess.results import Assessment, ConditionResult, IndicatorResult, Level, NextStep


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
        "at_most": number(ind.at_most),
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


def _level(level: Level) -> dict[str, Any]:
    return {
        "points": number(level.points),
        "target": level.label,
        "text": level.text,
        "lever": level.lever,
        "lever_from": number(level.lever_from),
        "lever_to": number(level.lever_to),
    }


def _step(st: Step) -> dict[str, Any]:
    return {
        "indicator": st.indicator,
        "title": st.title,
        "class": st.class_id,
        "points_from": number(st.points_from),
        "points_to": number(st.points_to),
        "gain": number(st.gain),
        "effort": number(st.effort),
        "text": st.text,
        "levels": [_level(lv) for lv in st.levels],
    }


def _must_fix(f: MustFix) -> dict[str, Any]:
    return {
        "conditions": [c.id for c in f.options],
        "title": f.title,
        "unknown": f.unknown,
        "advice": [c.advice for c in f.options if c.advice],
    }


def plan_record(p: TierPlan | None) -> dict[str, Any] | None:
    """The improvement plan as JSON: the route, the steps in order, the conditions points
    cannot buy, the data to fill in first and the other routes."""
    if p is None:
        return None
    return {
        "route": p.route,
        "summary": plan_summary(p),
        "scored": p.scored,
        "reachable": p.reachable,
        "target_total": number(p.target_total),
        "total": number(p.total),
        "total_after": number(p.total_after),
        "cost": number(p.cost),
        "classes": [
            {
                "id": c.id,
                "title": c.title,
                "points": number(c.points),
                "after": number(c.after),
                "minimum": number(c.minimum),
            }
            for c in p.classes
        ],
        "steps": [_step(st) for st in p.steps],
        "must_fix": [_must_fix(f) for f in p.must_fix],
        "missing": [i.id for i in p.missing],
        "fill_first": p.fill_first,
        "fill_gain": number(p.fill_gain),
        "alternatives": [
            {"label": alt.label, "must_fix": [_must_fix(f) for f in alt.must_fix]}
            for alt in p.alternatives
        ],
        "notes": list(p.notes),
    }


def _reference(a: Assessment) -> dict[str, Any] | None:
    """The 2022 专精特新 points beside a verdict waiting for the platform (not its score)."""
    r = a.reference
    if r is None:
        return None
    return {
        "rubric": r.rubric,
        "title": r.title,
        "total": number(r.total),
        "at_most": number(r.at_most),
        "max": number(r.max),
        "pass_mark": number(r.pass_mark),
        "text": reference_words(a),
    }


def record(a: Assessment) -> dict[str, Any]:
    """The score contract of one assessment, with its plan."""
    out = record_head(a)
    out["indicators"] = [_indicator(i) for i in a.indicators]
    out["plan"] = plan_record(a.plan)
    return out


# The rubric's static texts, the same for every applicant: `assess rubric show` has them.
STATIC_INDICATOR_KEYS = ("advice", "evidence", "source")


def _indicator_compact(ind: IndicatorResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ind.id,
        "title": ind.title,
        "points": number(ind.points),
        "at_most": number(ind.at_most),
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
        "at_most": number(a.at_most),
        "max": number(a.max),
        "pass_mark": number(a.pass_mark),
        "passed": a.passed,
        "pass_status": a.pass_status,
        "platform_need": number(a.platform_need),
        "reference": _reference(a),
        "complete": a.complete,
        "size_class": a.size_class,
        "size_reason": a.size_reason,
        "classes": [
            {
                "id": c.id,
                "title": c.title,
                "points": number(c.points),
                "at_most": number(c.points + c.unknown_max),
                "max": number(c.max),
                "maturity": c.maturity,
            }
            for c in a.classes
        ],
        "maturity": a.maturity,
        "indicators": [],
        "gates": gates,
        "direct": direct,
        "pass_explanation": explanation_lines(a.explanation),
        "warnings": list(a.warnings),
        "notes": list(a.notes),
    }


def dumps(assessments: Sequence[Assessment]) -> str:
    """One assessment → an object; several → a list of objects."""
    records = [record(a) for a in assessments]
    payload: Any = records[0] if len(records) == 1 else records
    return json.dumps(payload, ensure_ascii=False, indent=2)
