"""JSON and terminal reports: the score contract, the judgement worded the same way, and
the improvement plan."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from rich.console import Console

from assess.engine import evaluate
from assess.intake.firm import load_firm_file
from assess.report.jsonout import compact_record, dumps, record
from assess.report.text import print_assessments
from assess.report.words import explanation_lines, plan_lines
from assess.rubric.loader import get_rubric

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _weak(rubric_id: str = "miit-2022-innovative") -> tuple:  # type: ignore[type-arg]
    firm = load_firm_file(SAMPLES / "weak.json")
    return evaluate(get_rubric(rubric_id), firm), firm


def test_json_carries_the_plan() -> None:
    a, _ = _weak()
    p = a.plan
    assert p is not None
    data = json.loads(dumps([a]))
    plan = data["plan"]
    assert plan["reachable"] is True and plan["target_total"] == 60
    assert plan["total"] == 20 and plan["total_after"] == float(p.total_after)
    assert [s["indicator"] for s in plan["steps"]] == [s.indicator for s in p.steps]
    first = plan["steps"][0]
    assert first["text"] == p.steps[0].text
    assert first["levels"][-1]["points"] == first["points_to"]
    # Every lever figure in the JSON is the one the text prints.
    for step in plan["steps"]:
        for level in step["levels"]:
            if level["lever"] is not None:
                assert f"调整到 {level['lever_to']:,}" in level["text"].replace(".0 ", " ")
    assert plan["alternatives"] and "直通" in plan["alternatives"][0]["label"]
    assert plan["summary"].startswith("当前总分 20，要求 ≥ 60")


def test_a_passed_assessment_has_no_plan() -> None:
    firm = load_firm_file(SAMPLES / "strong.json")
    a = evaluate(get_rubric("miit-2022-innovative"), firm)
    assert a.passed and a.plan is None
    assert record(a)["plan"] is None


def test_compact_records_leave_the_plan_to_the_reports() -> None:
    a, _ = _weak()
    assert "plan" not in compact_record(a)
    assert compact_record(a)["pass_explanation"] == record(a)["pass_explanation"]


def test_the_judgement_is_worded_from_data() -> None:
    a, _ = _weak("srdi-readiness")
    lines = explanation_lines(a.explanation)
    assert lines[0] == "✗ 以下全部满足"
    assert "  ✓ 全部资格条件" in lines
    assert "  ✗ 准备度总分 ≥ 60 4 ≥ 60" in lines
    heading = next(x for x in a.explanation if not x.marked)
    assert heading.kind == "classes" and heading.label.startswith("每个维度")
    assert "    ✗ 研发投入 0 ≥ 12" in lines  # a class threshold under its heading


def test_the_terminal_shows_the_plan() -> None:
    a, _ = _weak()
    console = Console(record=True, width=120, file=io.StringIO())
    print_assessments([a], console)

    def squash(text: str) -> str:  # the panel wraps long lines and draws borders
        return re.sub(r"[\s│]", "", text)

    out = squash(console.export_text())
    assert "提升计划" in out
    assert a.plan is not None
    lines = list(plan_lines(a.plan))
    assert len(lines) > 3
    for line in lines:
        assert squash(line) in out
