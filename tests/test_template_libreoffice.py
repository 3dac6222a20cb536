"""The questionnaire agrees with itself: every example its instructions give passes the
validation of the cell it is meant for, before and after LibreOffice saves the workbook,
and a template filled, saved by LibreOffice and read back holds the same firm."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from assess.fields import FIELDS_BY_ID
from assess.intake.firm import load_firm_file
from assess.intake.template import GUIDE_EXAMPLES, guide_notes, write_template
from assess.intake.values import parse_value
from assess.intake.workbook import read_workbook

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"),
    reason="LibreOffice is not installed",
)


def form_rows(ws: Any) -> dict[str, int]:
    return {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value}


def validation_at(ws: Any, cell: str) -> Any:
    for dv in ws.data_validations.dataValidation:
        if any(cell in rng for rng in dv.sqref.ranges):
            return dv
    return None


def _list_items(wb: Any, formula: str) -> list[str]:
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, cells = formula.split("!")
    return [c.value for row in wb[sheet.strip("'")][cells.replace("$", "")] for c in row]


def accepts(wb: Any, dv: Any, value: object) -> bool:
    """Whether Excel's rule `dv` lets `value` into the cell (as a spreadsheet checks it)."""
    if dv.type == "list":
        return str(value) in _list_items(wb, dv.formula1)
    if dv.type == "textLength":
        size, bound = len(str(value)), int(dv.formula1)
        return {"equal": size == bound, "lessThanOrEqual": size <= bound}[dv.operator]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False  # a number rule refuses text, "300万元" among it
    if dv.type == "whole" and value != int(value):
        return False
    low = Decimal(dv.formula1)
    if dv.operator == "greaterThanOrEqual":
        return Decimal(str(value)) >= low
    assert dv.operator == "between", dv.operator
    return low <= Decimal(str(value)) <= Decimal(dv.formula2)


def check_examples(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["问卷"]
    rows = form_rows(ws)
    for name, (field_id, value) in GUIDE_EXAMPLES.items():
        dv = validation_at(ws, f"D{rows[field_id]}")
        assert dv is not None, (name, field_id)
        assert accepts(wb, dv, value), (name, field_id, value, dv.type, dv.formula1)
        assert parse_value(FIELDS_BY_ID[field_id], value) is not None, name


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "问卷.xlsx"
    write_template(path)
    return path


def test_every_example_in_the_instructions_is_there_and_passes_its_cell(template: Path) -> None:
    text = "\n".join(guide_notes())
    for name, (_, value) in GUIDE_EXAMPLES.items():
        assert str(value) in text, name
    check_examples(template)
    # What the cells would refuse is not offered as a way to write a value.
    for refused in ("300万元", "3,000,000元", "Y/N", "1/0"):
        assert refused not in text, refused
    assert "没有请填 0，不清楚才留空" in text


def test_the_instructions_follow_the_language() -> None:
    from assess.catalog import using

    with using("en"):
        text = "\n".join(guide_notes())
    assert not re.search(r"[\u4e00-\u9fff]{6,}", text.replace("评价年度", ""))


def _soffice(tmp_path: Path, target: str, source: Path, outdir: Path) -> Path:
    outdir.mkdir(exist_ok=True)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    out = outdir / f"{source.stem}.{target.split(':')[0]}"
    assert out.exists(), out
    return out


@needs_soffice
def test_a_filled_template_saved_by_libreoffice_reads_back_the_same(tmp_path: Path) -> None:
    firm = load_firm_file(SAMPLES / "strong.json")
    batch = [dict(firm.values), {**dict(firm.values), "name": "第二家企业"}]
    source = tmp_path / "filled.xlsx"
    write_template(source, form=dict(firm.values), batch=batch)
    saved = _soffice(tmp_path, "xlsx:Calc MS Excel 2007 XML", source, tmp_path / "lo-out")
    check_examples(saved)  # LibreOffice kept the validations, and they still agree
    records = read_workbook(saved)
    assert [r.sheet for r in records] == ["问卷", "批量", "批量"]
    for record in records:
        assert record.ok, record.problems
        assert record.firm is not None
        got = dict(record.firm.values)
        want = {**dict(firm.values), **({"name": got["name"]} if record.row == 4 else {})}
        assert got == want, {k: (got.get(k), want.get(k)) for k in want if got.get(k) != want[k]}


@needs_soffice
def test_the_province_template_prints_and_leaves_out_other_provinces(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    source = tmp_path / "湖南.xlsx"
    write_template(source, province="湖南省")
    ids = [c.value for c in openpyxl.load_workbook(source)["批量"][2]]
    assert not [i for i in ids if i.startswith(("sd_", "sc_"))]
    pdf = _soffice(tmp_path, "pdf", source, tmp_path / "pdf")
    reader = pypdf.PdfReader(pdf)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "山东" not in text and "四川" not in text
    for words in ("填写说明", "没有请填 0，不清楚才留空", "证明材料清单", "湖南省"):
        assert words in text, words
    # The 批量 sheet: landscape pages, its two header rows repeated on each.
    landscape = [p for p in reader.pages if p.mediabox.width > p.mediabox.height]
    assert len(landscape) >= 2
    for page in landscape:
        assert "企业名称" in page.extract_text()


def test_the_evidence_list_has_one_line_per_document(template: Path) -> None:
    ws = openpyxl.load_workbook(template)["填写说明"]
    lines = [
        str(c.value)
        for c in ws["B"]
        if isinstance(c.value, str) and re.match(r"^\d+\. .*（用于：", c.value)
    ]
    documents = [line.split(". ", 1)[1].split("（用于：")[0] for line in lines]
    assert len(documents) == len(set(documents))
    assert 20 < len(documents) < 70
    # Near-duplicates are one line: the audited statements, the super-deduction filing.
    assert sum("财务报表" in d for d in documents) == 1
    assert sum("加计扣除" in d for d in documents) == 1
    assert json.dumps(documents, ensure_ascii=False).count("投资协议") == 1
