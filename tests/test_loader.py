"""Rubric loading: every problem at once, each at its file:line:col and key path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assess.catalog import using
from assess.errors import RubricError
from assess.rubric.loader import builtin_rubrics, get_rubric, load_rubric, rubric_files
from assess.rubric.models import Rubric

ROOT = Path(__file__).resolve().parent.parent
INNOVATIVE = ROOT / "rubrics" / "miit-2022-innovative.yaml"


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    return [str(p) for p in info.value.problems]


def edited(old: str, new: str, count: int = 1) -> str:
    text = INNOVATIVE.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, count)


def test_broken_example_gives_three_located_errors() -> None:
    with pytest.raises(RubricError) as info:
        load_rubric(ROOT / "tests" / "data" / "broken-rubric.yaml")
    lines = [str(p) for p in info.value.problems]
    assert len(lines) == 3, lines
    overlap, typo, operator = lines
    assert overlap.startswith(str(ROOT / "tests" / "data" / "broken-rubric.yaml"))
    assert ":106:11 indicators[1].score.bands[1]: bands[0] 与 bands[1] 重叠" in overlap
    assert ":116:5 indicators[2].rationle: 未知的键 'rationle'；是否想写 'rationale'？" in typo
    assert ":139:17 indicators[3].score.operator: 未知的评分方式 'bandz'" in operator


def test_hole_between_bands(tmp_path: Path) -> None:
    text = edited(
        "        - {min: 3, max: 5, points: 15}\n", "        - {min: 3.5, max: 5, points: 15}\n"
    )
    (line,) = problems_of(tmp_path, text)
    assert "bands[1] 与 bands[2] 之间有空档：3 到 3.5 之间的数值不属于任何一档" in line
    with using("en"):
        (line,) = problems_of(tmp_path, text)
    assert "hole between bands[1] and bands[2]: values from 3 to 3.5 match no band" in line


def test_points_must_follow_the_direction(tmp_path: Path) -> None:
    text = edited(
        "        - {min: 2, max: 3, points: 10}", "        - {min: 2, max: 3, points: 16}"
    )
    (line,) = problems_of(tmp_path, text)
    assert "分值应随数值升高而升高" in line
    with using("en"):
        (line,) = problems_of(tmp_path, text)
    assert "points must rise" in line


def test_best_outcome_must_reach_max(tmp_path: Path) -> None:
    text = edited("        - {min: 5, points: 20}", "        - {min: 5, points: 18}")
    lines = problems_of(tmp_path, text)
    assert any("最好的结果得 18 分，但 max 写的是 20" in x for x in lines), lines
    with using("en"):
        lines = problems_of(tmp_path, text)
    assert any("the best outcome gives 18 points but max is 20" in x for x in lines), lines


def test_class_max_must_add_up(tmp_path: Path) -> None:
    text = edited("max: 40}", "max: 45}")
    lines = problems_of(tmp_path, text)
    assert any("分类 'innovation' 的满分是 45，但其指标满分合计 40" in x for x in lines), lines


def test_unknown_name_in_a_formula(tmp_path: Path) -> None:
    text = edited("expr: rd_expense / revenue * 100", "expr: rd_expence / revenue * 100")
    (line,) = problems_of(tmp_path, text)
    assert "metrics[0].expr: " in line and "名称 'rd_expence' 未定义" in line
    assert "是否想写 'rd_expense'？" in line


def test_field_not_declared_as_input(tmp_path: Path) -> None:
    text = edited("expr: rd_expense / revenue * 100", "expr: rd_expense_prev / revenue * 100")
    (line,) = problems_of(tmp_path, text)
    assert "用到字段 'rd_expense_prev'" in line and "请把它加入 inputs" in line


def test_enum_value_typo(tmp_path: Path) -> None:
    text = edited(
        "rd_institution in ['national', 'provincial']",
        "rd_institution in ['nationl', 'provincial']",
    )
    (line,) = problems_of(tmp_path, text)
    assert "rd_institution 没有取值 'nationl'" in line


def test_unknown_input_field(tmp_path: Path) -> None:
    text = edited("  - employees\n", "  - employes\n  - employees\n")
    (line,) = problems_of(tmp_path, text)
    assert "inputs[1]: 未知的字段 'employes'；是否想写 'employees'？" in line


def test_duplicate_key_and_syntax_errors_are_located(tmp_path: Path) -> None:
    text = edited('version: "2022.1"\n', 'version: "2022.1"\nversion: "2022.2"\n')
    (line,) = problems_of(tmp_path, text)
    assert "r.yaml:8:1 version: 键 'version' 重复" in line
    (line,) = problems_of(tmp_path, "id: [unclosed\n")
    assert line.startswith(f"{tmp_path / 'r.yaml'}:2:1") and "不是有效的 YAML" in line


def test_unsupported_schema_version(tmp_path: Path) -> None:
    (line,) = problems_of(tmp_path, edited("schema_version: 1", "schema_version: 2"))
    assert "schema_version 2 不受支持" in line


def test_unknown_condition_in_pass_rule(tmp_path: Path) -> None:
    (line,) = problems_of(tmp_path, edited("{conditions: eligibility}", "{condition: eligible}"))
    assert "pass.all[0].condition: 未知的条件 'eligible'" in line


def test_rule_needs_exactly_one_key(tmp_path: Path) -> None:
    lines = problems_of(
        tmp_path,
        edited("{conditions: eligibility}", "{conditions: eligibility, total_at_least: 3}"),
    )
    assert any("一条规则只能写" in x for x in lines), lines


def test_every_bundled_rubric_loads_and_matches_its_file_name() -> None:
    rubrics = builtin_rubrics()
    assert {p.stem for p in rubric_files()} == set(rubrics)
    assert "miit-2022-innovative" in rubrics


def test_unknown_rubric_suggests_the_closest() -> None:
    with pytest.raises(RubricError, match="是否想写 'miit-2022-innovative'"):
        get_rubric("miit-2022-inovative")


def test_committed_json_schema_is_current() -> None:
    """Editors autocomplete rubric files from docs/rubric.schema.json: keep it current."""
    schema = Rubric.model_json_schema(by_alias=True)
    committed = json.loads((ROOT / "docs" / "rubric.schema.json").read_text(encoding="utf-8"))
    assert committed == schema, "run: python -m assess.rubric.schema > docs/rubric.schema.json"
