"""The questionnaire template: what it asks, how it validates, and that it scores like JSON."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import unicodedata
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.engine import evaluate
from assess.errors import InputError, RubricError
from assess.fields import FIELDS, FIELDS_BY_ID, NUMERIC_TYPES, Field, FieldType, Section
from assess.intake import layout, load_records
from assess.intake import template as tpl
from assess.intake.firm import load_firm_file
from assess.intake.places import col_letter
from assess.intake.template import write_template
from assess.intake.uses import document_of, gate_fields
from assess.intake.values import BLANK_MARKERS, parse_value
from assess.intake.workbook import read_workbook
from assess.rubric.loader import builtin_rubrics, get_rubric

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
STEMS = ("strong", "borderline", "weak")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "问卷模板.xlsx"
    write_template(path)
    return path


@pytest.fixture(scope="module")
def book(template: Path) -> Any:
    return openpyxl.load_workbook(template)


GATES = gate_fields(list(builtin_rubrics().values()))


def default_ids() -> list[str]:
    wanted = set(tpl.BASIC_FIELDS)
    for rubric in builtin_rubrics().values():
        wanted |= set(rubric.inputs)
    return [f.id for f in FIELDS if f.id in wanted]


def form_rows(ws: Any) -> dict[str, int]:
    """Field id → row of the 问卷 sheet."""
    return {
        ws.cell(r, 1).value: r
        for r in range(2, ws.max_row + 1)
        if ws.cell(r, 1).value in FIELDS_BY_ID
    }


def validations(ws: Any) -> dict[str, Any]:
    """Cell range → its data validation."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[str(rng)] = dv
    return out


def dropdown(wb: Any, formula: str) -> list[str]:
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, cells = formula.split("!")
    ws = wb[sheet.strip("'")]
    return [c.value for row in ws[cells.replace("$", "")] for c in row]


def expected_rule(spec: Field) -> tuple[Any, ...] | None:
    """(type, operator, formula1, formula2) the template must carry for a field."""
    if spec.type is FieldType.BOOL:
        return ("list", ["是", "否"])
    if spec.type is FieldType.ENUM:
        return ("list", [label for _, label in spec.choices])
    if spec.type in NUMERIC_TYPES:
        kind = "whole" if spec.type is FieldType.INT else "decimal"
        low = spec.minimum if spec.minimum is not None else (None if spec.negative_ok else 0)
        high = (
            spec.maximum
            if spec.maximum is not None
            else (100 if spec.type is FieldType.PERCENT else None)
        )
        if low is None and high is None:
            return (kind, "between", "-999999999", "999999999")
        if high is None:
            return (kind, "greaterThanOrEqual", str(low), None)
        return (kind, "between", str(low), str(high))
    if spec.id == "credit_code":
        return ("textLength", "equal", "18", None)
    if spec.type is FieldType.TEXT:  # the reader's limit
        return ("textLength", "lessThanOrEqual", str(spec.text_limit), None)
    return None


def actual_rule(wb: Any, dv: Any) -> tuple[Any, ...]:
    if dv.type == "list":
        return ("list", dropdown(wb, dv.formula1))
    return (dv.type, dv.operator, dv.formula1, dv.formula2)


# ---- structure -----------------------------------------------------------------------------


def test_sheets_and_header(book: Any) -> None:
    assert book.sheetnames[:3] == ["填写说明", "问卷", "批量"]
    ws = book["问卷"]
    assert [c.value for c in ws[1]][:5] == ["字段ID", "项目", "单位", "填写值", "说明"]
    assert ws.freeze_panes == "A2"
    assert book["批量"].freeze_panes == "B3"


def test_form_rows_grouped_by_section(book: Any) -> None:
    ws = book["问卷"]
    assert list(form_rows(ws)) == default_ids()
    sections = [
        ws.cell(r, 2).value
        for r in range(2, ws.max_row + 1)
        if ws.cell(r, 1).value is None and ws.cell(r, 2).value
    ]
    present = {FIELDS_BY_ID[i].section.value for i in default_ids()}
    assert sections == [s.value for s in Section if s.value in present]
    current = None
    for r in range(2, ws.max_row + 1):
        ident = ws.cell(r, 1).value
        if ident is None:
            current = ws.cell(r, 2).value
        else:
            assert FIELDS_BY_ID[ident].section.value == current, ident


def test_form_cells(book: Any) -> None:
    ws = book["问卷"]
    rows = form_rows(ws)
    for field_id, r in rows.items():
        spec = FIELDS_BY_ID[field_id]
        assert ws.cell(r, 1).font.color.rgb.endswith("808080"), field_id  # greyed id
        marked = spec.required or field_id in GATES
        assert ws.cell(r, 2).value == ("* " if marked else "") + spec.label
        assert (ws.cell(r, 3).value or "") == spec.unit
        assert ws.cell(r, 4).value is None
    name = rows["name"]
    assert ws.cell(name, 2).font.bold and "必填" in ws.cell(name, 5).value
    assert ws.cell(name, 4).fill.fgColor.rgb != ws.cell(rows["main_product"], 4).fill.fgColor.rgb
    assert ws.cell(name, 4).fill.fgColor.rgb == ws.cell(rows["revenue"], 4).fill.fgColor.rgb
    assert "必填：决定企业规模" in ws.cell(rows["revenue"], 5).value
    assert "必填：决定能否参评" in ws.cell(rows["niche_years"], 5).value
    assert "经审计的财务报表" in ws.cell(rows["revenue"], 5).value  # the source
    assert ws.cell(rows["revenue"], 4).number_format == "#,##0.00"
    assert ws.cell(rows["credit_code"], 4).number_format == "@"


def test_form_validations(book: Any) -> None:
    ws = book["问卷"]
    found = validations(ws)
    for field_id, r in form_rows(ws).items():
        spec = FIELDS_BY_ID[field_id]
        want = expected_rule(spec)
        dv = found.get(f"D{r}")
        if want is None:
            assert dv is None, field_id
            continue
        assert dv is not None, field_id
        assert actual_rule(book, dv) == want, field_id
        assert dv.showErrorMessage and dv.errorStyle == "stop" and dv.allow_blank
        assert dv.prompt and dv.promptTitle and len(dv.promptTitle) <= 32


def test_specific_rules(book: Any) -> None:
    ws = book["问卷"]
    rows, found = form_rows(ws), validations(book["问卷"])

    def rule(field_id: str) -> tuple[Any, ...]:
        return actual_rule(book, found[f"D{rows[field_id]}"])

    assert rule("high_tech_enterprise") == ("list", ["是", "否"])
    assert rule("rd_institution") == ("list", ["国家级", "省级", "市级", "市级以下", "未建立"])
    assert rule("industry")[1][:2] == ["农、林、牧、渔业", "工业"]
    assert rule("revenue") == ("decimal", "greaterThanOrEqual", "0", None)
    assert rule("net_profit") == ("decimal", "between", "-999999999", "999999999")
    assert rule("market_share") == ("decimal", "between", "0", "100")
    assert rule("employees") == ("whole", "greaterThanOrEqual", "0", None)
    assert rule("digital_level") == ("whole", "between", "0", "4")
    assert rule("assessment_year") == ("whole", "between", "2000", "2100")
    assert rule("name") == ("textLength", "lessThanOrEqual", "200", None)
    assert rule("province") == ("textLength", "lessThanOrEqual", "50", None)


def test_batch_sheet(book: Any) -> None:
    ws = book["批量"]
    ids = [c.value for c in ws[2]]
    assert ids == default_ids()
    labels = [c.value for c in ws[1]]
    assert labels[ids.index("name")] == "* 企业名称"
    assert labels[ids.index("revenue")] == "* 上年度营业收入(万元)"
    assert labels[ids.index("main_product")] == "主导产品"
    assert labels[ids.index("market_share")] == "* 主导产品全国细分市场占有率(%)"
    found = validations(ws)
    last = layout.BATCH_FIRST_ROW + layout.BATCH_ROWS - 1
    for col, field_id in enumerate(ids):
        letter = col_letter(col)
        want = expected_rule(FIELDS_BY_ID[field_id])
        dv = found.get(f"{letter}3:{letter}{last}")
        assert (dv is None) == (want is None), field_id
        if dv is not None:
            assert actual_rule(book, dv) == want, field_id
    assert ws.max_row == 2  # no firm rows yet


def test_print_setup(book: Any) -> None:
    for name in ("填写说明", "问卷", "批量"):
        ws = book[name]
        assert int(ws.page_setup.paperSize) == 9, name  # A4
        assert ws.print_title_rows, name
    assert book["问卷"].page_setup.orientation == "portrait"
    assert book["问卷"].sheet_properties.pageSetUpPr.fitToPage
    assert book["批量"].page_setup.orientation == "landscape"
    assert book["问卷"].column_dimensions["B"].width >= 30


def test_guide(book: Any) -> None:
    ws = book["填写说明"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    for words in (
        "万元",
        "12.5% 填 12.5",
        "人数、件数填整数",
        "“上年度”指评价年度的前一年",
        "问卷",
        "批量",
        "没有请填 0，不清楚才留空",
        "证明材料清单",
    ):
        assert words in text, words
    for field_id in default_ids():
        spec = FIELDS_BY_ID[field_id]
        assert field_id in text
        if spec.source:
            assert spec.source in text, field_id
    rubric = get_rubric("miit-2022-innovative")
    for indicator in rubric.indicators:
        for item in indicator.evidence:
            assert document_of(item) in text, item
    # evidence is listed beside the fields that need it
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    assert "研发费用专项审计报告" in ws.cell(rows["rd_expense"], 5).value
    assert "获奖证书" in ws.cell(rows["award"], 5).value


def test_subset_of_rubrics(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(path, ["miit-2022-innovative"])
    ids = [c.value for c in openpyxl.load_workbook(path)["批量"][2]]
    rubric = get_rubric("miit-2022-innovative")
    assert set(ids) == set(tpl.BASIC_FIELDS) | set(rubric.inputs)
    assert "sd_key_industry" not in ids


def test_unknown_rubric_or_field(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match="没有评价标准"):
        write_template(tmp_path / "t.xlsx", ["miit-2099"])
    with pytest.raises(InputError, match="没有编号为 revnue 的项目"):
        write_template(tmp_path / "t.xlsx", fields=["revnue"])
    assert not (tmp_path / "t.xlsx").exists()


# ---- a template filled by a program scores like the JSON -----------------------------------


def fill_form(template: Path, out: Path, data: dict[str, Any], machine: bool) -> None:
    """Type the JSON values into column D as a person (labels) or a script (values)."""
    wb = openpyxl.load_workbook(template)
    ws = wb["问卷"]
    for field_id, r in form_rows(ws).items():
        if field_id not in data:
            continue
        spec, value = FIELDS_BY_ID[field_id], data[field_id]
        if spec.type is FieldType.BOOL:
            value = ("Y" if value else "N") if machine else ("是" if value else "否")
        elif spec.type is FieldType.ENUM:
            value = value if machine else spec.choice_label(value)
        elif machine and spec.type is FieldType.MONEY:
            value = f"{Decimal(str(value)):,}"  # text with separators
        ws.cell(r, 4, value)
    wb.save(out)


def scoring_rubrics() -> list[str]:
    return [r for r in ("miit-2022-innovative", "miit-2022-srdi") if r in builtin_rubrics()]


@pytest.mark.parametrize("machine", [False, True], ids=["labels", "machine-values"])
@pytest.mark.parametrize("stem", STEMS)
def test_filled_template_scores_like_json(
    template: Path, tmp_path: Path, stem: str, machine: bool
) -> None:
    data = json.loads((SAMPLES / f"{stem}.json").read_text(encoding="utf-8"))
    out = tmp_path / f"{stem}.xlsx"
    fill_form(template, out, data, machine)
    (record,) = read_workbook(out)
    assert record.ok, [str(p) for p in record.problems]
    assert record.firm is not None
    from_json = load_firm_file(SAMPLES / f"{stem}.json")
    assert scoring_rubrics()
    for rubric_id in scoring_rubrics():
        rubric = get_rubric(rubric_id)
        a, b = evaluate(rubric, record.firm), evaluate(rubric, from_json)
        assert a.total == b.total, rubric_id
        assert [(i.id, i.points, i.status) for i in a.indicators] == [
            (i.id, i.points, i.status) for i in b.indicators
        ], rubric_id
        assert a.passed == b.passed


def test_prefilled_template_reads_back(tmp_path: Path) -> None:
    firm = load_firm_file(SAMPLES / "strong.json")
    path = tmp_path / "t.xlsx"
    write_template(path, form=dict(firm.values), batch=[dict(firm.values)] * 2)
    records = read_workbook(path)
    assert len(records) == 3
    for record in records:
        assert record.firm is not None and dict(record.firm.values) == dict(firm.values)


# ---- the committed samples -----------------------------------------------------------------


@pytest.mark.parametrize("stem", STEMS)
def test_sample_workbooks_match_their_json(stem: str) -> None:
    (x,) = load_records(SAMPLES / f"{stem}.xlsx")
    (j,) = load_records(SAMPLES / f"{stem}.json")
    assert x.firm is not None and j.firm is not None
    assert dict(x.firm.values) == dict(j.firm.values)


def make_samples() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_agency_batch_sample() -> None:
    records = load_records(SAMPLES / "agency-batch.xlsx")
    assert len(records) >= 30
    assert all(r.ok for r in records), [str(p) for r in records for p in r.problems]
    firms = [r.firm for r in records if r.firm is not None]
    assert {"山东省", "四川省", "湖南省"} <= {f.get("province") for f in firms}
    assert len({f.get("industry") for f in firms}) >= 3
    assert len({f.name for f in firms}) == len(firms)
    sizes = [int(str(f.get("employees"))) for f in firms]
    assert min(sizes) < 100 < max(sizes)
    counts = [len(f.values) for f in firms]
    assert min(counts) < max(counts) - 3  # one firm left a few figures blank
    rubric = get_rubric("miit-2022-innovative")
    totals = [evaluate(rubric, f).total for f in firms]
    assert max(totals) - min(totals) >= 40  # strong to weak
    # not stale: the generator gives the same firms
    expected = make_samples().agency_firms()
    assert [dict(f.values) for f in firms] == [
        {k: parse_value(FIELDS_BY_ID[k], v) for k, v in firm.items()} for firm in expected
    ]


# ---- cell values round-trip ----------------------------------------------------------------


def _values(spec: Field) -> st.SearchStrategy[Any]:
    if spec.type is FieldType.BOOL:
        return st.booleans()
    if spec.type is FieldType.ENUM:
        return st.sampled_from(spec.choice_values)
    if spec.type is FieldType.TEXT:
        # Text a person types: controls, surrogates and format characters are refused or
        # removed (tested in test_intake_text.py), so they do not read back as written.
        typed = st.characters(exclude_categories=("Cc", "Cs", "Cf"))
        # "—", "N/A", "不适用" mean "not known": they read as blank, not as text.
        return (
            st.text(typed, min_size=1, max_size=20)
            .map(str.strip)
            .filter(
                lambda x: bool(x) and unicodedata.normalize("NFKC", x).lower() not in BLANK_MARKERS
            )
        )
    low = spec.minimum if spec.minimum is not None else (-(10**6) if spec.negative_ok else 0)
    high = spec.maximum if spec.maximum is not None else 10**7
    if spec.type is FieldType.INT:
        return st.integers(low, high)
    return st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False).map(
        lambda d: d.normalize() + 0
    )


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_cell_value_parses_back(data: st.DataObject) -> None:
    spec = data.draw(st.sampled_from(FIELDS))
    value = data.draw(_values(spec))
    assert parse_value(spec, tpl.cell_value(spec, value)) == value


# ---- LibreOffice ---------------------------------------------------------------------------


# CI installs LibreOffice (scripts/bootstrap.sh test), so there a missing soffice fails.
@pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"),
    reason="LibreOffice is not installed",
)
def test_template_converts_to_pdf_with_libreoffice(template: Path, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    env = {**os.environ, "HOME": str(tmp_path)}
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(template),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env=env,
    )
    pdf = tmp_path / f"{template.stem}.pdf"
    reader = pypdf.PdfReader(pdf)
    assert len(reader.pages) >= 3
    text = "".join(page.extract_text() for page in reader.pages)
    for words in ("填写说明", "填写值", "上年度营业收入", "没有请填 0，不清楚才留空"):
        assert words in text, words
    # The printed guide and form leave out the field ids (the 批量 sheet's id row stays:
    # the reader finds its columns by it).
    guide_and_form = "".join(
        page.extract_text() for page in reader.pages if page.mediabox.width < page.mediabox.height
    )
    assert not re.search(r"\b(?:revenue|rd_expense|credit_code)\b", guide_and_form)


def test_long_dropdown_lists_go_to_a_hidden_sheet() -> None:
    """Excel caps an inline list at 255 characters; longer ones are read from 选项."""
    choices = tuple((f"v{i}", f"很长的选项名称第{i}项，含逗号") for i in range(30))
    spec = Field("x_long", "长列表", FieldType.ENUM, Section.BASIC, choices=choices)
    wb = openpyxl.Workbook()
    lists = tpl._Lists(wb)
    formula = lists.formula(spec)
    assert formula == "'选项'!$A$1:$A$30"
    assert wb["选项"].sheet_state == "hidden"
    assert dropdown(wb, formula) == [label for _, label in choices]
    assert lists.formula(FIELDS_BY_ID["rd_institution"]).startswith('"国家级,')
