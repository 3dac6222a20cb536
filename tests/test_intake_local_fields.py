"""A local rubric's own fields: declared in its file, asked for by the questionnaire, read
from every kind of firm data, inherited through `extends`; and a toy operator registered
from one file shows the fields it reads in the questionnaire."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from assess.errors import RubricError
from assess.fields import FIELDS_BY_ID, Section
from assess.intake.firm import firm_from_mapping
from assess.intake.labels import field_by_label
from assess.intake.template import write_template
from assess.intake.uses import field_uses
from assess.intake.workbook import read_workbook
from assess.rubric.loader import load_rubric
from assess.rubric.operators import registered
from tests.test_operators import AtLeast, _toy_rubric

FIELDS = [
    {
        "id": "park_years",
        "label": "入驻园区年限",
        "unit": "年",
        "type": "number",
        "minimum": 0,
        "maximum": 50,
        "source": "入园协议",
    },
    {"id": "park_supply_share", "label": "园区内配套采购占比", "unit": "%", "type": "percent"},
]


def park(tmp_path: Path, **changes: Any) -> Path:
    data: dict[str, Any] = {
        "schema_version": 1,
        "extends": "miit-2022-srdi",
        "id": "park-local",
        "title": {"zh": "某园区专精特新培育评价", "en": "A park's evaluation"},
        "version": "1",
        "document": "园区培育细则（示例）",
        "issued_by": "示例园区管委会",
        "status": "official",
        "fields": FIELDS,
        "inputs": [],
        "classes": [{"id": "park", "title": {"zh": "园区协同", "en": "Park"}, "max": 10}],
        "indicators": [
            {
                "id": "PARK-01",
                "title": {"zh": "入驻园区年限", "en": "Years in the park"},
                "class": "park",
                "max": 10,
                "source": "园区培育细则（示例）第三条",
                "rationale": "园区鼓励长期入驻的企业。",
                "evidence": ["入园协议"],
                "advice": "在园区持续经营。",
                "effort": 1,
                "score": {
                    "operator": "items",
                    "items": [
                        {"id": "years", "when": "park_years >= 3", "label": "入驻满 3 年"},
                        {"id": "supply", "when": "park_supply_share >= 20", "label": "配套"},
                    ],
                    "points_each": 5,
                    "cap": 10,
                },
            }
        ],
        "max_total": 110,
        **changes,
    }
    path = tmp_path / "park.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_declared_fields_are_inputs_and_known_to_every_lookup(tmp_path: Path) -> None:
    rubric = load_rubric(park(tmp_path))
    assert {"park_years", "park_supply_share"} <= set(rubric.inputs)
    spec = FIELDS_BY_ID["park_years"]
    assert (spec.label, spec.unit, spec.section, spec.maximum) == (
        "入驻园区年限",
        "年",
        Section.LOCAL,
        50,
    )
    assert field_by_label("入驻园区年限(年)") is spec
    firm = firm_from_mapping({"name": "甲", "park_years": "4年", "park_supply_share": "25%"}, "f")
    assert firm.values["park_years"] == 4 and firm.values["park_supply_share"] == 25


def test_the_template_asks_for_them_and_reads_them_back(tmp_path: Path) -> None:
    path = str(park(tmp_path))
    book = tmp_path / "问卷.xlsx"
    write_template(book, [path])
    wb = openpyxl.load_workbook(book)
    form = wb["问卷"]
    rows = {form.cell(r, 1).value: r for r in range(1, form.max_row + 1)}
    assert "park_years" in rows and form.cell(rows["park_years"], 2).value == "入驻园区年限"
    form.cell(rows["name"], 4, "甲公司")
    form.cell(rows["park_years"], 4, 6)
    batch = wb["批量"]
    ids = [c.value for c in batch[2]]
    assert "park_supply_share" in ids
    batch.cell(3, ids.index("name") + 1, "乙公司")
    batch.cell(3, ids.index("park_supply_share") + 1, 30)
    wb.save(book)
    form_firm, batch_firm = (r.firm for r in read_workbook(book))
    assert form_firm is not None and form_firm.values["park_years"] == 6
    assert batch_firm is not None and batch_firm.values["park_supply_share"] == 30
    guide = "\n".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    assert "入园协议" in guide


def test_a_bounded_field_refuses_a_figure_beyond_its_bounds(tmp_path: Path) -> None:
    load_rubric(park(tmp_path))
    with pytest.raises(Exception, match="入驻园区年限填的是 80，大于 50"):
        firm_from_mapping({"name": "甲", "park_years": 80}, "f")


def test_a_child_inherits_the_fields_and_may_remove_one(tmp_path: Path) -> None:
    parent = park(tmp_path)
    child = tmp_path / "child.yaml"
    child.write_text(
        yaml.safe_dump(
            {
                "schema_version": 1,
                "extends": parent.name,
                "id": "park-child",
                "remove": {"fields": ["park_supply_share"]},
                "indicators": [
                    {
                        "id": "PARK-01",
                        "title": {"zh": "入驻园区年限", "en": "Years in the park"},
                        "class": "park",
                        "max": 10,
                        "source": "细则",
                        "rationale": "长期入驻。",
                        "evidence": ["入园协议"],
                        "advice": "持续经营。",
                        "effort": 1,
                        "score": {
                            "operator": "items",
                            "items": [{"id": "y", "when": "park_years >= 3", "label": "满 3 年"}],
                            "points_each": 10,
                            "cap": 10,
                        },
                    }
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    rubric = load_rubric(child)
    assert [f.id for f in rubric.fields] == ["park_years"]


def test_a_builtin_id_is_refused_at_its_line(tmp_path: Path) -> None:
    bad = [{"id": "revenue", "label": "营业收入", "type": "money", "unit": "万元"}]
    with pytest.raises(RubricError) as caught:
        load_rubric(park(tmp_path, fields=bad))
    (problem,) = caught.value.problems
    assert problem.path == "fields[0].id" and "已是内置项目" in problem.message


def test_a_toy_operator_registered_from_one_file_shows_its_fields_in_the_template(
    tmp_path: Path,
) -> None:
    with registered(AtLeast):
        rubric = load_rubric(_toy_rubric(tmp_path))
        uses = field_uses([rubric])
        title = rubric.indicators[0].title.zh
        read = {fid for fid, use in uses.items() if title in use.used_by}
        assert read and read <= set(rubric.inputs)
        book = tmp_path / "toy.xlsx"
        write_template(book, [str(_toy_rubric(tmp_path))])
        guide = openpyxl.load_workbook(book)["填写说明"]
        rows = {guide.cell(r, 1).value: r for r in range(1, guide.max_row + 1)}
        for fid in read:
            assert title in str(guide.cell(rows[fid], 6).value), fid
