"""The questionnaire template: 填写说明, 问卷 and 批量 sheets with dropdowns and checks.

`write_template` has three sheets: 填写说明 (what to fill, units, the year convention,
where each figure comes from, the evidence to prepare), 问卷 (one firm: field id in column
A, value in column D) and 批量 (agencies: labels in row 1, field ids in row 2, one firm
per row from row 3).  Both data sheets carry dropdowns and numeric validation.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from assess.errors import InputError
from assess.fields import FIELDS, FIELDS_BY_ID, NUMERIC_TYPES, Field, FieldType, Section
from assess.intake.labels import header_label
from assess.intake.layout import (
    BATCH_FIRST_ROW,
    BATCH_ID_ROW,
    BATCH_LABEL_ROW,
    BATCH_ROWS,
    FORM_HEADER,
    SHEET_BATCH,
    SHEET_FORM,
    SHEET_GUIDE,
    SHEET_LISTS,
)
from assess.intake.places import col_letter
from assess.intake.uses import FieldUse, field_uses
from assess.intake.values import parse_value

# Always in the template, whatever the rubrics read: they identify the firm.
BASIC_FIELDS = (
    "name",
    "credit_code",
    "province",
    "city",
    "assessment_year",
    "main_product",
    "niche_market",
)


def _rubrics(rubric_ids: Sequence[str] | None) -> list[Any]:
    from assess.rubric.loader import builtin_rubrics, get_rubric

    if rubric_ids is None:
        return list(builtin_rubrics().values())
    return [get_rubric(r) for r in rubric_ids]


def template_fields(
    rubric_ids: Sequence[str] | None = None, extra: Iterable[str] = ()
) -> list[Field]:
    """The fields a template asks for, in registry order: the basic ones, every field the
    rubrics read, and `extra`."""
    wanted = set(BASIC_FIELDS) | set(extra)
    for rubric in _rubrics(rubric_ids):
        wanted |= set(rubric.inputs)
    unknown = sorted(wanted - set(FIELDS_BY_ID))
    if unknown:
        raise InputError(f"unknown field(s): {', '.join(unknown)}")
    return [spec for spec in FIELDS if spec.id in wanted]


_GREY = "808080"
_FILL_ID = "F2F2F2"
_FILL_INPUT = "FFF9E5"
_FILL_REQUIRED = "FCE4D6"
_FILL_HEADER = "D9E1F2"
_FILL_SECTION = "E2EFDA"

_NUMBER_FORMATS = {
    FieldType.MONEY: "#,##0.00",
    FieldType.PERCENT: "0.0#",
    FieldType.INT: "0",
    FieldType.NUMBER: "General",
    FieldType.TEXT: "@",
}

GUIDE_NOTES = (
    "本工作簿用于专精特新自评：填好后用 assess 读取，按所选评价标准逐项打分并给出改进建议。",
    "单个企业：只填“问卷”工作表的 D 列（填写值）。A 列是程序识别用的字段ID，请勿修改或删除；"
    "可以插入空行，但不要改动 A 列。",
    "服务机构批量自评：在“批量”工作表第 3 行起每行填一家企业。第 1 行是项目及单位，第 2 行是"
    "字段ID，请勿修改；列的顺序可以调整。",
    "单位：金额一律以“万元”填写（1,234.5 万元填 1234.5；也可写“300万元”或“3,000,000元”，"
    "程序会换算）；比例以百分数填写（12.5% 填 12.5）；人数填“人”，件数填“件”。",
    "年度口径：“评价年度”填自评或申报的年份，如 2026。“上年度”指评价年度的前一年（2025 年），"
    "“前年”指 2024 年，“大前年”指 2023 年；“上年末”指上年度 12 月 31 日。",
    "财务数据以经审计的年度财务报表为准；研发费用以研发费用加计扣除申报表或专项审计报告为准。",
    "是/否项和选项类项目请从下拉列表中选择；也可填 是/否、Y/N、1/0。",
    "不知道或不适用的项目请留空，不要填 0：留空的指标判为“无法判断”并提示补充，"
    "0 是一个真实的数值。",
    "带 * 的项目为必填。",
    "请勿在填写值中使用公式；如果使用，请在 Excel 或 WPS 中计算并保存后再读取。",
)


def write_template(
    path: Path,
    rubric_ids: Sequence[str] | None = None,
    *,
    fields: Iterable[str] = (),
    form: Mapping[str, object] | None = None,
    batch: Sequence[Mapping[str, object]] = (),
) -> None:
    """Write the questionnaire workbook to `path`.

    `rubric_ids`: the rubrics whose inputs it asks for (default: every bundled rubric);
    `fields`: more field ids to ask for besides those.  `form` prefills column D of 问卷
    and `batch` the rows of 批量 (field id → value, as in firm JSON); the fields they use
    are always in the template.
    """
    from openpyxl import Workbook

    from assess.atomic import write_bytes

    rubrics = _rubrics(rubric_ids)
    used = set(fields) | set(form or {}) | {k for firm in batch for k in firm}
    specs = (
        template_fields([r.id for r in rubrics], used)
        if rubric_ids is not None
        else template_fields(None, used)
    )
    uses = field_uses(rubrics)
    wb = Workbook()
    guide = wb.active
    guide.title = SHEET_GUIDE
    form_ws = wb.create_sheet(SHEET_FORM)
    batch_ws = wb.create_sheet(SHEET_BATCH)
    lists = _Lists(wb)
    _write_guide(guide, specs, uses, rubrics)
    _write_form(form_ws, specs, lists, form or {})
    _write_batch(batch_ws, specs, lists, batch)
    wb.active = 0
    buffer = io.BytesIO()
    wb.save(buffer)
    write_bytes(Path(path), buffer.getvalue())
    # The atomic writer's temp file is private (0600); a template is an ordinary document.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


class _Lists:
    """Dropdown sources: inline when short enough for Excel (255 characters, no commas),
    else a column of the hidden 选项 sheet."""

    def __init__(self, wb: Any):
        self.wb = wb
        self.sheet: Any = None
        self.refs: dict[str, str] = {}

    def formula(self, spec: Field) -> str:
        labels = _choice_labels(spec)
        inline = ",".join(labels)
        if len(inline) <= 250 and not any("," in x or '"' in x for x in labels):
            return f'"{inline}"'
        if spec.id not in self.refs:
            if self.sheet is None:
                self.sheet = self.wb.create_sheet(SHEET_LISTS)
                self.sheet.sheet_state = "hidden"
            col = len(self.refs) + 1
            for i, label in enumerate(labels, start=1):
                self.sheet.cell(i, col, label)
            letter = col_letter(col - 1)
            self.refs[spec.id] = f"'{SHEET_LISTS}'!${letter}$1:${letter}${len(labels)}"
        return self.refs[spec.id]


def _choice_labels(spec: Field) -> list[str]:
    if spec.type is FieldType.BOOL:
        return ["是", "否"]
    return [label for _, label in spec.choices]


def _validation(spec: Field, lists: _Lists) -> Any:
    """The data validation for a field's input cells, or None for free text."""
    from openpyxl.worksheet.datavalidation import DataValidation

    title = spec.label[:32]
    if spec.type in (FieldType.BOOL, FieldType.ENUM):
        dv = DataValidation(type="list", formula1=lists.formula(spec), allow_blank=True)
        dv.error = "请从下拉列表中选择。"
        prompt = "请从下拉列表中选择"
    elif spec.type in NUMERIC_TYPES:
        low: int | None = (
            spec.minimum if spec.minimum is not None else (None if spec.negative_ok else 0)
        )
        high: int | None = spec.maximum
        if spec.type is FieldType.PERCENT and high is None:
            high = 100
        kind = "whole" if spec.type is FieldType.INT else "decimal"
        if low is not None and high is not None:
            dv = DataValidation(
                type=kind,
                operator="between",
                formula1=str(low),
                formula2=str(high),
                allow_blank=True,
            )
            rule = f"{low} 到 {high} 之间的"
        elif low is not None:
            dv = DataValidation(
                type=kind, operator="greaterThanOrEqual", formula1=str(low), allow_blank=True
            )
            rule = f"不小于 {low} 的"
        else:
            dv = DataValidation(
                type=kind,
                operator="between",
                formula1="-999999999",
                formula2="999999999",
                allow_blank=True,
            )
            rule = "（可为负数）"
        what = "整数" if spec.type is FieldType.INT else "数字"
        unit = f"，单位：{spec.unit}" if spec.unit else ""
        dv.error = f"请填写{rule}{what}{unit}。"
        prompt = {
            FieldType.MONEY: "单位：万元，填数字，如 1234.5",
            FieldType.PERCENT: "填百分数的数值：12.5% 填 12.5",
        }.get(spec.type, f"填{what}{unit}")
    elif spec.id == "credit_code":
        dv = DataValidation(type="textLength", operator="equal", formula1="18", allow_blank=True)
        dv.error = "统一社会信用代码为 18 位。"
        prompt = "18 位统一社会信用代码，见营业执照"
    elif spec.type is FieldType.TEXT:
        # The reader refuses longer text with the same limit (fields.Field.text_limit).
        limit = spec.text_limit
        dv = DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1=str(limit), allow_blank=True
        )
        dv.error = f"请填写不超过 {limit} 个字符。"
        prompt = f"不超过 {limit} 个字符"
    else:
        return None
    if spec.help and spec.id != "credit_code":
        prompt = f"{prompt}。{spec.help}"
    dv.errorTitle = "填写有误"
    dv.errorStyle = "stop"
    dv.showErrorMessage = True
    dv.promptTitle = title
    dv.prompt = prompt[:250]
    dv.showInputMessage = True
    return dv


def _style() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="BFBFBF")

    def fill(color: str) -> PatternFill:
        return PatternFill("solid", start_color=color, end_color=color)

    return {
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="center"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "middle": Alignment(vertical="center"),
        "bold": Font(bold=True),
        "title": Font(bold=True, size=14),
        "grey": Font(color=_GREY, size=9),
        "required": Font(bold=True, color="C00000"),
        "fill_id": fill(_FILL_ID),
        "fill_input": fill(_FILL_INPUT),
        "fill_required": fill(_FILL_REQUIRED),
        "fill_header": fill(_FILL_HEADER),
        "fill_section": fill(_FILL_SECTION),
    }


def _print_setup(ws: Any, landscape: bool, title_rows: str) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _help_text(spec: Field) -> str:
    parts = []
    if spec.required:
        parts.append("必填")
    if spec.help:
        parts.append(spec.help)
    if spec.source:
        parts.append(f"来源：{spec.source}")
    return "；".join(parts)


def _lines(text: str, per_line: int) -> int:
    """Lines a wrapped cell needs, for row heights (openpyxl cannot measure text)."""
    return max(1, -(-len(text) // per_line))


def _first(items: list[str], n: int) -> str:
    shown = "；".join(items[:n])
    return f"{shown} 等 {len(items)} 项" if len(items) > n else shown


def _write_guide(
    ws: Any, specs: list[Field], uses: dict[str, FieldUse], rubrics: Sequence[Any]
) -> None:
    st = _style()
    widths = {"A": 22, "B": 34, "C": 8, "D": 34, "E": 44, "F": 40}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    ws["A1"] = "专精特新自评问卷 填写说明"
    ws["A1"].font = st["title"]
    row = 2
    if rubrics:
        ws.cell(row, 1, "评价标准：" + "；".join(r.title.zh for r in rubrics))
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
        row += 1
    row += 1
    for i, note in enumerate(GUIDE_NOTES, start=1):
        cell = ws.cell(row, 1, f"{i}. {note}")
        cell.alignment = st["wrap"]
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
        ws.row_dimensions[row].height = 16 * _lines(note, 95)
        row += 1
    row += 1
    ws.cell(row, 1, "各项目的数据来源和需准备的证明材料").font = st["bold"]
    row += 1
    heads = ("字段ID", "项目", "单位", "数据来源", "需准备的证明材料", "用于评分")
    for col, text in enumerate(heads, start=1):
        cell = ws.cell(row, col, text)
        cell.font, cell.fill, cell.border = st["bold"], st["fill_header"], st["border"]
        cell.alignment = st["center"]
    header_row = row
    row += 1
    all_evidence: list[str] = []
    for spec in specs:
        use = uses.get(spec.id, FieldUse())
        for item in use.evidence:
            if item not in all_evidence:
                all_evidence.append(item)
        cells = (
            spec.id,
            ("* " if spec.required else "") + spec.label,
            spec.unit,
            spec.source or "—",
            "；".join(use.evidence) or "—",
            _first(use.used_by, 4) or "企业基本信息",
        )
        for col, text in enumerate(cells, start=1):
            cell = ws.cell(row, col, text)
            cell.alignment, cell.border = st["wrap"], st["border"]
        ws.cell(row, 1).font = st["grey"]
        ws.row_dimensions[row].height = 15 * max(
            _lines(cells[1], 17), _lines(cells[3], 17), _lines(cells[4], 22), _lines(cells[5], 20)
        )
        row += 1
    row += 1
    ws.cell(row, 1, "证明材料清单（汇总）").font = st["bold"]
    row += 1
    for i, item in enumerate(all_evidence, start=1):
        ws.cell(row, 1, f"{i}. {item}")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
        row += 1
    _print_setup(ws, landscape=False, title_rows=f"{header_row}:{header_row}")


def cell_value(spec: Field, raw: object) -> object:
    """What to type in a cell for a value: 是/否, a dropdown label, a number."""
    value = parse_value(spec, raw)
    if value is None:
        return None
    if spec.type is FieldType.BOOL:
        return "是" if value else "否"
    if spec.type is FieldType.ENUM:
        return spec.choice_label(str(value))
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _write_form(ws: Any, specs: list[Field], lists: _Lists, values: Mapping[str, object]) -> None:
    st = _style()
    for col, text in enumerate(FORM_HEADER, start=1):
        cell = ws.cell(1, col, text)
        cell.font, cell.fill, cell.border = st["bold"], st["fill_header"], st["border"]
        cell.alignment = st["center"]
    for letter, width in {"A": 22, "B": 40, "C": 7, "D": 24, "E": 56}.items():
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    row = 2
    for section in Section:
        members = [s for s in specs if s.section is section]
        if not members:
            continue
        ws.cell(row, 2, section.value).font = st["bold"]
        for col in range(1, 6):
            ws.cell(row, col).fill = st["fill_section"]
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
        row += 1
        for spec in members:
            a = ws.cell(row, 1, spec.id)
            a.font, a.fill = st["grey"], st["fill_id"]
            b = ws.cell(row, 2, ("* " if spec.required else "") + spec.label)
            b.alignment = st["wrap"]
            if spec.required:
                b.font = st["required"]
            a.alignment = st["wrap"]
            ws.cell(row, 3, spec.unit).alignment = st["center"]
            d = ws.cell(row, 4, cell_value(spec, values.get(spec.id)))
            d.fill = st["fill_required"] if spec.required else st["fill_input"]
            d.number_format = _NUMBER_FORMATS.get(spec.type, "General")
            d.alignment = st["middle"]
            e = ws.cell(row, 5, _help_text(spec))
            e.alignment = st["wrap"]
            e.font = st["grey"]
            for col in range(1, 6):
                ws.cell(row, col).border = st["border"]
            dv = _validation(spec, lists)
            if dv is not None:
                ws.add_data_validation(dv)
                dv.add(f"D{row}")
            ws.row_dimensions[row].height = 14 * max(_lines(b.value, 19), _lines(e.value or "", 32))
            row += 1
    _print_setup(ws, landscape=False, title_rows="1:1")


def _write_batch(
    ws: Any, specs: list[Field], lists: _Lists, firms: Sequence[Mapping[str, object]]
) -> None:
    st = _style()
    last = BATCH_FIRST_ROW + BATCH_ROWS - 1
    for col, spec in enumerate(specs, start=1):
        letter = col_letter(col - 1)
        head = ws.cell(BATCH_LABEL_ROW, col, header_label(spec))
        head.font = st["required"] if spec.required else st["bold"]
        head.fill, head.border, head.alignment = st["fill_header"], st["border"], st["center"]
        ident = ws.cell(BATCH_ID_ROW, col, spec.id)
        ident.font, ident.fill, ident.border = st["grey"], st["fill_id"], st["border"]
        ws.column_dimensions[letter].width = max(12, min(28, len(spec.label) * 1.2 + 2))
        dv = _validation(spec, lists)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{letter}{BATCH_FIRST_ROW}:{letter}{last}")
        fmt = _NUMBER_FORMATS.get(spec.type, "General")
        if fmt != "General":
            # A column style: new cells typed anywhere in it take the format.
            ws.column_dimensions[letter].number_format = fmt
    for r, firm in enumerate(firms, start=BATCH_FIRST_ROW):
        for col, spec in enumerate(specs, start=1):
            value = cell_value(spec, firm.get(spec.id))
            if value is not None:
                ws.cell(r, col, value).number_format = _NUMBER_FORMATS.get(spec.type, "General")
    ws.row_dimensions[BATCH_LABEL_ROW].height = 48
    ws.freeze_panes = "B3"
    _print_setup(ws, landscape=True, title_rows=f"{BATCH_LABEL_ROW}:{BATCH_ID_ROW}")
    ws.page_setup.fitToWidth = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = False
