"""The `assess` command as a user meets it: outputs, messages and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

# Every command line by which these tests make the command fail on the user's side, by
# name: each test below runs its own, and tests/test_lang.py runs them all in both
# languages.  Given a scratch folder, each returns the arguments after `assess`.
ERROR_PATHS: dict[str, Callable[[Path], list[str]]] = {}


def error_path(name: str) -> Callable[[Callable[[Path], list[str]]], Callable[[Path], list[str]]]:
    def register(make: Callable[[Path], list[str]]) -> Callable[[Path], list[str]]:
        ERROR_PATHS[name] = make
        return make

    return register


@error_path("text_in_money_field")
def _text_in_money_field(tmp: Path) -> list[str]:
    data = json.loads((SAMPLES / "strong.json").read_text(encoding="utf-8"))
    data["rd_expense"] = "约300"
    bad = tmp / "firm.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return ["score", str(bad), "-r", "miit-2022-innovative"]


@error_path("every_bad_value")
def _every_bad_value(tmp: Path) -> list[str]:
    bad = tmp / "firm.yaml"
    bad.write_text("name: 甲\nrevenue: 很多\nemployees: 12.5\nindustry: mining\n", encoding="utf-8")
    return ["score", str(bad), "-r", "miit-2022-innovative"]


UNREADABLE = [
    ('{"name": ', "firm.json", "不是有效的 JSON"),
    ("[1, 2]", "firm.json", "企业数据应是一层“字段ID: 值”的对象"),
    ("name: x", "firm.txt", "企业数据应是 .json、.yaml 或 .xlsx 文件"),
]


def _unreadable(content: str, name: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        path = tmp / name
        path.write_text(content, encoding="utf-8")
        return ["score", str(path), "-r", "miit-2022-innovative"]

    return make


for _n, (_content, _name, _) in enumerate(UNREADABLE):
    error_path(f"unreadable_{_n}")(_unreadable(_content, _name))


@error_path("missing_file")
def _missing_file(tmp: Path) -> list[str]:
    return ["score", "samples/nope.json", "-r", "miit-2022-innovative"]


@error_path("unknown_rubric")
def _unknown_rubric(tmp: Path) -> list[str]:
    return ["score", "samples/strong.json", "-r", "miit-2022-inovative"]


@error_path("broken_rubric")
def _broken_rubric(tmp: Path) -> list[str]:
    return ["rubric", "check", "tests/data/broken-rubric.yaml"]


@error_path("no_file_given")
def _no_file_given(tmp: Path) -> list[str]:
    return ["score"]


@error_path("unwritable_output")
def _unwritable_output(tmp: Path) -> list[str]:
    if os.geteuid() == 0:
        target = Path("/sys/assess-report.html")  # sysfs refuses new files even to root
    else:
        closed = tmp / "closed"
        closed.mkdir(mode=0o555, exist_ok=True)
        target = closed / "report.html"
    return ["score", "samples/strong.json", "-r", "miit-2022-innovative", "--html", str(target)]


@error_path("review_with_rubric")
def _review_with_rubric(tmp: Path) -> list[str]:
    return ["score", str(_year(tmp, "strong")), "--review", "-r", "miit-2026-srdi"]


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
    out = run(*ERROR_PATHS["text_in_money_field"](tmp_path))
    assert out.returncode == 2
    assert "rd_expense" in out.stderr and "约300" in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_every_bad_value_is_reported_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "firm.yaml"
    out = run(*ERROR_PATHS["every_bad_value"](tmp_path))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 3
    assert f"{bad}:2:10 revenue" in lines[0]
    assert "employees" in lines[1] and "industry" in lines[2]


@pytest.mark.parametrize("n", range(len(UNREADABLE)))
def test_unreadable_firm_files_exit_2(tmp_path: Path, n: int) -> None:
    _, name, message = UNREADABLE[n]
    path = tmp_path / name
    out = run(*ERROR_PATHS[f"unreadable_{n}"](tmp_path))
    assert out.returncode == 2
    assert message in out.stderr and str(path) in out.stderr


def test_missing_file_and_unknown_rubric_exit_2(tmp_path: Path) -> None:
    out = run(*ERROR_PATHS["missing_file"](tmp_path))
    assert out.returncode == 2 and "找不到这个文件" in out.stderr
    out = run(*ERROR_PATHS["unknown_rubric"](tmp_path))
    assert out.returncode == 2 and "是否想写 'miit-2022-innovative'" in out.stderr


def test_rubric_check_reports_three_located_errors_and_exits_2(tmp_path: Path) -> None:
    out = run(*ERROR_PATHS["broken_rubric"](tmp_path))
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


def test_usage_error_exits_2(tmp_path: Path) -> None:
    out = run(*ERROR_PATHS["no_file_given"](tmp_path))
    assert out.returncode == 2
    assert "错误：缺少" in out.stderr and "Traceback" not in out.stderr


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
    args = ERROR_PATHS["unwritable_output"](tmp_path)
    target = Path(args[-1])
    out = run(*args)
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
    both = run(*ERROR_PATHS["review_with_rubric"](tmp_path))
    assert both.returncode == 2 and "--review" in both.stderr


def test_template_for_one_province_leaves_out_the_others(tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "湖南.xlsx"
    done = run("template", "-o", str(out), "--province", "湖南省")
    assert done.returncode == 0, done.stderr
    wb = openpyxl.load_workbook(out)
    text = "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value)
    assert "湖南省" in text and "山东" not in text and "四川" not in text


def test_every_error_path_fails_on_the_users_side(tmp_path: Path) -> None:
    """The table tests/test_lang.py runs in both languages holds only command lines that
    end in a user's error: exit 2 and no traceback."""
    for name, make in ERROR_PATHS.items():
        out = run(*make(tmp_path))
        assert out.returncode == 2 and "Traceback" not in out.stderr, (name, out.stderr)
