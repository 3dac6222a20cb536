"""The `assess` command as a user meets it: outputs, messages and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assess", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_score_json_contract_for_one_rubric() -> None:
    out = run(
        "score", "samples/strong.json", "--rubric", "miit-2022-innovative", "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert isinstance(data, dict)
    assert data["rubric"] == "miit-2022-innovative"
    assert isinstance(data["total"], int | float) and isinstance(data["max"], int | float)
    assert isinstance(data["passed"], bool)
    assert data["size_class"] in ("large", "medium", "small", "micro", None)
    assert data["indicators"], "indicators must be listed"
    for ind in data["indicators"]:
        assert {"id", "title", "points", "max", "status", "reason"} <= set(ind)
        assert ind["status"] in ("ok", "unknown", "not_assessed")
    for gate in data["gates"]:
        assert {"id", "ok", "reason"} <= set(gate) and isinstance(gate["ok"], bool)


def test_several_rubrics_give_a_list() -> None:
    out = run(
        "score",
        "samples/weak.json",
        "-r",
        "miit-2022-innovative",
        "-r",
        "miit-2022-innovative",
        "--format",
        "json",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert isinstance(data, list) and len(data) == 2


def test_text_output_explains_points_and_next_band() -> None:
    out = run("score", "samples/weak.json", "-r", "miit-2022-innovative")
    assert out.returncode == 0, out.stderr
    assert "成都锦城包装制品有限公司" in out.stdout
    assert "未通过" in out.stdout
    assert "可再得 5 分" in out.stdout  # the next band is spelled out


def test_text_in_a_money_field_exits_2_naming_the_field(tmp_path: Path) -> None:
    data = json.loads((SAMPLES / "strong.json").read_text(encoding="utf-8"))
    data["rd_expense"] = "约300"
    bad = tmp_path / "firm.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = run("score", str(bad), "-r", "miit-2022-innovative")
    assert out.returncode == 2
    assert "rd_expense" in out.stderr and "约300" in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_every_bad_value_is_reported_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "firm.yaml"
    bad.write_text("name: 甲\nrevenue: 很多\nemployees: 12.5\nindustry: mining\n", encoding="utf-8")
    out = run("score", str(bad), "-r", "miit-2022-innovative")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 3
    assert f"{bad}:2:10 revenue" in lines[0]
    assert "employees" in lines[1] and "industry" in lines[2]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ('{"name": ', "firm.json", "不是有效的 JSON"),
        ("[1, 2]", "firm.json", "企业数据应是一层“字段ID: 值”的对象"),
        ("name: x", "firm.txt", "企业数据应是 .json、.yaml 或 .xlsx 文件"),
    ],
)
def test_unreadable_firm_files_exit_2(
    tmp_path: Path, content: str, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    out = run("score", str(path), "-r", "miit-2022-innovative")
    assert out.returncode == 2
    assert message in out.stderr and str(path) in out.stderr


def test_missing_file_and_unknown_rubric_exit_2() -> None:
    out = run("score", "samples/nope.json", "-r", "miit-2022-innovative")
    assert out.returncode == 2 and "找不到这个文件" in out.stderr
    out = run("score", "samples/strong.json", "-r", "miit-2022-inovative")
    assert out.returncode == 2 and "是否想写 'miit-2022-innovative'" in out.stderr


def test_rubric_check_reports_three_located_errors_and_exits_2() -> None:
    out = run("rubric", "check", "tests/data/broken-rubric.yaml")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 3
    assert all(line.startswith("tests/data/broken-rubric.yaml:") for line in lines)


def test_rubric_check_accepts_a_good_rubric() -> None:
    out = run("rubric", "check", "rubrics/miit-2022-innovative.yaml")
    assert out.returncode == 0 and "无误" in out.stdout


def test_rubrics_lists_ids_versions_and_dates() -> None:
    out = run("rubrics")
    assert out.returncode == 0
    assert "miit-2022-innovative" in out.stdout and "2022-06-01" in out.stdout


def test_rubric_show_markdown() -> None:
    out = run("rubric", "show", "miit-2022-innovative", "--format", "md")
    assert out.returncode == 0
    assert out.stdout.startswith("# 创新型中小企业评价标准")
    assert "≥ 5% → 20 分" in out.stdout and "< 1% → 0 分" in out.stdout


def test_fail_under_exits_1_for_a_firm_that_falls_short() -> None:
    out = run("score", "samples/weak.json", "-r", "miit-2022-innovative", "--fail-under")
    assert out.returncode == 1
    out = run("score", "samples/strong.json", "-r", "miit-2022-innovative", "--fail-under")
    assert out.returncode == 0


def test_usage_error_exits_2() -> None:
    out = run("score")
    assert out.returncode == 2


def test_internal_error_exits_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import assess.engine
    from assess import cli

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(assess.engine, "evaluate", broken)
    monkeypatch.setattr(
        sys, "argv", ["assess", "score", str(SAMPLES / "strong.json"), "-r", "miit-2022-innovative"]
    )
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 3
    assert "程序内部错误" in capsys.readouterr().err


def test_help_and_json_scoring_do_not_import_weasyprint() -> None:
    code = (
        "import sys; from assess import cli; "
        "sys.argv = ['assess', 'score', 'samples/strong.json', '-r', "
        "'miit-2022-innovative', '--format', 'json'];\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "assert 'weasyprint' not in sys.modules, 'weasyprint imported'\n"
        "assert 'openpyxl' not in sys.modules, 'openpyxl imported'"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr


def test_an_output_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """A read-only place (here a folder of mode 555, or root's /sys) ends in one Chinese line
    naming the file, exit 2, and leaves no temp file."""
    import os

    if os.geteuid() == 0:
        target = Path("/sys/assess-report.html")  # sysfs refuses new files even to root
    else:
        closed = tmp_path / "closed"
        closed.mkdir(mode=0o555)
        target = closed / "report.html"
    out = run("score", "samples/strong.json", "-r", "miit-2022-innovative", "--html", str(target))
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    [line] = [x for x in out.stderr.splitlines() if x.startswith("错误：")]
    assert str(target) in line and "没有写入权限" in line
    assert not target.exists()


def _year(tmp_path: Path, stem: str, **changes: object) -> Path:
    data = json.loads((SAMPLES / f"{stem}.json").read_text(encoding="utf-8"))
    data.update(assessment_year=2026, **changes)
    path = tmp_path / f"{stem}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("stem", ["strong", "borderline", "weak"])
def test_a_2026_firm_sees_three_tiers_the_bottom_one_by_the_2022_criteria(
    tmp_path: Path, stem: str
) -> None:
    path = _year(tmp_path, stem)
    out = run("score", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    ladder = [r["rubric"] for r in json.loads(out.stdout) if r["tier"] != "readiness"]
    assert ladder == ["miit-2022-innovative", "miit-2026-srdi", "miit-2026-little-giant"]
    text = run("score", str(path))
    assert text.returncode == 0 and text.stderr == ""
    assert "未评估" not in text.stdout.split("创新型中小企业评价标准")[0]
    assert "note:" not in text.stdout + text.stderr


def test_review_picks_the_review_rubrics(tmp_path: Path) -> None:
    path = _year(tmp_path, "strong")
    out = run("score", str(path), "--review", "--format", "json")
    assert out.returncode == 0, out.stderr
    ids = [r["rubric"] for r in json.loads(out.stdout)]
    assert "miit-2026-srdi-review" in ids and "miit-2026-little-giant-review" in ids
    old = run("score", str(path), "--review", "--standard", "2022", "--format", "json")
    assert old.returncode == 0, old.stderr
    assert [r["rubric"] for r in json.loads(old.stdout)][:3] == [
        "miit-2022-innovative",
        "miit-2022-srdi",
        "miit-2022-little-giant",
    ]
    # The questionnaire's field asks for the same.
    asked = _year(tmp_path, "strong", review=True)
    same = run("score", str(asked), "--format", "json")
    assert [r["rubric"] for r in json.loads(same.stdout)] == ids
    both = run("score", str(path), "--review", "-r", "miit-2026-srdi")
    assert both.returncode == 2 and "--review" in both.stderr


def test_template_for_one_province_leaves_out_the_others(tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "湖南.xlsx"
    done = run("template", "-o", str(out), "--province", "湖南省")
    assert done.returncode == 0, done.stderr
    wb = openpyxl.load_workbook(out)
    text = "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value)
    assert "湖南省" in text and "山东" not in text and "四川" not in text
