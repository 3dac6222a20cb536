"""Reading workbooks: what people really type is accepted, everything else is named.

Small workbooks are built with openpyxl in each test; the sheet XML is edited directly
where openpyxl cannot write the case (a cached formula result, an error cell, cells
without addresses).
"""

from __future__ import annotations

import io
import re
import shutil
import struct
import zipfile
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from assess.errors import InputError
from assess.fields import FIELDS_BY_ID
from assess.intake import Record, guard, load_records
from assess.intake.cells import percent_cells, scan_bad_cells
from assess.intake.labels import header_label
from assess.intake.template import write_template
from assess.intake.workbook import read_workbook

SHEET1 = "xl/worksheets/sheet1.xml"

# A firm as typed into 问卷, row by row: (field id, label, value).
BASE: list[tuple[str, object]] = [
    ("name", "测试精密机械有限公司"),
    ("credit_code", "914403001922038216"),
    ("industry", "工业"),
    ("employees", 120),
    ("revenue", 8000),
    ("main_revenue", 7000),
    ("rd_expense", 400),
    ("high_tech_enterprise", "是"),
]


def form_book(
    path: Path,
    rows: Iterable[tuple[str, object]],
    *,
    header: bool = True,
    title: str = "问卷",
    style: Callable[[Any, str], None] | None = None,
) -> Path:
    """A minimal 问卷: header row, then field id | label | unit | value."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    if header:
        ws.append(["字段ID", "项目", "单位", "填写值", "说明"])
    for field_id, value in rows:
        spec = FIELDS_BY_ID.get(field_id)
        ws.append([field_id, spec.label if spec else "", spec.unit if spec else "", value])
        if style is not None:
            style(ws.cell(ws.max_row, 4), field_id)
    wb.save(path)
    return path


def batch_book(
    path: Path,
    ids: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    labels: bool = True,
    id_row: bool = True,
) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "批量"
    if labels:
        ws.append([header_label(FIELDS_BY_ID[i]) if i in FIELDS_BY_ID else i for i in ids])
    if id_row:
        ws.append(list(ids))
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def edit_entry(path: Path, name: str, edit: Callable[[str], str]) -> None:
    """Rewrite one part of the zip."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts[name] = edit(parts[name].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, data)


def one(path: Path) -> Record:
    records = read_workbook(path)
    assert len(records) == 1
    return records[0]


def value_of(path: Path, field_id: str) -> object:
    record = one(path)
    assert record.firm is not None, [str(p) for p in record.problems]
    return record.firm.get(field_id)


def messages(record: Record) -> list[str]:
    return [str(p) for p in record.problems]


# ---- tolerated formats ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_id", "raw", "expected"),
    [
        ("revenue", "8000", Decimal(8000)),  # a number stored as text
        ("revenue", "18,600.5", Decimal("18600.5")),  # thousands separator
        ("revenue", "１８，６００", Decimal(18600)),  # full-width digits and comma
        ("revenue", " 18600 ", Decimal(18600)),
        ("revenue", "300万元", Decimal(300)),
        ("revenue", "300 万", Decimal(300)),
        ("revenue", "3,000,000元", Decimal(300)),  # yuan converted to 万元
        ("revenue", 18600.5, Decimal("18600.5")),
        ("net_profit", "-120.5", Decimal("-120.5")),
        ("market_share", "12%", Decimal(12)),
        ("market_share", "12.5", Decimal("12.5")),
        ("market_share", "１２．５％", Decimal("12.5")),
        ("employees", "260", 260),
        ("employees", "260人", 260),
        ("employees", 260.0, 260),
        ("assessment_year", "2026", 2026),
        ("main_product", 12345.0, "12345"),  # a text field typed as a number
    ],
)
def test_tolerated_number_formats(
    tmp_path: Path, field_id: str, raw: object, expected: object
) -> None:
    rows = [r for r in BASE if r[0] != field_id] + [(field_id, raw)]
    got = value_of(form_book(tmp_path / "f.xlsx", rows), field_id)
    assert got == expected
    assert type(got) is type(expected)


YES = ["是", "Y", "y", "yes", "TRUE", "true", "1", "有", "√", True, 1]
NO = ["否", "N", "n", "no", "FALSE", "false", "0", "无", False, 0]


@pytest.mark.parametrize("raw", YES)
def test_yes_spellings(tmp_path: Path, raw: object) -> None:
    rows = [*BASE[:-1], ("high_tech_enterprise", raw)]
    assert value_of(form_book(tmp_path / "f.xlsx", rows), "high_tech_enterprise") is True


@pytest.mark.parametrize("raw", NO)
def test_no_spellings(tmp_path: Path, raw: object) -> None:
    rows = [*BASE[:-1], ("high_tech_enterprise", raw)]
    assert value_of(form_book(tmp_path / "f.xlsx", rows), "high_tech_enterprise") is False


@pytest.mark.parametrize(
    ("field_id", "raw", "expected"),
    [
        ("rd_institution", "省级", "provincial"),  # the dropdown label
        ("rd_institution", "provincial", "provincial"),  # the machine value
        ("rd_institution", "PROVINCIAL", "provincial"),
        ("rd_institution", " 省级 ", "provincial"),
        ("maker_china", "全国 50 强(企业组)", "top50"),
        ("maker_china", "全国50强（企业组）", "top50"),  # no spaces, full-width brackets
        ("industry", "软件和信息技术服务业", "software"),
        ("industry", "software", "software"),
        ("award", "省级(排名前三)", "provincial_top3"),
    ],
)
def test_enum_spellings(tmp_path: Path, field_id: str, raw: str, expected: str) -> None:
    rows = [r for r in BASE if r[0] != field_id] + [(field_id, raw)]
    assert value_of(form_book(tmp_path / "f.xlsx", rows), field_id) == expected


def test_percent_formatted_cell_means_the_percentage(tmp_path: Path) -> None:
    """Excel stores "12.4%" typed in a cell as 0.124 with a % format: we read 12.4."""

    def style(cell: Any, field_id: str) -> None:
        if field_id in ("market_share", "revenue"):
            cell.number_format = "0.0%"

    rows = [*BASE, ("market_share", 0.124)]
    path = form_book(tmp_path / "f.xlsx", rows, style=style)
    firm = one(path).firm
    assert firm is not None
    assert firm.get("market_share") == Decimal("12.4")
    assert firm.get("revenue") == Decimal(8000)  # only percent fields are scaled


def test_percent_format_in_a_batch_column(tmp_path: Path) -> None:
    path = batch_book(
        tmp_path / "b.xlsx", ["name", "market_share"], [["甲", 0.25], ["乙", "3.5%"], ["丙", 7]]
    )
    wb = openpyxl.load_workbook(path)
    wb["批量"]["B3"].number_format = "0%"
    wb.save(path)
    got = [r.firm.get("market_share") for r in read_workbook(path) if r.firm]
    assert got == [Decimal(25), Decimal("3.5"), Decimal(7)]


def test_blank_and_extra_rows_and_columns(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "问卷"
    ws.append(["专精特新自评问卷（某某服务机构版）"])  # a title above the header
    ws.append([])
    ws.append(["字段ID", "项目", "备注", "单位", "填写值", "说明", "审核意见"])  # extra column
    ws.append([None, "基本信息"])
    for field_id, value in BASE:
        ws.append([field_id, FIELDS_BY_ID[field_id].label, "", "", value, "", "已核"])
        ws.append([])  # blank rows between
    ws.append(["", "以下为附加说明", "", "", "本行不是字段"])
    wb.save(tmp_path / "f.xlsx")
    firm = one(tmp_path / "f.xlsx").firm
    assert firm is not None
    assert firm.get("revenue") == Decimal(8000)
    assert firm.get("high_tech_enterprise") is True
    assert firm.name == "测试精密机械有限公司"


def test_reordered_rows(tmp_path: Path) -> None:
    path = form_book(tmp_path / "f.xlsx", list(reversed(BASE)))
    firm, same = one(path).firm, one(form_book(tmp_path / "g.xlsx", BASE)).firm
    assert firm is not None and same is not None
    assert dict(firm.values) == dict(same.values)


def test_label_in_column_b_when_the_id_is_missing(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "问卷"
    ws.append(["字段ID", "项目", "单位", "填写值"])
    ws.append([None, "* 企业名称", "", "甲公司"])
    ws.append([None, "上年度营业收入", "万元", 5000])
    ws.append(["", "上年度研发费用(万元)", "", 250])  # a label with its unit
    ws.append(["revnue", "上年度主营业务收入", "", 4000])  # a typo in A, a good label
    wb.save(tmp_path / "f.xlsx")
    firm = one(tmp_path / "f.xlsx").firm
    assert firm is not None
    assert firm.get("revenue") == 5000 and firm.get("rd_expense") == 250
    assert firm.get("main_revenue") == 4000


def test_template_without_a_header_row(tmp_path: Path) -> None:
    path = form_book(tmp_path / "f.xlsx", BASE, header=False)
    assert value_of(path, "employees") == 120


def test_unknown_field_id_is_a_warning(tmp_path: Path) -> None:
    path = form_book(tmp_path / "f.xlsx", [*BASE, ("rd_expence", 5)])
    firm = one(path).firm
    assert firm is not None
    assert any("rd_expence" in w and "问卷!A" in w for w in firm.warnings)


def test_whitespace_only_and_blank_cells_are_unknown(tmp_path: Path) -> None:
    path = form_book(tmp_path / "f.xlsx", [*BASE, ("total_assets", "   "), ("ip_class1", None)])
    firm = one(path).firm
    assert firm is not None
    assert firm.get("total_assets") is None and firm.get("ip_class1") is None


# ---- formulas and error cells --------------------------------------------------------------


def test_cached_formula_result_is_used(tmp_path: Path) -> None:
    path = form_book(tmp_path / "f.xlsx", [*BASE, ("total_assets", "=1000+2000")])
    edit_entry(path, SHEET1, lambda x: re.sub(r"(<f>1000\+2000</f>)<v\s*/>", r"\1<v>3000</v>", x))
    assert value_of(path, "total_assets") == Decimal(3000)


def test_formula_without_saved_result_is_an_error_naming_the_cell(tmp_path: Path) -> None:
    rows = [*BASE, ("total_assets", "=1000+2000")]
    record = one(form_book(tmp_path / "f.xlsx", rows))
    assert record.firm is None
    (message,) = messages(record)
    row = len(rows) + 1
    assert message.startswith(f"{tmp_path / 'f.xlsx'} › 问卷!D{row} total_assets: ")
    assert "=1000+2000" in message and "没有保存计算结果" in message


def test_formula_error_result_is_an_error(tmp_path: Path) -> None:
    path = form_book(tmp_path / "f.xlsx", [*BASE, ("total_assets", "=1/0")])
    edit_entry(
        path,
        SHEET1,
        lambda x: re.sub(
            r"<c r=\"(D\d+)\"><f>1/0</f><v\s*/>", r'<c r="\1" t="e"><f>1/0</f><v>#DIV/0!</v>', x
        ),
    )
    (message,) = messages(one(path))
    assert "total_assets: 单元格显示错误值 #DIV/0!（公式 =1/0）" in message


def test_formula_outside_the_value_column_is_ignored(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(form_book(tmp_path / "f.xlsx", BASE))
    wb["问卷"]["E3"] = "=A1"  # a formula in 说明, no cached value
    wb.save(tmp_path / "f.xlsx")
    assert one(tmp_path / "f.xlsx").ok


def test_cells_without_addresses_use_the_slow_path(tmp_path: Path) -> None:
    """Some writers omit `r` on cells; the formula rule still holds."""
    rows = [*BASE, ("total_assets", "=1000+2000")]
    path = form_book(tmp_path / "f.xlsx", rows)
    edit_entry(path, SHEET1, lambda x: re.sub(r'<c r="[A-Z]+\d+"', "<c", x))
    (message,) = messages(one(path))
    assert f"问卷!D{len(rows) + 1} total_assets: 公式 =1000+2000 没有保存计算结果" in message


def test_scan_finds_prefixed_and_shared_formulas() -> None:
    xml = (
        b'<x:worksheet><x:sheetData><x:row r="2"><x:c r="D2"><x:f t="shared" si="0"/>'
        b'</x:c><x:c r="E2" t="str"><x:f>A1</x:f><x:v></x:v></x:c>'
        b'<x:c r="F2"><x:f>B1</x:f><x:v>4</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    )
    bad = scan_bad_cells(xml)
    assert set(bad) == {(1, 3)}  # E2 is a cached empty text, F2 has a value


def test_percent_scan_finds_cells_by_style_not_rows_or_columns() -> None:
    """Styles 3 and 12 show a %: a row's or a column's own style is no cell's, style 1 is
    not one of them, and "s="12"" is not "s="1"" cut short."""
    xml = (
        b'<x:worksheet><x:cols><x:col min="1" max="3" s="3"/></x:cols><x:sheetData>'
        b'<x:row r="2" s="3"><x:c r="B2" s="3"><x:v>0.1</x:v></x:c><x:c r="C2" s="1"/>'
        b'<x:c r="AA2" s="12"/></x:row>'
        b'<x:row r="7"><x:c s="3" r="B7"><x:v>0.2</x:v></x:c><x:c r="C7" s="12"/></x:row>'
        b"</x:sheetData></x:worksheet>"
    )
    got = percent_cells(xml, frozenset({3, 12}))
    assert {col: list(rows) for col, rows in got.items()} == {1: [1, 6], 26: [1], 2: [6]}
    assert percent_cells(xml, frozenset()) == {}


# ---- errors: located, all at once, one row never sinks the others --------------------------


def test_error_names_file_sheet_cell_and_field(tmp_path: Path) -> None:
    rows = [("name", "甲"), ("revenue", 100), ("rd_expense", "约300")]
    path = form_book(tmp_path / "申报表.xlsx", rows)
    assert messages(one(path)) == [
        f"{path} › 问卷!D4 rd_expense: 上年度研发费用填的是 “约300”："
        "请填写数字，单位万元，如 1234.5"
    ]


def test_all_errors_of_a_file_at_once(tmp_path: Path) -> None:
    rows = [
        ("name", "甲"),
        ("revenue", "很多"),
        ("employees", "12.5"),
        ("rd_institution", "县级"),
        ("high_tech_enterprise", "也许"),
        ("assessment_year", 1999),
        ("net_profit", "-5"),
        ("total_assets", "-5"),
        ("market_share", "12%%"),
    ]
    found = messages(one(form_book(tmp_path / "f.xlsx", rows)))
    assert len(found) == 7
    joined = "\n".join(found)
    for cell, field_id, expected in [
        ("D3", "revenue", "上年度营业收入填的是 “很多”：请填写数字，单位万元"),
        ("D4", "employees", "不是整数：请填写整数，单位人"),
        ("D5", "rd_institution", "请填写下拉列表中的一项：“国家级”“省级”"),
        ("D6", "high_tech_enterprise", "请填写“是”或“否”"),
        ("D7", "assessment_year", "小于 2000：请填写不小于 2000 的整数，单位年"),
        ("D9", "total_assets", "不能为负数"),
        ("D10", "market_share", "请填写百分数的数值"),
    ]:
        assert re.search(rf"问卷!{cell} {field_id}: [^\n]*{re.escape(expected)}", joined), (
            cell,
            joined,
        )
    for message in found:  # no field id, no English word in what the firm reads
        assert not re.search(r"[A-Za-z]{3,}", message.split(": ", 1)[1]), message


def test_required_name_blank(tmp_path: Path) -> None:
    rows = [("name", ""), ("revenue", 100)]
    assert messages(one(form_book(tmp_path / "f.xlsx", rows))) == [
        f"{tmp_path / 'f.xlsx'} › 问卷!D2 name: 企业名称是必填项，不能留空：请填写企业名称"
    ]


def test_field_twice_in_the_form(tmp_path: Path) -> None:
    record = one(form_book(tmp_path / "f.xlsx", [*BASE, ("revenue", 9000)]))
    (message,) = messages(record)
    assert "问卷!D10 revenue: 上年度营业收入出现了两次（这里和 D6）" in message


def test_batch_bad_row_does_not_sink_the_others(tmp_path: Path) -> None:
    ids = ["name", "revenue", "employees", "high_tech_enterprise"]
    path = batch_book(
        tmp_path / "b.xlsx",
        ids,
        [
            ["甲", 1000, 50, "是"],
            ["乙", "约300", 40.5, "否"],
            [],  # a blank row between firms
            ["丙", "2,000", "60", "N"],
            [None, 100, 5, "是"],  # no name
        ],
    )
    records = read_workbook(path)
    assert [r.row for r in records] == [3, 4, 6, 7]
    assert [r.ok for r in records] == [True, False, True, False]
    assert messages(records[1]) == [
        f"{path} › 批量!B4 revenue: 上年度营业收入填的是 “约300”：请填写数字，单位万元，如 1234.5",
        f"{path} › 批量!C4 employees: 从业人员数填的是 40.5，不是整数：请填写整数，单位人",
    ]
    assert messages(records[3]) == [
        f"{path} › 批量!A7 name: 企业名称是必填项，不能留空：请填写企业名称"
    ]
    assert records[2].firm is not None and records[2].firm.get("revenue") == 2000
    assert records[0].where == f"{path} › 批量!3:3"
    assert records[0].firm is not None and records[0].firm.source == records[0].where


def test_batch_reordered_and_extra_columns(tmp_path: Path) -> None:
    ids = ["序号", "revenue", "备注", "name", "rd_institution"]
    path = batch_book(
        tmp_path / "b.xlsx", ids, [[1, 500, "x", "甲", "省级"], [2, 600, "", "乙", "national"]]
    )
    firms = [r.firm for r in read_workbook(path)]
    assert [(f.name, f.get("revenue"), f.get("rd_institution")) for f in firms if f] == [
        ("甲", 500, "provincial"),
        ("乙", 600, "national"),
    ]


def test_batch_with_labels_only(tmp_path: Path) -> None:
    """Someone deleted the id row: the Chinese labels (with units) still find the fields."""
    path = batch_book(
        tmp_path / "b.xlsx",
        ["name", "revenue", "market_share"],
        [["甲", "1,000", "5%"]],
        id_row=False,
    )
    (record,) = read_workbook(path)
    assert record.row == 2 and record.firm is not None
    assert record.firm.get("revenue") == 1000 and record.firm.get("market_share") == 5


def test_batch_unknown_column_with_a_value_is_a_warning(tmp_path: Path) -> None:
    path = batch_book(tmp_path / "b.xlsx", ["name", "revenu"], [["甲", 5], ["乙", None]])
    first, second = read_workbook(path)
    assert any("revenu" in w and "批量!B3" in w for w in first.warnings)
    assert not any("revenu" in w for w in second.warnings)


def test_batch_column_twice_is_refused(tmp_path: Path) -> None:
    path = batch_book(tmp_path / "b.xlsx", ["name", "revenue", "revenue"], [["甲", 1, 2]])
    with pytest.raises(InputError, match=r"批量!C2 revenue: .*出现了两次"):
        read_workbook(path)


def test_batch_without_a_name_column_is_refused(tmp_path: Path) -> None:
    path = batch_book(tmp_path / "b.xlsx", ["revenue", "employees"], [[1, 2]])
    with pytest.raises(InputError, match=r"缺少必填项目“企业名称”这一列"):
        read_workbook(path)


def test_form_and_batch_in_one_workbook(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(
        path,
        ["miit-2022-innovative"],
        form={"name": "甲", "revenue": 1},
        batch=[{"name": "乙"}, {"name": "丙", "employees": 3}],
    )
    records = read_workbook(path)
    assert [(r.sheet, r.row, r.firm.name if r.firm else None) for r in records] == [
        ("问卷", None, "甲"),
        ("批量", 3, "乙"),
        ("批量", 4, "丙"),
    ]


# ---- file-level failures: one line naming the file -----------------------------------------


def refused(path: Path, pattern: str) -> str:
    with pytest.raises(InputError) as info:
        load_records(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path)), message
    assert re.search(pattern, message), message
    return message


def cfb(*streams: str) -> bytes:
    """An OLE compound file header as Excel writes (.xls, or .xlsx with a password)."""
    directory = b"".join(s.encode("utf-16-le").ljust(64, b"\0") + b"\0" * 64 for s in streams)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + directory + b"\0" * 1024


def test_legacy_xls(tmp_path: Path) -> None:
    path = tmp_path / "旧表.xls"
    path.write_bytes(cfb("Root Entry", "Workbook", "SummaryInformation"))
    refused(path, r"Excel 97-2003 格式（\.xls）.*另存为.*\.xlsx")


def test_xls_renamed_to_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(cfb("Root Entry", "Workbook"))
    refused(path, r"97-2003")


def test_password_protected(tmp_path: Path) -> None:
    path = tmp_path / "加密.xlsx"
    path.write_bytes(cfb("Root Entry", "EncryptionInfo", "EncryptedPackage"))
    refused(path, r"工作簿设有密码")


def test_csv(tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_text("name,revenue\n甲,100\n", encoding="utf-8")
    refused(path, r"不读取 CSV 文件")


def test_text_saved_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "firms.xlsx"
    path.write_text("name,revenue\n甲,100\n", encoding="utf-8")
    refused(path, r"是文本文件，不是 Excel 工作簿")


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "junk.xlsx"
    path.write_bytes(bytes(range(256)) * 4)
    refused(path, r"文件已损坏，或不是 Excel 工作簿")


def test_corrupted_zip(tmp_path: Path) -> None:
    good = form_book(tmp_path / "good.xlsx", BASE)
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    refused(path, r"文件已损坏")


def test_zip_entry_corrupted_inside(tmp_path: Path) -> None:
    good = form_book(tmp_path / "good.xlsx", BASE)
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo(SHEET1)
    start = info.header_offset + 30 + len(info.filename.encode()) + 10
    data[start : start + 20] = b"\xff" * 20  # flip bytes of the compressed sheet
    path = tmp_path / "flipped.xlsx"
    path.write_bytes(bytes(data))
    refused(path, r"文件已损坏")


def test_zip_without_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    refused(path, r"不是 Excel 工作簿")


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    path = form_book(tmp_path / "bomb.xlsx", BASE)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/filler.xml", b"\0" * (guard.RATIO_CHECK_FROM + 2**20))
    refused(path, r"已拒绝：xl/media/filler\.xml 解压后放大 \d+ 倍.*压缩炸弹")


def test_zip_bomb_by_total_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "MAX_TOTAL_BYTES", 4096)
    path = form_book(tmp_path / "big.xlsx", BASE)
    refused(path, r"已拒绝：工作簿解压后达.*压缩炸弹")


def test_zip_entry_that_lies_about_its_size(tmp_path: Path) -> None:
    """A bomb can declare a small size; the reader never takes more and the CRC fails."""
    path = form_book(tmp_path / "liar.xlsx", BASE)
    data = bytearray(path.read_bytes())
    name = SHEET1.encode()
    for sig, size_at in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        pos = data.find(sig)
        while pos >= 0:
            name_at = pos + (46 if sig == b"PK\x01\x02" else 30)
            if data[name_at : name_at + len(name)] == name:
                data[pos + size_at : pos + size_at + 4] = struct.pack("<I", 100)
            pos = data.find(sig, pos + 4)
    path.write_bytes(bytes(data))
    refused(path, r"文件已损坏")


def test_xml_bomb_is_refused(tmp_path: Path) -> None:
    path = form_book(tmp_path / "lol.xlsx", BASE)
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    edit_entry(path, "xl/workbook.xml", lambda x: bomb + x.split("?>", 1)[-1])
    refused(path, r"已拒绝：xl/workbook\.xml 声明了 XML 实体")


def test_no_form_or_batch_sheet(tmp_path: Path) -> None:
    path = form_book(tmp_path / "f.xlsx", BASE, title="Sheet1")
    refused(path, r"没有“问卷”或“批量”工作表（现有工作表：Sheet1）")


def test_empty_template(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    write_template(path, ["miit-2022-innovative"])
    refused(path, r"没有企业数据")


def test_missing_file(tmp_path: Path) -> None:
    refused(tmp_path / "nope.xlsx", r"找不到这个文件")


def test_openpyxl_uses_defusedxml() -> None:
    import openpyxl.xml.functions as functions

    assert openpyxl.DEFUSEDXML is True
    assert functions.fromstring.__module__.startswith("defusedxml")


# ---- load_records dispatch -----------------------------------------------------------------


def test_load_records_json_yaml_and_bad_values(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"name": "甲", "revenue": "1,000"}', encoding="utf-8")
    (tmp_path / "b.yaml").write_text("name: 乙\nrevenue: 约300\n", encoding="utf-8")
    (ok,) = load_records(tmp_path / "a.json")
    assert ok.ok and ok.firm is not None and ok.firm.get("revenue") == 1000
    (bad,) = load_records(tmp_path / "b.yaml")
    assert bad.firm is None
    assert [str(p) for p in bad.problems] == [
        f"{tmp_path / 'b.yaml'}:2:10 revenue: 上年度营业收入填的是 “约300”："
        "请填写数字，单位万元，如 1234.5"
    ]


def test_load_records_refuses_other_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    refused(tmp_path / "a.txt", r"企业数据应是 \.json、\.yaml 或 \.xlsx 文件")
    (tmp_path / "b.json").write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="不是有效的 JSON"):
        load_records(tmp_path / "b.json")


def test_load_records_reads_xlsx(tmp_path: Path) -> None:
    path = form_book(tmp_path / "f.xlsx", BASE)
    shutil.copy(path, tmp_path / "g.XLSX")
    for p in (path, tmp_path / "g.XLSX"):
        (record,) = load_records(p)
        assert record.ok and record.sheet == "问卷" and record.row is None


def test_workbook_from_bytes_roundtrip(tmp_path: Path) -> None:
    """openpyxl's in-memory save reads back like a file (what the CLI's tests do)."""
    buffer = io.BytesIO()
    wb = openpyxl.load_workbook(form_book(tmp_path / "f.xlsx", BASE))
    wb.save(buffer)
    (tmp_path / "m.xlsx").write_bytes(buffer.getvalue())
    assert one(tmp_path / "m.xlsx").ok


def test_xml_bomb_in_shared_strings_is_refused(tmp_path: Path) -> None:
    """Parts calamine parses itself are checked too."""
    path = form_book(tmp_path / "lol.xlsx", BASE)
    bomb = '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">]>'
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/sharedStrings.xml", bomb + "<sst/>")
    refused(path, r"已拒绝：xl/sharedStrings\.xml 声明了 XML 实体")


def test_xlsx_saved_with_an_xls_name_is_read(tmp_path: Path) -> None:
    path = form_book(tmp_path / "f.xlsx", BASE)
    renamed = tmp_path / "from-another-system.xls"
    shutil.copy(path, renamed)
    (record,) = load_records(renamed)
    assert record.ok and record.source == str(renamed)
