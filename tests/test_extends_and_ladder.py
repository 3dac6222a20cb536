"""Composition (extends), the ladder chosen by year, and the generated rubric pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from assess.engine import evaluate
from assess.errors import RubricError
from assess.fields import FIELDS_BY_ID
from assess.intake.firm import firm_from_mapping, load_firm_file
from assess.report.rubric_doc import markdown
from assess.rubric.loader import builtin_rubrics, get_rubric, load_rubric
from assess.rubric.selection import default_rubrics

ROOT = Path(__file__).resolve().parent.parent
PARK = ROOT / "samples" / "extends" / "park-srdi.yaml"


def test_park_rubric_adds_one_indicator_to_the_national_one() -> None:
    park, national = load_rubric(PARK), get_rubric("miit-2022-srdi")
    assert [i.id for i in park.indicators] == [i.id for i in national.indicators] + ["PARK-01"]
    assert park.max_total == 110 and park.pass_mark == national.pass_mark
    assert park.conditions == national.conditions
    firm = load_firm_file(ROOT / "samples" / "borderline.json")
    a, b = evaluate(national, firm), evaluate(park, firm)
    park_points = {i.id: i.points for i in b.indicators}["PARK-01"]
    # borderline: 1 joint project (5) and no platform use (0)
    assert park_points == 5
    assert b.total == a.total + park_points


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_child_override_replaces_by_id_and_remove_drops(tmp_path: Path) -> None:
    child = write(
        tmp_path,
        "c.yaml",
        """schema_version: 1
extends: miit-2022-innovative
id: tweaked
version: "1"
remove: {conditions: [direct_equity]}
conditions:
  - id: compliance
    title: {zh: 合规（园区加严）}
    role: eligibility
    require: [{when: compliance_ok == True, label: 合规声明}]
""",
    )
    rubric = load_rubric(child)
    ids = [c.id for c in rubric.conditions]
    assert "direct_equity" not in ids and ids.index("compliance") == 1
    assert rubric.conditions[1].title.zh == "合规（园区加严）"
    assert rubric.title == get_rubric("miit-2022-innovative").title


def test_errors_point_into_the_child_file(tmp_path: Path) -> None:
    child = write(
        tmp_path,
        "c.yaml",
        """schema_version: 1
extends: miit-2022-innovative
id: tweaked
indicators:
  - id: INN-02
    title: {zh: 研发}
    class: innovation
    max: 20
    source: x
    rationale: x
    evidence: [x]
    score:
      operator: bands
      metric: rd_share
      direction: higher
      bands:
        - {min: 5, points: 20}
        - {min: 2, max: 6, points: 10}
        - {max: 2, points: 0}
""",
    )
    with pytest.raises(RubricError) as info:
        load_rubric(child)
    (problem,) = info.value.problems
    assert str(problem).startswith(f"{child}:18:11 indicators[1].score.bands[1]: ")
    assert "重叠" in str(problem)  # bands that overlap


def test_unknown_parent_removal_and_loops_are_errors(tmp_path: Path) -> None:
    bad = write(tmp_path, "a.yaml", "schema_version: 1\nextends: nope\nid: a\n")
    with pytest.raises(RubricError, match="没有可继承的评价标准 'nope'"):
        load_rubric(bad)
    gone = write(
        tmp_path,
        "g.yaml",
        "schema_version: 1\nextends: miit-2022-innovative\nid: g\nremove: {indicators: [INN-99]}\n",
    )
    with pytest.raises(RubricError, match="没有 id 为 'INN-99' 的 indicators"):
        load_rubric(gone)
    write(tmp_path, "x.yaml", "schema_version: 1\nextends: y.yaml\nid: x\n")
    loop = write(tmp_path, "y.yaml", "schema_version: 1\nextends: x.yaml\nid: y\n")
    with pytest.raises(RubricError, match="绕回了"):
        load_rubric(loop)


def _firm(year: int | None) -> object:
    data = {"name": "甲"} if year is None else {"name": "甲", "assessment_year": year}
    return firm_from_mapping(data, "t")


LADDER_2022 = ["miit-2022-innovative", "miit-2022-srdi", "miit-2022-little-giant"]
# 2号文 第三十条: the 2022 创新型 standard stays in use until a merged one is published.
LADDER_2026 = ["miit-2022-innovative", "miit-2026-srdi", "miit-2026-little-giant"]


@pytest.mark.parametrize(
    ("year", "today", "ladder"),
    [
        (2024, dt.date(2026, 11, 26), LADDER_2022),  # a past year: the rules of that year
        (2025, dt.date(2026, 11, 26), LADDER_2022),
        (2026, dt.date(2026, 3, 31), LADDER_2022),  # the day before the 2026 measures
        (2026, dt.date(2026, 4, 1), LADDER_2026),  # in force from 2026-04-01
        (None, dt.date(2026, 11, 26), LADDER_2026),
        (2027, dt.date(2026, 11, 26), LADDER_2026),
    ],
)
def test_ladder_in_force_on_the_assessment_day(
    year: int | None, today: dt.date, ladder: list[str]
) -> None:
    chosen = default_rubrics(_firm(year), today=today)  # type: ignore[arg-type]
    assert [r.id for r in chosen if r.tier != "readiness"] == ladder
    assert [r.id for r in chosen if r.tier == "readiness"] == ["srdi-readiness"]


def test_a_2026_review_takes_the_review_rubrics_and_a_2022_review_the_2022_ones() -> None:
    firm = _firm(2026)
    day = dt.date(2026, 11, 26)
    ids = builtin_rubrics()
    chosen = [r.id for r in default_rubrics(firm, today=day, review=True)]  # type: ignore[arg-type]
    expected = [i + "-review" if i + "-review" in ids else i for i in LADDER_2026]
    assert chosen[:3] == expected
    if "miit-2026-srdi-review" in ids:
        assert chosen[1:3] == ["miit-2026-srdi-review", "miit-2026-little-giant-review"]
    old = default_rubrics(firm, standard=2022, today=day, review=True)  # type: ignore[arg-type]
    assert [r.id for r in old][:3] == LADDER_2022
    # The questionnaire's `review` field asks for the same as --review.
    if "review" in FIELDS_BY_ID:
        asked = firm_from_mapping({"name": "甲", "assessment_year": 2026, "review": True}, "t")
        assert [r.id for r in default_rubrics(asked, today=day)][:3] == expected


def test_standard_2022_selects_the_2022_ladder_whatever_the_date() -> None:
    chosen = default_rubrics(
        _firm(2026),
        standard=2022,  # type: ignore[arg-type]
        today=dt.date(2026, 11, 26),
    )
    assert [r.id for r in chosen if r.tier != "readiness"] == [
        "miit-2022-innovative",
        "miit-2022-srdi",
        "miit-2022-little-giant",
    ]
    with pytest.raises(RubricError, match="没有 1999 年版的内置标准"):
        default_rubrics(_firm(2026), standard=1999)  # type: ignore[arg-type]


@pytest.mark.parametrize("rubric_id", sorted(builtin_rubrics()))
def test_rubric_reference_pages_are_current(rubric_id: str) -> None:
    page = ROOT / "docs" / "rubrics" / f"{rubric_id}.md"
    assert page.is_file(), "run: python -m assess.report.rubric_doc"
    assert page.read_text(encoding="utf-8") == markdown(builtin_rubrics()[rubric_id]), (
        "stale: run python -m assess.report.rubric_doc"
    )


PROVINCE = ROOT / "samples" / "extends" / "province-srdi.yaml"


def test_province_rubric_removes_the_national_distinctive_indicator_and_adds_its_own() -> None:
    from assess.catalog import table

    province, national = load_rubric(PROVINCE), get_rubric("miit-2022-srdi")
    ids = [i.id for i in province.indicators]
    assert "SRDI-09" not in ids and ids[-1] == "PROV-09"
    assert ids[:-1] == [i.id for i in national.indicators if i.id != "SRDI-09"]
    assert province.max_total == national.max_total == 100
    assert province.status == "local" and table("label.rubric_status")["local"] == "地方/园区"


def test_an_inherited_problem_points_at_the_child_that_must_change(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    text = PROVINCE.read_text(encoding="utf-8")
    # Drop the provincial indicator: the inherited class 'distinctive' no longer adds up.
    child.write_text(text.split("indicators:\n  - id: PROV-09")[0], encoding="utf-8")
    with pytest.raises(RubricError) as info:
        load_rubric(child)
    [problem] = info.value.problems
    assert problem.where.startswith("rubrics/miit-2022-srdi.yaml:")  # where the key is
    assert "继承自 rubrics/miit-2022-srdi.yaml" in problem.message
    assert f"请在 {child} 中用相同的 id 重写它，或用 remove: 删去它" in problem.message
