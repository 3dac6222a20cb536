"""Improvement plans: they reach the pass mark when carried out, cheapest route first."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from assess import plan as planning
from assess.catalog import using
from assess.engine import evaluate, scoring_context
from assess.fields import next_year_values
from assess.intake.firm import Firm, firm_from_mapping, load_firm_file
from assess.report.words import explanation_lines
from assess.results import Assessment, IndicatorResult
from assess.rubric import models as m
from assess.rubric.loader import builtin_rubrics, get_rubric, load_rubric
from tests.test_properties import RUBRICS, firms

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

# ---- a small rubric we control: three banded indicators, each with a lever ----------------


def _rubric(
    tmp_path: Path,
    *,
    total: int = 20,
    class_a: int | None = None,
    effort: dict[str, int] | None = None,
) -> m.Rubric:
    effort = {"A1": 5, "B1": 1, "B2": 3, **(effort or {})}
    score_route: list[dict[str, Any]] = [{"total_at_least": total}]
    if class_a is not None:
        score_route.append({"class_at_least": {"a": class_a}})

    def indicator(
        ident: str, cls: str, metric: str, direction: str, bands: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "id": ident,
            "title": {"zh": f"指标{ident}"},
            "class": cls,
            "max": 20,
            "source": "测试",
            "rationale": "测试",
            "evidence": [f"{ident} 证明材料"],
            "effort": effort[ident],
            "score": {
                "operator": "bands",
                "metric": metric,
                "direction": direction,
                "bands": bands,
            },
        }

    doc = {
        "schema_version": 1,
        "id": "test-plan",
        "title": {"zh": "测试标准"},
        "version": "1",
        "tier": "innovative",
        "document": "测试文件",
        "issued_by": "测试",
        "effective_from": "2022-01-01",
        "status": "official",
        "edge_rule": "better_band",
        "pass_mark": total,
        "max_total": 60,
        "inputs": [
            "rd_expense",
            "revenue",
            "total_liabilities",
            "total_assets",
            "main_revenue",
            "main_revenue_prev",
            "compliance_ok",
            "high_tech_enterprise",
        ],
        "metrics": [
            {
                "id": "rd_share",
                "title": {"zh": "研发费用占比"},
                "unit": "percent",
                "expr": "rd_expense / revenue * 100",
                "lever": "rd_expense",
            },
            {
                "id": "debt_ratio",
                "title": {"zh": "资产负债率"},
                "unit": "percent",
                "expr": "total_liabilities / total_assets * 100",
                "lever": "total_liabilities",
            },
            {
                "id": "main_growth",
                "title": {"zh": "主营业务收入增长率"},
                "unit": "percent",
                "expr": "(main_revenue / main_revenue_prev - 1) * 100",
                "lever": "main_revenue",
            },
        ],
        "classes": [
            {"id": "a", "title": {"zh": "甲类"}, "max": 20},
            {"id": "b", "title": {"zh": "乙类"}, "max": 40},
        ],
        "indicators": [
            indicator(
                "A1",
                "a",
                "rd_share",
                "higher",
                [
                    {"min": 5, "points": 20},
                    {"min": 3, "max": 5, "points": 10},
                    {"max": 3, "points": 0},
                ],
            ),
            indicator(
                "B1",
                "b",
                "debt_ratio",
                "lower",
                [
                    {"max": 50, "points": 20},
                    {"min": 50, "max": 70, "points": 10},
                    {"min": 70, "points": 0},
                ],
            ),
            indicator(
                "B2",
                "b",
                "main_growth",
                "higher",
                [
                    {"min": 10, "points": 20},
                    {"min": 5, "max": 10, "points": 10},
                    {"max": 5, "points": 0},
                ],
            ),
        ],
        "conditions": [
            {
                "id": "comply",
                "title": {"zh": "合规经营"},
                "role": "eligibility",
                "require": [{"when": "compliance_ok == True", "label": "合规"}],
                "advice": "先整改",
            },
            {
                "id": "hte",
                "title": {"zh": "高新技术企业"},
                "role": "direct",
                "require": [{"when": "high_tech_enterprise == True", "label": "高企"}],
            },
        ],
        "pass": {
            "all": [
                {"conditions": "eligibility"},
                {
                    "any": [
                        {"all": score_route, "label": "评分达标"},
                        {"conditions": "direct", "label": "符合直通条件"},
                    ]
                },
            ]
        },
    }
    path = tmp_path / "test-plan.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_rubric(path)


_FIRM = {
    "name": "测试企业",
    "revenue": 1000,
    "rd_expense": 20,
    "total_assets": 1000,
    "total_liabilities": 800,
    "main_revenue": 1020,
    "main_revenue_prev": 1000,
    "compliance_ok": True,
    "high_tech_enterprise": False,
}


def _firm(**changes: Any) -> Firm:
    data = {**_FIRM, **changes}
    return firm_from_mapping({k: v for k, v in data.items() if v is not None}, "test")


def _apply(firm: Firm, p: planning.TierPlan) -> Firm:
    """Carry out every step that names a lever: the firm the plan describes."""
    values = dict(firm.values)
    for step in p.steps:
        rung = step.levels[-1]
        assert rung.lever is not None and rung.lever_to is not None, step
        if rung.next_year:
            values = next_year_values(values, rung.lever, rung.lever_to)
        else:
            values[rung.lever] = rung.lever_to
    return Firm(values, firm.source)


def _steps(p: planning.TierPlan) -> set[tuple[str, Decimal]]:
    return {(s.indicator, s.points_to) for s in p.steps}


# ---- the search ----------------------------------------------------------------------------


def test_plan_reaches_the_pass_mark_when_applied(tmp_path: Path) -> None:
    rubric = _rubric(tmp_path, total=40, class_a=10)
    firm = _firm()
    before = evaluate(rubric, firm)
    assert before.pass_status == "fail" and before.total == 0
    p = planning.plan(before, rubric, firm)
    assert p is not None and p.reachable and p.scored
    assert p.total_after >= 40
    after = evaluate(rubric, _apply(firm, p))
    assert after.passed, explanation_lines(after.explanation)
    assert after.total == p.total_after
    classes = {c.id: c.points for c in after.classes}
    assert classes == {c.id: c.after for c in p.classes}


def test_plan_takes_the_lower_effort_route(tmp_path: Path) -> None:
    # 20 points from nothing: two bands of B1 (effort 1) beat two of B2 (3) or A1 (5).
    firm = _firm()
    rubric = _rubric(tmp_path, total=20)
    p = planning.plan(evaluate(rubric, firm), rubric, firm)
    assert p is not None
    assert _steps(p) == {("B1", Decimal(20))}
    assert p.cost == 2
    # Make B1 dear and B2 cheap: the plan follows.
    rubric = _rubric(tmp_path, total=20, effort={"B1": 4, "B2": 1})
    p = planning.plan(evaluate(rubric, firm), rubric, firm)
    assert p is not None
    assert _steps(p) == {("B2", Decimal(20))}


def test_plan_prefers_fewer_changes_at_equal_cost(tmp_path: Path) -> None:
    # B1 + B2 one band each (cost 2 + 2) ties with B1 two bands (2 × 2): one change wins.
    firm = _firm()
    rubric = _rubric(tmp_path, total=20, effort={"B1": 2, "B2": 2})
    p = planning.plan(evaluate(rubric, firm), rubric, firm)
    assert p is not None and len(p.steps) == 1


def test_plan_respects_class_minima(tmp_path: Path) -> None:
    # Class b alone could reach the total more cheaply, but class a needs 10.
    firm = _firm()
    rubric = _rubric(tmp_path, total=20, class_a=10)
    p = planning.plan(evaluate(rubric, firm), rubric, firm)
    assert p is not None
    assert _steps(p) == {("A1", Decimal(10)), ("B1", Decimal(10))}
    a = next(c for c in p.classes if c.id == "a")
    assert a.minimum == 10 and a.after >= 10


def test_failed_condition_is_a_must_fix_item(tmp_path: Path) -> None:
    firm = _firm(compliance_ok=False)
    rubric = _rubric(tmp_path, total=20)
    p = planning.plan(evaluate(rubric, firm), rubric, firm)
    assert p is not None
    assert [f.options[0].id for f in p.must_fix] == ["comply"]
    assert not p.must_fix[0].unknown
    # The direct route is offered as well, with only what it adds.
    assert [a.label for a in p.alternatives] == ["符合直通条件"]
    assert [f.options[0].id for f in p.alternatives[0].must_fix] == ["hte"]


def test_no_plan_once_passed(tmp_path: Path) -> None:
    rubric = _rubric(tmp_path, total=20)
    firm = _firm(high_tech_enterprise=True)
    assert planning.plan(evaluate(rubric, firm), rubric, firm) is None


def test_unknown_indicator_asks_for_data(tmp_path: Path) -> None:
    rubric = _rubric(tmp_path, total=20)
    firm = _firm(main_revenue_prev=None)
    p = planning.plan(evaluate(rubric, firm), rubric, firm)
    assert p is not None
    assert [i.id for i in p.missing] == ["B2"]
    assert all(s.indicator != "B2" for s in p.steps)


def test_unreachable_plan_says_so(tmp_path: Path) -> None:
    rubric = _rubric(tmp_path, total=20)
    firm = _firm(main_revenue_prev=None, rd_expense=None, total_liabilities=None)
    p = planning.plan(evaluate(rubric, firm), rubric, firm)
    assert p is not None and not p.reachable
    assert p.notes and "补齐" in p.notes[0]


def test_search_is_exact() -> None:
    results = {"X": (Decimal(0), "a"), "Y": (Decimal(0), "a"), "Z": (Decimal(0), "b")}

    def item(ident: str, gains: list[int], effort: int) -> Any:
        from assess.results import IndicatorResult

        points, cls = results[ident]
        res = IndicatorResult(ident, ident, cls, points, Decimal(20), "ok", "")
        rungs = tuple(planning.Level(Decimal(g), "", "") for g in gains)
        return res, rungs, Decimal(effort)

    items = [item("X", [5, 10, 20], 1), item("Y", [15], 2), item("Z", [10], 1)]
    # 15 in class a: X to 20 costs 3, Y costs 2 → Y.
    assert planning.search(items, Decimal(0), {"a": Decimal(15)}) == ((1, 1),)
    # Total 25 with class b ≥ 10: Z (1) + Y (2) = 3 beats Z + X×3 = 4.
    assert planning.search(items, Decimal(25), {"b": Decimal(10)}) == ((1, 1), (2, 1))
    # Impossible.
    assert planning.search(items, Decimal(100), {}) is None


# ---- the real rubrics and samples ------------------------------------------------------------


def _sample_assessments() -> list[tuple[str, Assessment, m.Rubric, Firm]]:
    out = []
    for name in ("strong", "borderline", "weak"):
        firm = load_firm_file(SAMPLES / f"{name}.json")
        for rubric in builtin_rubrics().values():
            out.append((name, evaluate(rubric, firm), rubric, firm))
    return out


_SAMPLE_CASES = _sample_assessments()


# "（上年度 -2.63%；主营业务收入不少于 1,499.74 万元，还差 19.74 万元）", "负债总额不超过
# 2,325 万元", "从事特定细分市场年限：2031 年起满 10 年"
_PRINTED = re.compile(r"(?:不少于|不超过|满) (?P<to>-?[\d,]+(?:\.\d+)?)")


def printed_target(text: str) -> Decimal:
    """The lever figure a step prints, exactly as a reader would type it in."""
    found = _PRINTED.findall(text)
    assert len(found) == 1, text
    return Decimal(found[0].replace(",", ""))


def _typed_in(firm: Firm, rung: planning.Level) -> Firm:
    """The firm with the rung's lever set to the figure its text prints."""
    assert rung.lever is not None and rung.lever_to is not None
    typed = printed_target(rung.text)
    assert typed == rung.lever_to, (typed, rung.lever_to, rung.text)
    if rung.next_year:
        return Firm(next_year_values(dict(firm.values), rung.lever, typed), firm.source)
    return Firm({**firm.values, rung.lever: typed}, firm.source)


def _points(a: Assessment, indicator: str) -> Decimal:
    return next(i.points for i in a.indicators if i.id == indicator)


@pytest.mark.parametrize(
    "name,a,rubric,firm", _SAMPLE_CASES, ids=[f"{n}-{r.id}" for n, _, r, _ in _SAMPLE_CASES]
)
def test_sample_plans_meet_every_threshold(
    name: str, a: Assessment, rubric: m.Rubric, firm: Firm
) -> None:
    """Type in every lever figure the plan prints, re-score, add the gains of steps
    without a lever: each step reaches its points, and the route's total and class minima
    are met whenever the plan says it is reachable."""
    p = planning.plan(a, rubric, firm)
    if a.passed:
        assert p is None
        return
    assert p is not None
    values = dict(firm.values)
    extra: dict[str, Decimal] = {}
    for step in p.steps:
        rung = step.levels[-1]
        if rung.lever is not None:
            if rung.next_year:  # next year's figure: last year's moves back a year first
                values = next_year_values(values, rung.lever, printed_target(rung.text))
            else:
                values[rung.lever] = _typed_in(firm, rung).values[rung.lever]
            # Alone, too: the step reaches what it promises.
            alone = evaluate(rubric, _typed_in(firm, rung))
            assert _points(alone, step.indicator) >= step.points_to, step.text
        else:
            extra[step.indicator] = step.gain
    if not p.scored or not p.reachable:
        assert p.must_fix or not p.reachable or p.missing
        return
    after = evaluate(rubric, Firm(values, firm.source))
    points = {i.id: i.points + extra.get(i.id, Decimal(0)) for i in after.indicators}
    by_id = {i.id: i for i in a.indicators}
    for step in p.steps:
        assert points[step.indicator] >= step.points_to, (step.indicator, step.text)
    if p.target_total is not None:
        assert sum(points.values()) >= p.target_total
    for c in p.classes:
        if c.minimum is not None:
            got = sum(v for k, v in points.items() if by_id[k].class_id == c.id)
            assert got >= c.minimum, c.title


@pytest.mark.parametrize(
    "name,a,rubric,firm", _SAMPLE_CASES, ids=[f"{n}-{r.id}" for n, _, r, _ in _SAMPLE_CASES]
)
def test_every_printed_target_reaches_its_band(
    name: str, a: Assessment, rubric: m.Rubric, firm: Firm
) -> None:
    """Every sample against every rubric, passed or not: each rung of each indicator's
    ladder (the engine's next step first) that names a lever figure, typed back in exactly
    as printed, scores at least the points it promises, and the engine's next step prints
    the same figure as the plan's first rung."""
    typed = 0
    for result in a.indicators:
        rungs = planning.ladder(result, rubric.indicator(result.id), scoring_context(rubric, firm))
        if result.next is not None and result.next.lever is not None:
            assert rungs[0].text == result.next.text
            assert rungs[0].lever_to == result.next.lever_to
        for rung in rungs:
            if rung.lever is None:
                continue
            after = evaluate(rubric, _typed_in(firm, rung))
            assert _points(after, result.id) >= rung.points, rung.text
            typed += 1
    levers = sum(1 for i in a.indicators if i.next is not None and i.next.lever is not None)
    assert typed >= levers


def test_a_printed_target_is_rounded_towards_the_band() -> None:
    """The weak sample's two-year growth (1,500 → 1,520 → 1,480 万元) reaches 0% next year,
    measured from last year's 1,480 万元, at 1,518.947… 万元: printed to the cent it must be
    1,518.95 (which scores) and never 1,518.94 (which does not)."""
    rubric = get_rubric("miit-2022-srdi")
    firm = load_firm_file(SAMPLES / "weak.json")
    growth = next(i for i in evaluate(rubric, firm).indicators if i.id == "SRDI-02")
    assert growth.next is not None and growth.points == 0
    assert "主营业务收入不少于 1,518.95 万元，还差 38.95 万元" in growth.next.text
    assert growth.next.text.startswith("下一年度")  # a past year's figure is not adjusted
    assert growth.next.lever == "main_revenue" and growth.next.lever_to == Decimal("1518.95")
    assert growth.next.next_year

    def scored(revenue: str) -> Decimal:
        # Next year: last year's 1,480 becomes the year before, 1,520 the one before that.
        values = next_year_values(dict(firm.values), "main_revenue", Decimal(revenue))
        assert (values["main_revenue_prev"], values["main_revenue_prev2"]) == (1480, 1520)
        return _points(evaluate(rubric, Firm(values, firm.source)), "SRDI-02")

    assert scored("1518.94") == 0
    assert scored("1518.95") == growth.points + growth.next.gain == 2


def test_a_count_lever_is_printed_whole() -> None:
    """Staff are whole persons: 5% of 75 is 3.75 people, so the step says 4."""
    rubric = get_rubric("srdi-readiness")
    firm = load_firm_file(SAMPLES / "weak.json")
    staff = next(i for i in evaluate(rubric, firm).indicators if i.id == "RDY-RD-04")
    assert staff.next is not None and staff.next.lever == "rd_staff"
    assert staff.next.lever_to == 4 and "研发人员数不少于 4 人，还差 1 人" in staff.next.text


def test_a_bound_outside_its_band_is_passed_by_one_unit(tmp_path: Path) -> None:
    """With lower_band edges the bound 5% belongs to the band below: the lever figure is
    one cent past it, so typed in it reaches the band above."""
    rubric = _rubric(tmp_path, total=20)
    doc = yaml.safe_load((tmp_path / "test-plan.yaml").read_text(encoding="utf-8"))
    doc["edge_rule"] = "lower_band"
    path = tmp_path / "lower.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    rubric = load_rubric(path)
    firm = _firm(rd_expense=40)  # 4% of 1,000 万元: the 10-point band
    a1 = next(i for i in evaluate(rubric, firm).indicators if i.id == "A1")
    assert a1.points == 10 and a1.next is not None
    assert a1.next.lever_to == Decimal("50.01") and "超过 5%" in a1.next.text
    assert _points(evaluate(rubric, _typed_in(firm, _level(a1))), "A1") == 20
    at_bound = Firm({**firm.values, "rd_expense": Decimal(50)}, firm.source)
    assert _points(evaluate(rubric, at_bound), "A1") == 10


def _level(result: IndicatorResult) -> planning.Level:
    nx = result.next
    assert nx is not None
    return planning.Level(
        result.points + nx.gain, nx.target, nx.text, nx.lever, nx.lever_from, nx.lever_to
    )


def test_weak_innovative_plan_is_the_cheapest_and_exact() -> None:
    rubric = get_rubric("miit-2022-innovative")
    firm = load_firm_file(SAMPLES / "weak.json")
    a = evaluate(rubric, firm)
    p = planning.plan(a, rubric, firm)
    assert p is not None and p.reachable and p.total_after >= 60
    assert not p.must_fix  # eligible: it is only a matter of points
    # The lever figures come from the firm's own numbers, exactly: 2% of 2,600 万元.
    rd = next(s for s in p.steps if s.indicator == "INN-02")
    ladder = planning.ladder(
        next(i for i in a.indicators if i.id == "INN-02"),
        rubric.indicator("INN-02"),
        scoring_context(rubric, firm),
    )
    assert [r.lever_to for r in ladder] == [Decimal(26), Decimal(52), Decimal(78), Decimal(130)]
    assert rd.levels == ladder[: len(rd.levels)]
    # Every other choice of rungs meeting the thresholds costs at least as much.
    assert p.cost <= 18
    assert p.alternatives and "直通" in p.alternatives[0].label


def test_remedies_follow_the_weak_areas() -> None:
    rubric = get_rubric("miit-2022-innovative")
    weak = load_firm_file(SAMPLES / "weak.json")
    remedies = planning.remedies([evaluate(rubric, weak)], weak)
    assert [r.id for r in remedies] == ["rd_input", "collaboration", "ecosystem"]
    collab = remedies[1]
    assert "没有合作的高校或科研院所" in collab.reasons
    assert any("链主" in act for act in collab.actions)
    strong = load_firm_file(SAMPLES / "strong.json")
    ids = {r.id for r in planning.remedies([evaluate(rubric, strong)], strong)}
    assert "collaboration" not in ids  # four partner universities, seven projects


def test_remedies_read_in_english_for_the_same_weak_areas() -> None:
    cjk = re.compile(r"[\u3400-\u9fff]")
    for name in ("weak", "borderline", "strong"):
        firm = load_firm_file(SAMPLES / f"{name}.json")
        found = {}
        for lang in ("zh", "en"):
            with using(lang):
                assessments = [evaluate(r, firm) for r in RUBRICS.values()]
                found[lang] = planning.remedies(assessments, firm)
        assert [r.id for r in found["en"]] == [r.id for r in found["zh"]], name
        for remedy in found["en"]:
            words = [remedy.title, remedy.diagnosis, *remedy.actions, *remedy.reasons]
            assert not any(cjk.search(w) for w in words), words
        with using("en"):
            assert not cjk.search(planning.ARTICLE_DIAGNOSIS + planning.ARTICLE_SOURCE)
    assert planning.ARTICLE_TITLE == "切实促进中小企业专精特新发展"


def test_routes_unfold_the_pass_rule() -> None:
    rubric = get_rubric("miit-2022-innovative")
    a = evaluate(rubric, load_firm_file(SAMPLES / "weak.json"))
    routes = planning.routes(rubric.pass_rule, a.conditions)
    scored = [r for r in routes if r.scored]
    assert len(scored) == 1 and scored[0].total == 60
    assert scored[0].class_minima == {"innovation": 20, "growth": 15, "specialization": 15}
    direct = [r for r in routes if not r.scored]
    assert len(direct) == 1 and len(direct[0].needs[-1]) == len(a.direct)


def test_the_plan_is_made_once_and_carried_in_the_assessment() -> None:
    from dataclasses import replace

    rubric = get_rubric("miit-2022-innovative")
    firm = load_firm_file(SAMPLES / "weak.json")
    a = evaluate(rubric, firm)
    p = a.plan
    assert p is not None and a.plan is p  # made on first use, then kept
    assert planning.plan(a, rubric, firm) is p  # the carried plan, not a second one
    # An assessment without its planner (built by hand, not scored here) has no scoring
    # scope: only the engine's next steps and the pass rule are known, a plan still, cruder.
    bare = replace(a, planner=None)
    assert bare.plan is None
    again = planning.plan(bare, rubric, firm)
    assert again is not None and again is not p
    assert [s.indicator for s in again.steps] and again.total_after <= p.total_after


def test_filling_the_blanks_comes_first_when_it_alone_adds_points() -> None:
    """samples/partial.json leaves one IP count blank: the engine's bounds say filling it
    can add points, so the plan asks for it before any step (in every reporter's words)."""
    from assess.report.words import plan_lines

    rubric = get_rubric("miit-2022-srdi")
    firm = load_firm_file(SAMPLES / "partial.json")
    a = evaluate(rubric, firm)
    p = a.plan
    assert p is not None and p.missing
    gain = sum((i.at_most - i.points for i in p.missing), Decimal(0))
    assert p.fill_first and p.fill_gain == gain > 0
    lines = list(plan_lines(p))
    fill = next(n for n, line in enumerate(lines) if "补齐数据" in line)
    assert lines[fill].startswith("第一步：补齐数据") and f"再得 {gain} 分" in lines[fill]
    assert all(fill < n for n, line in enumerate(lines) if line.startswith("提升步骤"))


def test_blanks_that_change_nothing_are_asked_for_last() -> None:
    """A blank whose every filling scores the same neither adds points nor changes the
    verdict: it stays after the steps, under a plain heading."""
    rubric = get_rubric("miit-2022-innovative")
    firm = load_firm_file(SAMPLES / "weak.json")
    a = evaluate(rubric, firm)
    p = a.plan
    assert p is not None
    fake = replace(
        p,
        missing=(replace(a.indicators[0], status="unknown", high=None),),
        fill_first=False,
        fill_gain=Decimal(0),
    )
    from assess.report.words import plan_lines

    lines = list(plan_lines(fake))
    fill = lines.index("先补齐数据：")
    assert all(n < fill for n, line in enumerate(lines) if line.startswith("提升步骤"))


def test_no_plan_adjusts_a_past_year_and_counts_are_whole() -> None:
    """Over every sample and rubric: no step says 调整 (a past year's audited figure is a
    target for next year), every step shows the gap still to close, and a lever on a count
    (persons, patents, years) is a whole number."""
    from assess.fields import FIELDS_BY_ID, FieldType

    for _, a, rubric, firm in _SAMPLE_CASES:
        for result in a.indicators:
            for rung in planning.ladder(
                result, rubric.indicator(result.id), scoring_context(rubric, firm)
            ):
                assert "调整" not in rung.text, rung.text
                if rung.lever is None:
                    continue
                gaps = ("还差", "还需减少", "还需前进", "与上年度持平")
                assert any(w in rung.text for w in gaps), rung.text
                spec = FIELDS_BY_ID.get(rung.lever)
                if spec is not None and spec.type is FieldType.INT:
                    assert rung.lever_to == rung.lever_to.to_integral_value(), rung.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(firms())
def test_every_printed_target_reaches_its_band_for_any_firm(data: dict[str, Any]) -> None:
    """Whatever the firm, under every built-in rubric: each rung of each indicator's
    ladder (every operator's `rungs`, the engine's next step first) that prints a target
    figure, typed back in exactly as printed, scores at least the points it promises; a
    count's target is a whole number; no step adjusts a past year."""
    from assess.engine import scoring_context
    from assess.fields import FIELDS_BY_ID, FieldType

    firm = firm_from_mapping(data, "generated")
    for rubric in RUBRICS.values():
        a = evaluate(rubric, firm)
        scope = scoring_context(rubric, firm)
        for result in a.indicators:
            score = rubric.indicator(result.id).score
            rungs = planning._ladder(result, score, scope)
            for rung in rungs:
                assert "调整" not in rung.text, rung.text
                if rung.lever is None:
                    continue
                typed = printed_target(rung.text)
                assert typed == rung.lever_to, (typed, rung.lever_to, rung.text)
                spec = FIELDS_BY_ID.get(rung.lever)
                if spec is not None and spec.type is FieldType.INT:
                    assert typed == typed.to_integral_value(), rung.text
                after = evaluate(rubric, _typed_in(firm, rung))
                assert _points(after, result.id) >= rung.points, (result.id, rung.text)


def test_a_plan_is_worded_in_english_on_request() -> None:
    """The plan's own words follow the language; the rubric's titles stay as written."""
    from assess.catalog import using
    from assess.report.words import plan_lines

    rubric = get_rubric("miit-2022-innovative")
    firm = load_firm_file(SAMPLES / "weak.json")
    with using("en"):
        a = evaluate(rubric, firm)
        p = a.plan
        assert p is not None
        lines = list(plan_lines(p))
    assert lines[0].startswith("Total now 20, required ≥ 60; after the 3 steps below")
    assert "Steps:" in lines
    for step in p.steps:
        assert step.text.startswith("Next year: "), step.text
        assert " to go" in step.text or " less than now" in step.text, step.text
        assert "万元" not in step.text, step.text
    frame = re.compile(r"当前总分|提升步骤|下一年度|还差|可再得|必须解决")
    assert not any(frame.search(line) for line in lines), lines
