"""The Excel questionnaire: write the template, read filled workbooks back.

The template (`write_template`) has three sheets: 填写说明 (what to fill, units, the year
convention, where each figure comes from, the evidence to prepare), 问卷 (one firm: field id
in column A, value in column D) and 批量 (agencies: labels in row 1, field ids in row 2, one
firm per row from row 3).  Both data sheets carry dropdowns and numeric validation.

Reading (`read_workbook`) is built for agencies' large 批量 files and for what people really
type.  The cell values come from python-calamine (about six times faster than openpyxl);
what calamine cannot tell us is read from the sheet XML directly, in the same pass that
guards against zip bombs:

* a formula cell without a saved result, or with an error result (calamine gives "" for
  both), is an error naming the cell;
* a cell formatted as a percentage holds 0.124 for "12.4%": in a percent field it becomes
  12.4, as the user meant.

File-level failures (.xls, .csv, password protection, a damaged file, a zip bomb, no 问卷
or 批量 sheet) raise `InputError` with one line naming the file; a firm's bad values are
`Problem`s on its `Record`, every one of them at once, each naming
`file › sheet!cell (field id)`.
"""

from __future__ import annotations

import os
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import Any
from xml.sax.saxutils import unescape

from assess.errors import InputError, Problem
from assess.fields import FIELDS, FIELDS_BY_ID, NUMERIC_TYPES, Field, FieldType, Section
from assess.intake import EXCEL_SUFFIXES
from assess.intake.firm import Record, make_firm
from assess.intake.values import FieldValue, ValueProblem, parse_value

SHEET_GUIDE = "填写说明"
SHEET_FORM = "问卷"
SHEET_BATCH = "批量"
SHEET_LISTS = "选项"  # hidden; only for dropdown lists too long to write inline
FORM_HEADER = ("字段ID", "项目", "单位", "填写值", "说明")
FORM_ID_COL, FORM_LABEL_COL, FORM_VALUE_COL = 0, 1, 3  # A, B, D
BATCH_LABEL_ROW, BATCH_ID_ROW, BATCH_FIRST_ROW = 1, 2, 3
BATCH_ROWS = 5000  # rows of the 批量 sheet that carry validation

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

# Zip-bomb guard: an agency's 20,000-firm workbook expands to about 40 MB of XML, and real
# xlsx parts compress 5–20 times; a bomb expands hundreds of times.
MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 256 * 2**20
MAX_RATIO = 200
RATIO_CHECK_FROM = 8 * 2**20  # small parts may compress well; only large ones are checked

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: .xls or encrypted .xlsx
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")


# ---- fields ------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u00a0", "").strip()


_UNIT_SUFFIX = re.compile(r"\([^()]*\)$")


def _label_key(text: str) -> str:
    return _norm(text).lstrip("*").rstrip("*")


def _build_labels() -> dict[str, Field]:
    out: dict[str, Field] = {}
    for spec in FIELDS:
        for label in (spec.label, *spec.aliases):
            out.setdefault(_label_key(label), spec)
    return out


_LABELS = _build_labels()


def field_by_label(text: str) -> Field | None:
    """The field a Chinese header names: `* 上年度营业收入(万元)` → revenue."""
    key = _label_key(text)
    spec = _LABELS.get(key)
    if spec is None and key.endswith(")"):
        spec = _LABELS.get(_UNIT_SUFFIX.sub("", key))  # drop a unit: "(万元)", "(%)"
    return spec


def _header_label(spec: Field) -> str:
    """`* 企业名称`, `上年度营业收入(万元)`: the 批量 sheet's row 1."""
    star = "* " if spec.required else ""
    unit = f"({spec.unit})" if spec.unit else ""
    return f"{star}{spec.label}{unit}"


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


@dataclass
class _Use:
    """What a field is used for: the indicators and conditions, and their evidence."""

    used_by: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    def add(self, title: str, evidence: Iterable[str]) -> None:
        if title not in self.used_by:
            self.used_by.append(title)
        for item in evidence:
            if item not in self.evidence:
                self.evidence.append(item)


def field_uses(rubrics: Sequence[Any]) -> dict[str, _Use]:
    """Field id → the indicators/conditions that read it and the evidence they ask for."""
    from assess.rubric import models as m

    uses: dict[str, _Use] = {}

    def resolve(names: Iterable[str], metrics: dict[str, Any]) -> set[str]:
        out: set[str] = set()
        todo, seen = list(names), set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in metrics:
                todo.extend(metrics[name].expr.names)
            elif name == "size_class":
                out |= {"industry", "employees", "revenue", "total_assets"}
            elif name in FIELDS_BY_ID:
                out.add(name)
        return out

    def score_names(score: Any) -> set[str]:
        if isinstance(score, m.BandsScore | m.SteppedScore):
            return {score.metric}
        if isinstance(score, m.BestOfScore):
            return {o.metric for o in score.options}
        if isinstance(score, m.TiersScore):
            return set().union(*(t.when.names for t in score.tiers))
        if isinstance(score, m.ItemsScore):
            return set().union(*(i.when.names for i in score.items))
        if isinstance(score, m.EnumScore):
            return {score.field}
        if isinstance(score, m.LocalScore):
            return {n for n in (score.selector, score.override) if n}
        return set()

    def note(ids: set[str], title: str, evidence: Iterable[str]) -> None:
        items = list(evidence)
        for fid in ids:
            uses.setdefault(fid, _Use()).add(title, items)

    for rubric in rubrics:
        metrics = {x.id: x for x in rubric.metrics}
        for ind in rubric.indicators:
            # Titles without ids: the same indicator in several rubrics is listed once.
            note(resolve(score_names(ind.score), metrics), ind.title.zh, ind.evidence)
            if isinstance(ind.score, m.LocalScore):
                for block in ind.score.blocks:
                    for part in block.parts:
                        note(
                            resolve(score_names(part.score), metrics),
                            f"{block.province}：{part.title.zh}",
                            part.evidence or ind.evidence,
                        )
        for cond in rubric.conditions:
            names = set().union(*(c.when.names for c in cond.require))
            note(resolve(names, metrics), cond.title.zh, cond.evidence)
    return uses


# ---- writing the template ----------------------------------------------------------------

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
    import io

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
            from openpyxl.utils import get_column_letter

            if self.sheet is None:
                self.sheet = self.wb.create_sheet(SHEET_LISTS)
                self.sheet.sheet_state = "hidden"
            col = len(self.refs) + 1
            for i, label in enumerate(labels, start=1):
                self.sheet.cell(i, col, label)
            letter = get_column_letter(col)
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
    ws: Any, specs: list[Field], uses: dict[str, _Use], rubrics: Sequence[Any]
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
        use = uses.get(spec.id, _Use())
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
    from openpyxl.utils import get_column_letter

    st = _style()
    last = BATCH_FIRST_ROW + BATCH_ROWS - 1
    for col, spec in enumerate(specs, start=1):
        letter = get_column_letter(col)
        head = ws.cell(BATCH_LABEL_ROW, col, _header_label(spec))
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


# ---- reading: file-level checks ----------------------------------------------------------


def _fail(source: str, message: str) -> InputError:
    return InputError(f"{source}: {message}")


def _sniff(path: Path, source: str) -> None:
    """Refuse, with one line, what is not an .xlsx workbook."""
    if not path.exists():
        raise _fail(source, "no such file")
    if not path.is_file():
        raise _fail(source, "is a folder, not a workbook")
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise _fail(source, f"cannot read: {exc.strerror or exc}") from None
    suffix = path.suffix.lower()
    if head.startswith(_CFB_MAGIC):
        if _is_encrypted(path):
            raise _fail(
                source,
                "the workbook is password-protected; open it in Excel or WPS, "
                "remove the password (文件 › 信息 › 保护工作簿) and save again "
                "as .xlsx",
            )
        raise _fail(
            source,
            "is in the old Excel 97-2003 format (.xls); open it in Excel or "
            "WPS and save it as an Excel 工作簿 (.xlsx)",
        )
    if suffix == ".csv":
        raise _fail(
            source,
            "CSV is not read; fill the Excel template (问卷 or 批量 sheet) and save it as .xlsx",
        )
    if suffix == ".ods":
        raise _fail(source, "OpenDocument spreadsheets are not read; save it as .xlsx")
    if not head.startswith(b"PK"):
        if suffix in (".xls", ".et"):
            raise _fail(
                source,
                f"is not a real {suffix} file (an export from another "
                "system?); open it in Excel or WPS and save it as .xlsx",
            )
        if head and _looks_like_text(head):
            raise _fail(
                source,
                "is a text file, not an Excel workbook; open it in Excel or "
                "WPS and save it as .xlsx",
            )
        raise _fail(source, "is damaged or not an Excel workbook (not a valid .xlsx file)")


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head.decode("gb18030")
        except UnicodeDecodeError:
            return False
    return all(c.isprintable() or c in "\r\n\t" for c in text[:512])


def _is_encrypted(path: Path) -> bool:
    """An OLE file holding an `EncryptionInfo` stream is an encrypted OOXML workbook."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        data = fh.read(min(size, 64 * 2**20))
    return _ENCRYPTION_INFO in data


@dataclass
class _Book:
    """What the zip holds that calamine does not tell: per sheet XML facts."""

    source: str
    sheet_paths: dict[str, str]  # sheet name -> zip entry
    percent_xfs: frozenset[int]  # cell style indices whose number format shows a %
    xml: dict[str, bytes] = field(default_factory=dict)  # sheet name -> its XML


def _guard_zip(zf: zipfile.ZipFile, source: str) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _fail(source, f"refused: the workbook has {len(infos)} parts (a zip bomb?)")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _fail(
                source, "the workbook is encrypted; remove the password and save again as .xlsx"
            )
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_FROM and ratio > MAX_RATIO:
            raise _fail(
                source,
                f"refused: {info.filename} expands {ratio:.0f} times to "
                f"{info.file_size / 2**20:.0f} MB (a zip bomb?)",
            )
    if total > MAX_TOTAL_BYTES:
        raise _fail(
            source,
            f"refused: the workbook expands to {total / 2**20:.0f} MB, more "
            f"than {MAX_TOTAL_BYTES // 2**20} MB (a zip bomb?); split it",
        )


def _read_entry(zf: zipfile.ZipFile, name: str, source: str) -> bytes:
    """An entry's bytes, never more than its declared size (the CRC check catches an entry
    that lies about it)."""
    try:
        with zf.open(name) as fh:
            data = fh.read(MAX_TOTAL_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        raise _fail(source, f"is damaged ({name}: {exc})") from None
    # No part of a real workbook has a DTD; one that does may define entities that expand
    # (an XML bomb), and calamine, not defusedxml, would parse the parts we do not.
    if name.endswith((".xml", ".rels")) and b"<!DOCTYPE" in data[:2048].upper():
        raise _fail(source, f"refused: {name} declares XML entities (an XML bomb?)")
    return data


def _xml(data: bytes, source: str, name: str) -> Any:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        return ElementTree.fromstring(data)
    except DefusedXmlException:
        raise _fail(source, f"refused: {name} declares XML entities (an XML bomb?)") from None
    except Exception:
        raise _fail(source, f"is damaged ({name} is not valid XML)") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(elem: Any, name: str) -> str | None:
    for key, value in elem.attrib.items():
        if _local(key) == name:
            return str(value)
    return None


def _open_zip(path: Path, source: str) -> _Book:
    """Check the zip, find the sheets, read the 问卷/批量 sheets' XML and the styles."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _fail(source, f"is damaged or not an Excel workbook ({exc})") from None
    with zf:
        _guard_zip(zf, source)
        names = set(zf.namelist())
        if "xl/workbook.xml" not in names:
            raise _fail(source, "is not an Excel workbook (no xl/workbook.xml inside)")
        book = _xml(_read_entry(zf, "xl/workbook.xml", source), source, "xl/workbook.xml")
        targets: dict[str, str] = {}
        rels_name = "xl/_rels/workbook.xml.rels"
        if rels_name in names:
            rels = _xml(_read_entry(zf, rels_name, source), source, rels_name)
            for rel in rels.iter():
                rid, target = rel.get("Id"), rel.get("Target")
                if rid and target:
                    target = target.lstrip("/")
                    targets[rid] = target if target.startswith("xl/") else f"xl/{target}"
        paths: dict[str, str] = {}
        for elem in book.iter():
            if _local(elem.tag) == "sheet":
                name, rid = elem.get("name"), _attr(elem, "id")
                if name and rid and rid in targets:
                    paths[name] = targets[rid]
        percent: frozenset[int] = frozenset()
        if "xl/styles.xml" in names:
            percent = _percent_styles(
                _xml(_read_entry(zf, "xl/styles.xml", source), source, "xl/styles.xml")
            )
        result = _Book(source, paths, percent)
        for sheet in (_find_sheet(paths, SHEET_FORM), _find_sheet(paths, SHEET_BATCH)):
            entry = paths.get(sheet or "")
            if sheet is None:
                continue
            if entry is not None and entry in names:
                result.xml[sheet] = _read_entry(zf, entry, source)
        # Every other part calamine may read: a part that lies about its size fails its CRC.
        for name in names:
            if name.endswith((".xml", ".rels")) and "worksheets/" not in name:
                _read_entry(zf, name, source)
    return result


def _percent_styles(styles: Any) -> frozenset[int]:
    custom: dict[str, str] = {}
    xfs: list[str] = []
    for elem in styles.iter():
        tag = _local(elem.tag)
        if tag == "numFmt":
            custom[elem.get("numFmtId", "")] = elem.get("formatCode", "")
        elif tag == "cellXfs":
            xfs = [x.get("numFmtId", "0") for x in elem if _local(x.tag) == "xf"]
    out = set()
    for i, fmt_id in enumerate(xfs):
        code = custom.get(fmt_id, "")
        if fmt_id in ("9", "10") or "%" in re.sub(r'"[^"]*"|\\.', "", code):
            out.add(i)
    return frozenset(out)


# ---- reading: cells calamine cannot describe ---------------------------------------------

_F_TAG = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")
_C_START = re.compile(rb"<(?:[\w.-]+:)?c[\s>/]")
_C_END = re.compile(rb"</(?:[\w.-]+:)?c>")
_V_TEXT = re.compile(rb"<(?:[\w.-]+:)?v(?:\s[^>]*)?>([^<]*)</")
_F_TEXT = re.compile(rb"<(?:[\w.-]+:)?f(?:\s[^>]*)?>([^<]*)</")
_ATTR_R = re.compile(rb'\sr="([A-Z]+)(\d+)"')
_ATTR_T = re.compile(rb'\st="(\w+)"')
_ATTR_S = re.compile(rb'\ss="(\d+)"')
_ERROR_T = re.compile(rb'\st="e"')


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def col_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


class _NoCellRefs(Exception):
    """A sheet whose cells do not carry their `r` address: the slow path reads it."""


def scan_bad_cells(xml: bytes) -> dict[tuple[int, int], str]:
    """(row, column) from 0 → why the cell's value cannot be used: a formula without a
    saved result, or an error result such as #DIV/0!."""
    hits = sorted(
        {m.start() for m in _F_TAG.finditer(xml)} | {m.start() for m in _ERROR_T.finditer(xml)}
    )
    bad: dict[tuple[int, int], str] = {}
    done_until = -1
    for pos in hits:
        if pos < done_until:
            continue  # inside a cell already seen
        window_from = max(0, pos - 2000)
        starts = list(_C_START.finditer(xml, window_from, pos + 1))
        if not starts:
            continue
        start = starts[-1].start()
        tag_end = xml.find(b">", start)
        end_match = _C_END.search(xml, pos)
        if tag_end < 0:
            continue
        if xml[tag_end - 1 : tag_end] == b"/":
            end = tag_end + 1
        else:
            end = end_match.end() if end_match else len(xml)
        done_until = end
        tag, body = xml[start : tag_end + 1], xml[tag_end + 1 : end]
        ref = _ATTR_R.search(tag)
        if ref is None:
            raise _NoCellRefs
        where = (int(ref.group(2)) - 1, _col_index(ref.group(1).decode()))
        kind = _ATTR_T.search(tag)
        cell_type = kind.group(1).decode() if kind else "n"
        value = _V_TEXT.search(body)
        formula = _F_TEXT.search(body)
        shown = (
            f" ={unescape(formula.group(1).decode('utf-8', 'replace'))}"
            if formula and formula.group(1)
            else ""
        )
        if cell_type == "e":
            error = value.group(1).decode() if value else "#VALUE!"
            origin = f" from the formula{shown}" if shown else ""
            bad[where] = f"the cell holds the error {error}{origin}"
        elif _F_TAG.search(body) and (value is None or (not value.group(1) and cell_type != "str")):
            bad[where] = (
                f"the formula{shown} has no saved result; open the file in Excel or "
                "WPS, let it calculate and save it, or type the number"
            )
    return bad


def _scan_with_openpyxl(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """The slow path for the rare sheet without cell addresses."""
    import openpyxl

    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    bad: dict[tuple[int, int], str] = {}
    try:
        for row_f, row_v in zip(
            formulas[sheet].iter_rows(), values[sheet].iter_rows(), strict=False
        ):
            for cf, cv in zip(row_f, row_v, strict=False):
                where = (getattr(cf, "row", 0) - 1, getattr(cf, "column", 0) - 1)
                if getattr(cv, "data_type", "") == "e":
                    bad[where] = f"the cell holds the error {cv.value}"
                elif getattr(cf, "data_type", "") == "f" and cv.value is None:
                    bad[where] = (
                        f"the formula {cf.value} has no saved result; open the file "
                        "in Excel or WPS, let it calculate and save it, or type the "
                        "number"
                    )
    finally:
        formulas.close()
        values.close()
    return bad


def percent_rows(xml: bytes, letter: str, xfs: frozenset[int]) -> set[int]:
    """Rows (from 0) where column `letter` has a percentage number format."""
    if not xfs:
        return set()
    rows: set[int] = set()
    for m in re.finditer(rb'\sr="' + letter.encode() + rb'(\d+)"', xml):
        tag_start = xml.rfind(b"<", 0, m.start())
        tag_end = xml.find(b">", m.end())
        style = _ATTR_S.search(xml, tag_start, tag_end)
        if style and int(style.group(1)) in xfs:
            rows.add(int(m.group(1)) - 1)
    return rows


# ---- reading: sheets ---------------------------------------------------------------------


@dataclass
class _Sheet:
    name: str
    place: str  # "申报表.xlsx › 问卷"
    rows: Iterator[tuple[int, list[Any]]]  # (row from 0, values from column A)
    bad: dict[tuple[int, int], str]
    xml: bytes
    percent_xfs: frozenset[int]

    def ref(self, row: int, col: int) -> str:
        return f"{self.place}!{col_letter(col)}{row + 1}"


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    start = sheet.start
    if start is None:
        return
    r0, c0 = start
    pad = [""] * c0
    for i, row in enumerate(sheet.iter_rows()):
        yield r0 + i, (pad + row if c0 else row)


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


class _Reader:
    """Reads one value cell of one field, collecting problems in the record's format."""

    def __init__(self, sheet: _Sheet):
        self.sheet = sheet
        self.problems: list[Problem] = []
        self.values: dict[str, FieldValue] = {}

    def cell(self, spec: Field, row: int, col: int, raw: object, percent: bool) -> bool:
        """Parse one cell; True when it held something (a value or a problem)."""
        why = self.sheet.bad.get((row, col)) if self.sheet.bad else None
        if why is not None:
            self.problems.append(Problem(self.sheet.ref(row, col), f"({spec.id})", why))
            return True
        if raw == "" or raw is None:
            return False
        if percent and isinstance(raw, float):
            raw = Decimal(repr(raw)).scaleb(2)  # 0.124 shown as 12.4% means 12.4
        try:
            value = parse_value(spec, raw)
        except ValueProblem as exc:
            self.problems.append(Problem(self.sheet.ref(row, col), f"({spec.id})", str(exc)))
            return True
        if value is None:
            return False
        self.values[spec.id] = value
        return True


def _form_layout(rows: list[tuple[int, list[Any]]]) -> tuple[int, int, int, int]:
    """(first row after the header, id column, label column, value column)."""
    heads = {_norm(h): i for i, h in enumerate(FORM_HEADER)}
    for index, (_, row) in enumerate(rows[:30]):
        found = {
            heads[_norm(c)]: ci
            for ci, c in enumerate(row)
            if isinstance(c, str) and _norm(c) in heads
        }
        if FORM_VALUE_COL in found or len(found) >= 2:
            return (
                index + 1,
                found.get(0, FORM_ID_COL),
                found.get(1, FORM_LABEL_COL),
                found.get(FORM_VALUE_COL, FORM_VALUE_COL),
            )
    return 0, FORM_ID_COL, FORM_LABEL_COL, FORM_VALUE_COL


def _at(row: list[Any], col: int) -> Any:
    return row[col] if col < len(row) else ""


def _read_form(sheet: _Sheet, source: str) -> Record | None:
    rows = list(sheet.rows)
    first, id_col, label_col, value_col = _form_layout(rows)
    reader = _Reader(sheet)
    seen: dict[str, str] = {}
    warnings: list[str] = []
    held = False
    percent = _percent_cells(sheet, value_col)
    for r, row in rows[first:]:
        key = _at(row, id_col)
        spec = FIELDS_BY_ID.get(key.strip()) if isinstance(key, str) else None
        if spec is None:
            label = _at(row, label_col)
            spec = field_by_label(label) if isinstance(label, str) and label.strip() else None
        raw = _at(row, value_col)
        if spec is None:
            if isinstance(key, str) and _IDENT.match(key.strip()) and not _blank(raw):
                warnings.append(
                    f"未知字段 {key.strip()!r}（{sheet.name}!{col_letter(id_col)}{r + 1}）已忽略"
                )
            continue
        ref = sheet.ref(r, value_col)
        if spec.id in seen:
            first_at = seen[spec.id].rsplit("!", 1)[-1]
            reader.problems.append(
                Problem(
                    ref,
                    f"({spec.id})",
                    f"{spec.label} appears twice, here and at {first_at}; keep one row",
                )
            )
            continue
        seen[spec.id] = ref
        held |= reader.cell(
            spec, r, value_col, raw, spec.type is FieldType.PERCENT and r in percent
        )
    if not held:
        return None
    for spec in FIELDS:
        if (
            spec.required
            and spec.id not in reader.values
            and spec.id not in {p.path.strip("()") for p in reader.problems}
        ):
            where = seen.get(spec.id, sheet.place)
            reader.problems.append(
                Problem(where, f"({spec.id})", f"expected {spec.label} (required), got blank")
            )
    return _record(source, sheet, None, reader, warnings)


def _percent_cells(sheet: _Sheet, col: int) -> set[int]:
    if not sheet.percent_xfs:
        return set()
    return percent_rows(sheet.xml, col_letter(col), sheet.percent_xfs)


def _record(
    source: str, sheet: _Sheet, row: int | None, reader: _Reader, warnings: list[str]
) -> Record:
    place = sheet.place if row is None else f"{sheet.place}!{row}:{row}"
    if reader.problems:
        return Record(source, row, None, tuple(reader.problems), sheet.name)
    firm = make_firm(reader.values, place, tuple(warnings))
    return Record(source, row, firm, (), sheet.name)


def _batch_layout(
    head: list[tuple[int, list[Any]]], sheet: _Sheet
) -> tuple[int, list[tuple[int, Field]], dict[int, str]]:
    """(first data row index in `head` terms, [(column, field)], {column: unknown id})."""
    id_at: int | None = None
    label_at: int | None = None
    for index, (_, row) in enumerate(head):
        texts = [c.strip() for c in row if isinstance(c, str) and c.strip()]
        ids = sum(1 for c in texts if c in FIELDS_BY_ID)
        if ids >= 2 or (ids and all(_IDENT.match(c) for c in texts)):
            id_at = index
            break
        labels = sum(1 for c in row if isinstance(c, str) and c.strip() and field_by_label(c))
        if labels >= 2 and label_at is None:
            label_at = index
    if id_at is None and label_at is None:
        raise _fail(
            sheet.place,
            f"no header row: row {BATCH_ID_ROW} should hold the field "
            f"ids (or row {BATCH_LABEL_ROW} the 项目 labels) as in the "
            "template",
        )
    if id_at is not None and id_at > 0 and label_at is None:
        label_at = id_at - 1
    ids_row = head[id_at][1] if id_at is not None else []
    labels_row = head[label_at][1] if label_at is not None else []
    columns: list[tuple[int, Field]] = []
    unknown: dict[int, str] = {}
    for col in range(max(len(ids_row), len(labels_row))):
        key, label = _at(ids_row, col), _at(labels_row, col)
        spec = FIELDS_BY_ID.get(key.strip()) if isinstance(key, str) else None
        if spec is None and isinstance(label, str) and label.strip():
            spec = field_by_label(label)
        if spec is not None:
            columns.append((col, spec))
        elif isinstance(key, str) and _IDENT.match(key.strip()):
            unknown[col] = key.strip()
    header_row = head[max(i for i in (id_at, label_at) if i is not None)][0]
    problems = []
    first_col: dict[str, int] = {}
    for col, spec in columns:
        if spec.id in first_col:
            problems.append(
                Problem(
                    sheet.ref(header_row, col),
                    f"({spec.id})",
                    f"the column of {spec.label} appears twice, here and at "
                    f"column {col_letter(first_col[spec.id])}; keep one",
                )
            )
        first_col.setdefault(spec.id, col)
    for spec in FIELDS:
        if spec.required and spec.id not in first_col:
            problems.append(
                Problem(
                    sheet.place, f"({spec.id})", f"no column for {spec.label}, which is required"
                )
            )
    if problems:
        raise InputError(problems)
    first = max(i for i in (id_at, label_at) if i is not None) + 1
    return first, columns, unknown


def _read_batch(sheet: _Sheet, source: str) -> list[Record]:
    head = list(islice(sheet.rows, 12))
    if not head:
        return []
    first, columns, unknown = _batch_layout(head, sheet)
    percent = {
        col: _percent_cells(sheet, col) for col, spec in columns if spec.type is FieldType.PERCENT
    }
    required = [(col, spec) for col, spec in columns if spec.required]
    records: list[Record] = []
    for r, row in chain(head[first:], sheet.rows):
        reader = _Reader(sheet)
        held = False
        n = len(row)
        for col, spec in columns:
            raw = row[col] if col < n else ""
            if raw == "" and not sheet.bad:
                continue
            held |= reader.cell(spec, r, col, raw, col in percent and r in percent[col])
        if not held:
            continue  # a blank row
        warnings = [
            f"未知字段 {name!r}（{sheet.name}!{col_letter(col)}{r + 1}）的值已忽略"
            for col, name in unknown.items()
            if not _blank(_at(row, col))
        ]
        for col, spec in required:
            if spec.id not in reader.values and not any(
                p.path == f"({spec.id})" for p in reader.problems
            ):
                reader.problems.append(
                    Problem(
                        sheet.ref(r, col),
                        f"({spec.id})",
                        f"expected {spec.label} (required), got blank",
                    )
                )
        records.append(_record(source, sheet, r + 1, reader, warnings))
    return records


def _find_sheet(names: Iterable[str], wanted: str) -> str | None:
    for name in names:
        if _norm(name) == wanted:
            return name
    return None


def read_workbook(path: Path) -> list[Record]:
    """Every firm in a workbook: the 问卷 sheet (one firm) and each 批量 row (one firm each).

    Raises `InputError` (one line naming the file) when the file cannot be read at all.
    """
    import python_calamine

    path = Path(path)
    source = str(path)
    _sniff(path, source)
    book = _open_zip(path, source)  # guards before any parser sees the XML
    try:
        if path.suffix.lower() in EXCEL_SUFFIXES:
            workbook = python_calamine.load_workbook(path)
        else:  # an .xlsx saved under another name: calamine picks the reader by content
            with path.open("rb") as fh:
                workbook = python_calamine.CalamineWorkbook.from_filelike(fh)
    except python_calamine.PasswordError:
        raise _fail(
            source,
            "the workbook is password-protected; remove the password and save again as .xlsx",
        ) from None
    except Exception as exc:  # calamine's own errors: zip, XML, unsupported content
        raise _fail(source, f"is damaged or not an Excel workbook ({exc})") from None
    names = list(workbook.sheet_names)
    form_name = _find_sheet(names, SHEET_FORM)
    batch_name = _find_sheet(names, SHEET_BATCH)
    if form_name is None and batch_name is None:
        raise _fail(
            source,
            f"has no {SHEET_FORM} or {SHEET_BATCH} sheet (its sheets: "
            f"{', '.join(names) or 'none'}); fill the questionnaire template",
        )
    wanted = [n for n in (form_name, batch_name) if n is not None]
    records: list[Record] = []
    try:
        for name in wanted:
            xml = book.xml.get(name, b"")
            try:
                bad = scan_bad_cells(xml)
            except _NoCellRefs:
                bad = _scan_with_openpyxl(path, name)
            try:
                data = workbook.get_sheet_by_name(name)
            except Exception as exc:
                raise _fail(source, f"is damaged (sheet {name}: {exc})") from None
            sheet = _Sheet(
                name, f"{source} › {name}", _sheet_rows(data), bad, xml, book.percent_xfs
            )
            if name == form_name:
                record = _read_form(sheet, source)
                if record is not None:
                    records.append(record)
            else:
                records.extend(_read_batch(sheet, source))
    finally:
        workbook.close()
    if not records:
        raise _fail(
            source,
            f"holds no firm data: fill column D of the {SHEET_FORM} sheet, "
            f"or the {SHEET_BATCH} sheet from row {BATCH_FIRST_ROW}",
        )
    return records
