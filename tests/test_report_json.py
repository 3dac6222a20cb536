"""JSON and terminal reports: the score contract, the judgement worded the same way, and
the improvement plan."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
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
                printed = re.findall(r"(?:不少于|不超过|满) (-?[\d,]+(?:\.\d+)?)", level["text"])
                assert [Decimal(x.replace(",", "")) for x in printed] == [
                    Decimal(str(level["lever_to"]))
                ], level["text"]
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


def _waiting_for_the_platform() -> dict[str, object]:
    """The strong sample without its platform score: every other 2026 condition holds."""
    data = json.loads(Path("samples/strong.json").read_text(encoding="utf-8"))
    data.pop("platform_score")
    data["assessment_year"] = 2026
    return data


def test_only_the_platform_score_missing_is_its_own_status(tmp_path: Path) -> None:
    path = tmp_path / "firm.json"
    path.write_text(json.dumps(_waiting_for_the_platform(), ensure_ascii=False), "utf-8")
    firm = load_firm_file(path)
    reference = get_rubric("miit-2022-srdi")
    for rubric_id, line in (("miit-2026-srdi", 50), ("miit-2026-little-giant", 60)):
        a = evaluate(get_rubric(rubric_id), firm, reference)
        assert a.pass_status == "platform_pending" and not a.passed
        assert a.platform_need == line
        rec = record(a)
        assert rec["pass_status"] == "platform_pending" and rec["platform_need"] == line
        assert rec["reference"]["rubric"] == "miit-2022-srdi"
        assert "2022 年专精特新评分表" in rec["reference"]["text"]
        assert "不是平台发展评价的计算方法" in rec["reference"]["text"]
        assert any(f"取得发展评价得分 ≥ {line}" in n for n in rec["plan"]["notes"])
        out = io.StringIO()
        print_assessments([a], Console(file=out, width=200))
        assert "其余条件均已满足，待平台发展评价得分" in out.getvalue()
        # A failed condition besides it is a fail, not a wait.
        short = _waiting_for_the_platform()
        short["total_liabilities"] = short["total_assets"]  # debt ratio 100%
        p2 = tmp_path / "short.json"
        p2.write_text(json.dumps(short, ensure_ascii=False), "utf-8")
        assert evaluate(get_rubric(rubric_id), load_firm_file(p2)).pass_status == "fail"
    # With the score given, the verdict is the rule's.
    given = evaluate(get_rubric("miit-2026-srdi"), load_firm_file(Path("samples/strong.json")))
    assert given.pass_status == "pass" and given.reference is None


def test_a_blank_field_gives_the_range_in_text_and_json() -> None:
    firm = load_firm_file(Path("samples/strong.json"))
    data = {k: v for k, v in firm.values.items() if k != "ip_class1_high_value"}
    from assess.intake.firm import Firm

    a = evaluate(get_rubric("miit-2022-innovative"), Firm(data, "t"))
    ip = next(i for i in a.indicators if i.id == "INN-01")
    assert (ip.status, ip.points, ip.at_most) == ("unknown", 15, 20)
    assert "至少 15 分；补充 " in ip.reason and ip.reason.endswith("后最多 20 分")
    assert a.pass_status == "pass"  # the lower bound already passes
    rec = record(a)
    assert rec["total"] < rec["at_most"] and rec["indicators"][0]["at_most"] == 20
    out = io.StringIO()
    print_assessments([a], Console(file=out, width=200))
    assert "至少 15，最多 20 / 20 分" in out.getvalue()


# ---- results.jsonl: each rubric's shared part once, each applicant's line, read back whole --


def _whole(record_: dict) -> dict:  # type: ignore[type-arg]
    """`compact_record` less what a results.jsonl line does not keep (`LEFT_OUT`)."""
    from assess.report.jsonout import LEFT_OUT

    out = {k: v for k, v in record_.items() if k not in LEFT_OUT}
    out["indicators"] = [
        {k: v for k, v in i.items() if k not in LEFT_OUT} for i in record_["indicators"]
    ]
    return json.loads(json.dumps(out))


def test_a_line_and_its_rubric_part_give_back_the_whole_record() -> None:
    """Over every bundled rubric and every sample, and a Shandong firm (a province's block
    of parts): the line plus the rubric's part is the compact record, key for key."""
    from dataclasses import replace

    from assess.engine import decide
    from assess.firm import Firm
    from assess.report.jsonout import (
        expand_record,
        line_json,
        marked_array,
        rubric_part,
        unmarked,
    )
    from assess.rubric.loader import builtin_rubrics

    firms = [load_firm_file(SAMPLES / f"{n}.json") for n in ("strong", "borderline", "weak")]
    firms.append(load_firm_file(SAMPLES / "partial.json"))
    firms.append(replace(firms[0], values={**firms[0].values, "province": "山东省"}))
    applicant = {"name": None, "source": "x.json", "sheet": None, "row": None, "warnings": []}
    checked = 0
    for rubric in builtin_rubrics().values():
        part = json.loads(json.dumps(rubric_part(decide(rubric, Firm({}, "")))))
        for firm in firms:
            a = decide(rubric, firm)
            [line] = json.loads(unmarked(marked_array([line_json(a, part, "x.json")])))
            assert "title" not in line and "max" not in line
            head = {**applicant, "name": firm.name, "warnings": list(firm.warnings)}
            assert expand_record(line, part, head) == _whole(compact_record(a)), rubric.id
            checked += 1
    assert checked == 5 * len(builtin_rubrics())


def test_results_jsonl_reads_back_whole_and_reads_the_first_layout(tmp_path: Path) -> None:
    """A round written by `assess batch` reads back, through `read_results`, as the score
    records `assess score --format json` makes (less `LEFT_OUT`); a file of the first
    layout (whole records, no `rubrics`) reads back unchanged."""
    from assess.batch import BatchOptions, run_batch
    from assess.batch.outputs import read_results
    from assess.rubric.selection import REFERENCE_RUBRIC, default_rubrics

    inputs = tuple(SAMPLES / f"{n}.json" for n in ("strong", "weak", "partial"))
    out = tmp_path / "round"
    run_batch(BatchOptions(inputs=inputs, outdir=out, pdf=False, workers=0, progress=False))
    raw = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert "rubrics" in json.loads(raw[0]) and all("rubrics" not in json.loads(x) for x in raw[1:])
    lines = list(read_results(out / "results.jsonl"))
    assert len(lines) == 3
    reference = get_rubric(REFERENCE_RUBRIC)
    first_layout_bytes = 0
    for path, line in zip(inputs, lines, strict=True):
        assert set(line) == {"applicant", "results"}
        firm = load_firm_file(path)
        records = [compact_record(evaluate(r, firm, reference)) for r in default_rubrics(firm)]
        first_layout_bytes += len(json.dumps(records, ensure_ascii=False).encode())
        for got, expected in zip(line["results"], records, strict=True):
            assert got == {**_whole(expected), "source": got["source"]}
            assert got["source"].endswith(path.name)
        assert len(line["results"]) == len(records)
    # The lines hold less than half of what the first layout wrote for the same records.
    written = sum(
        len(json.dumps(json.loads(x)["results"], ensure_ascii=False).encode()) for x in raw
    )
    assert written * 2 < first_layout_bytes

    old = tmp_path / "old.jsonl"
    first_layout = [{"applicant": x["applicant"], "results": x["results"]} for x in lines]
    old.write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in first_layout), encoding="utf-8"
    )
    assert list(read_results(old)) == first_layout


def test_the_readme_example_reads_a_round(tmp_path: Path) -> None:
    """The README's stdlib reading example runs on a round and sees every indicator."""
    from assess.batch import BatchOptions, run_batch

    out = tmp_path / "第一批"
    run_batch(
        BatchOptions(
            inputs=(SAMPLES / "strong.json",), outdir=out, pdf=False, workers=0, progress=False
        )
    )
    readme = (SAMPLES.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### results.jsonl") :]
    code = section[section.index("```python\n") + 10 :]
    code = code[: code.index("```")]
    assert "read_results" in code
    scope: dict = {}  # type: ignore[type-arg]
    exec(code.replace('"第一批/results.jsonl"', repr(str(out / "results.jsonl"))), scope)
    firm = load_firm_file(SAMPLES / "strong.json")
    from assess.rubric.selection import default_rubrics

    count = sum(len(r.indicators) for r in default_rubrics(firm))
    assert len(scope["rows"]) == count
    assert all(title and maximum is not None for _, _, _, title, _, maximum, *_ in scope["rows"])
