"""Every case beside every rubric: the scores the official tables give, value by value."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from assess.engine import _Context
from assess.intake.firm import firm_from_mapping
from assess.report.words import explanation_lines
from assess.rubric import models as m
from assess.rubric.loader import builtin_rubrics
from tests.rubric_cases import Case, load_cases, run_case

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rubric}:{c.id}" for c in CASES])
def test_case(case: Case) -> None:
    result = run_case(case)
    expect = case.expect
    by_id = {i.id: i for i in result.indicators}
    for ind_id, points in (expect.get("indicators") or {}).items():
        assert by_id[ind_id].points == Decimal(str(points)), (ind_id, by_id[ind_id].reason)
    for ind_id, status in (expect.get("status") or {}).items():
        assert by_id[ind_id].status == status, (ind_id, by_id[ind_id].reason)
    conds = {c.id: c for c in result.conditions}
    for cond_id, ok in (expect.get("conditions") or {}).items():
        assert conds[cond_id].ok is ok, (cond_id, conds[cond_id].reason)
    classes = {c.id: c for c in result.classes}
    for cls_id, points in (expect.get("classes") or {}).items():
        assert classes[cls_id].points == Decimal(str(points)), cls_id
    for cls_id, label in (expect.get("maturity") or {}).items():
        got = result.maturity if cls_id == "total" else classes[cls_id].maturity
        assert got == label, cls_id
    if "total" in expect:
        assert result.total == Decimal(str(expect["total"]))
    if "passed" in expect:
        assert result.passed is expect["passed"], explanation_lines(result.explanation)
    if "pass_status" in expect:
        assert result.pass_status == expect["pass_status"], explanation_lines(result.explanation)
    if "size_class" in expect:
        assert result.size_class == expect["size_class"], result.size_reason
    for ind_id, text in (expect.get("reason_contains") or {}).items():
        assert text in by_id[ind_id].reason, by_id[ind_id].reason


def _case_ids_for(rubric_id: str) -> list[Case]:
    return [c for c in CASES if c.rubric == rubric_id]


def _coverage_gaps(rubric: m.Rubric) -> list[str]:
    """Bands, tiers, values, items and edges of each indicator that no case reaches."""
    cases = _case_ids_for(rubric.id)
    runs = [run_case(c) for c in cases]
    contexts = [_Context(rubric, firm_from_mapping(c.firm, c.id)) for c in cases]
    gaps = []

    def metric_values(name: str) -> set[Fraction]:
        return {v for ctx in contexts if isinstance(v := ctx.env.get(name), Fraction)}

    def results_for(ind_id: str) -> list:
        out = []
        for run in runs:
            for ind in run.indicators:
                if ind.id == ind_id:
                    out.append(ind)
                for part in ind.parts:
                    if part.id == ind_id:
                        out.append(part)
        return out

    def check(ind_id: str, score: object) -> None:
        seen = results_for(ind_id)
        if isinstance(score, m.BandsScore | m.BestOfScore):
            options = score.options if isinstance(score, m.BestOfScore) else [score]
            for option in options:
                values = metric_values(option.metric)
                for band in option.bands:
                    for edge in (band.min, band.max):
                        if edge is not None and Fraction(edge) not in values:
                            gaps.append(f"{ind_id}: no case with {option.metric} exactly {edge}")
            points = {r.points for r in seen if r.status == "ok"}
            for option in options:
                for band in option.bands:
                    if band.points not in points:
                        gaps.append(f"{ind_id}: no case scores {band.points} ({option.metric})")
        elif isinstance(score, m.TiersScore):
            labels = {r.band for r in seen}
            for label in [t.label for t in score.tiers] + [score.otherwise.label]:
                if label not in labels:
                    gaps.append(f"{ind_id}: no case reaches {label!r}")
        elif isinstance(score, m.EnumScore | m.ItemsScore | m.SteppedScore):
            points = {r.points for r in seen if r.status == "ok"}
            if isinstance(score, m.EnumScore):
                wanted = set(score.points.values())
            else:
                step = (
                    score.points_each if isinstance(score, m.ItemsScore) else score.points_per_step
                )
                wanted = {min(score.cap, step * k) for k in range(0, 12)}
            for p in sorted(wanted - points):
                gaps.append(f"{ind_id}: no case scores {p}")
        if not any(r.status == "unknown" for r in seen) and not isinstance(score, m.LocalScore):
            gaps.append(f"{ind_id}: no case with missing data")

    for ind in rubric.indicators:
        if isinstance(ind.score, m.LocalScore):
            for block in ind.score.blocks:
                for part in block.parts:
                    check(part.id, part.score)
        else:
            check(ind.id, ind.score)
    return gaps


@pytest.mark.parametrize("rubric_id", sorted(builtin_rubrics()))
def test_cases_cover_every_band_and_edge(rubric_id: str) -> None:
    rubric = builtin_rubrics()[rubric_id]
    if not rubric.indicators:
        pytest.skip("a rubric of conditions only: covered by its condition cases")
    assert _case_ids_for(rubric_id), f"no cases for {rubric_id}"
    assert _coverage_gaps(rubric) == []


@pytest.mark.parametrize("rubric_id", sorted(builtin_rubrics()))
def test_every_condition_is_seen_true_and_false(rubric_id: str) -> None:
    rubric = builtin_rubrics()[rubric_id]
    runs = [run_case(c) for c in _case_ids_for(rubric_id)]
    assert runs, f"no cases for {rubric_id}"
    for cond in rubric.conditions:
        outcomes = {c.ok for r in runs for c in r.conditions if c.id == cond.id}
        assert {True, False} <= outcomes, f"{cond.id}: seen only {outcomes}"
