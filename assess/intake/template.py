"""The questionnaire template: 填写说明, 问卷 and 批量 sheets with dropdowns and checks.

`write_template` has three sheets: 填写说明 (what to fill, units, the year convention,
where each figure comes from, the evidence to prepare), 问卷 (one firm: field id in column
A, value in column D) and 批量 (agencies: labels in row 1, field ids in row 2, one firm
per row from row 3).  Both data sheets carry dropdowns and numeric validation.

Every word in it comes from the catalog (`assess/catalog/template.yaml`).  The examples
the instructions give are data (`GUIDE_EXAMPLES`), so a test can check each one against
the validation of its field's cell.  Fields that decide a condition of a rubric or the size
class are marked required (`*`): a blank one leaves the verdict pending.  With a
`province`, other provinces' local indicators are left out.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from assess.catalog import t
from assess.errors import InputError, Problem
from assess.fields import FIELDS_BY_ID, NUMERIC_TYPES, Field, FieldType, Section, all_fields
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
from assess.intake.uses import (
    FieldUse,
    document_of,
    evidence_documents,
    field_uses,
    gate_fields,
    province_key,
)
from assess.intake.values import parse_value
from assess.rubric.size import SIZE_FACTS

# Always in the template, whatever the rubrics read: they identify the firm.
BASIC_FIELDS = (
    "name",
    "credit_code",
    "province",
    "city",
    "district",
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
    rubric_ids: Sequence[str] | None = None,
    extra: Iterable[str] = (),
    province: str | None = None,
) -> list[Field]:
    """The fields a template asks for, in registry order: the basic ones, every field the
    rubrics read (for `province`, not those only other provinces' blocks read), and
    `extra`.  A rubric is an id or a file's path."""
    return _fields_for(_rubrics(rubric_ids), extra, province)


def _fields_for(rubrics: Sequence[Any], extra: Iterable[str], province: str | None) -> list[Field]:
    extra = set(extra)
    wanted = set(BASIC_FIELDS) | extra
    for rubric in rubrics:
        wanted |= set(rubric.inputs)
    unknown = sorted(wanted - set(FIELDS_BY_ID))
    if unknown:
        raise InputError(
            [Problem.coded("", name, "template.unknown_field", name=name) for name in unknown]
        )
    if province is not None:
        uses = field_uses(rubrics)
        wanted = {
            f for f in wanted if f in extra or f not in uses or uses[f].for_province(province)
        }
    return [spec for spec in all_fields() if spec.id in wanted]


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

# The examples the instructions give, by the field whose cell takes them: each must pass
# that cell's validation and read back as the value meant (a test checks both).
GUIDE_EXAMPLES: dict[str, tuple[str, object]] = {
    "money": ("revenue", 1234.5),
    "percent": ("market_share", 12.5),
    "count": ("employees", 120),
    "year": ("assessment_year", 2026),
    "yes": ("high_tech_enterprise", "是"),
    "no": ("high_tech_enterprise", "否"),
    "industry": ("industry", "工业"),
    "zero": ("tech_upgrade_expense", 0),
    "loss": ("net_profit", -35.2),
    "credit": ("credit_code", "91370100MA3C4X5Y6W"),
}


def _example(name: str) -> object:
    return GUIDE_EXAMPLES[name][1]


def guide_notes() -> list[str]:
    """The numbered instructions, in the language in force."""
    year = int(str(_example("year")))
    return [
        t("template.note.purpose"),
        t("template.note.form"),
        t("template.note.batch"),
        t(
            "template.note.units",
            money=_example("money"),
            percent=_example("percent"),
            count=_example("count"),
        ),
        t("template.note.years", year=year, last=year - 1, prev=year - 2, prev2=year - 3),
        t("template.note.sources"),
        t(
            "template.note.choices",
            yes=_example("yes"),
            no=_example("no"),
            industry=_example("industry"),
        ),
        t("template.note.zero", zero=_example("zero"), loss=_example("loss")),
        t("template.note.required"),
        t("template.note.credit", credit=_example("credit")),
        t("template.note.formulas"),
    ]


def write_template(
    path: Path,
    rubric_ids: Sequence[str] | None = None,
    *,
    fields: Iterable[str] = (),
    form: Mapping[str, object] | None = None,
    batch: Sequence[Mapping[str, object]] = (),
    province: str | None = None,
) -> None:
    """Write the questionnaire workbook to `path`.

    `rubric_ids`: the rubrics whose inputs it asks for (default: every bundled rubric);
    `fields`: more field ids to ask for besides those.  `form` prefills column D of 问卷
    and `batch` the rows of 批量 (field id → value, as in firm JSON); the fields they use
    are always in the template.  `province` (湖南省): leave out other provinces' local
    indicators and their evidence, and prefill 所在省份.
    """
    from assess.atomic import write_bytes

    data = template_bytes(rubric_ids, fields=fields, form=form, batch=batch, province=province)
    write_bytes(Path(path), data)
    # The atomic writer's temp file is private (0600); a template is an ordinary document.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def template_bytes(
    rubric_ids: Sequence[str] | None = None,
    *,
    fields: Iterable[str] = (),
    form: Mapping[str, object] | None = None,
    batch: Sequence[Mapping[str, object]] = (),
    province: str | None = None,
) -> bytes:
    """The questionnaire workbook of `write_template`, in memory: the web mode hands a
    firm its filled questionnaire without writing the firm's answers to disk."""
    from openpyxl import Workbook

    rubrics = _rubrics(rubric_ids)
    used = set(fields) | set(form or {}) | {k for firm in batch for k in firm}
    specs = _fields_for(rubrics, used, province)
    uses = field_uses(rubrics)
    gates = gate_fields(rubrics)
    if province is not None and not (form or {}).get("province"):
        form = {**(form or {}), "province": province}
    wb = Workbook()
    guide = wb.active
    guide.title = SHEET_GUIDE
    form_ws = wb.create_sheet(SHEET_FORM)
    batch_ws = wb.create_sheet(SHEET_BATCH)
    lists = _Lists(wb)
    _write_guide(guide, specs, uses, gates, rubrics, province)
    _write_form(form_ws, specs, gates, lists, form or {})
    _write_batch(batch_ws, specs, gates, lists, batch)
    wb.active = 0
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


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
        dv.error = t("template.dv.list_error")
        prompt = t("template.dv.list_prompt")
    elif spec.type in NUMERIC_TYPES:
        low: int | None = (
            spec.minimum if spec.minimum is not None else (None if spec.negative_ok else 0)
        )
        high: int | None = spec.maximum
        if spec.type is FieldType.PERCENT and high is None:
            high = 100
        kind = "whole" if spec.type is FieldType.INT else "decimal"
        what = t("template.dv.whole" if spec.type is FieldType.INT else "template.dv.number")
        unit = t("template.dv.unit", unit=spec.unit) if spec.unit else ""
        if low is not None and high is not None:
            dv = DataValidation(
                type=kind,
                operator="between",
                formula1=str(low),
                formula2=str(high),
                allow_blank=True,
            )
            dv.error = t("template.dv.between", low=low, high=high, what=what, unit=unit)
        elif low is not None:
            dv = DataValidation(
                type=kind, operator="greaterThanOrEqual", formula1=str(low), allow_blank=True
            )
            dv.error = t("template.dv.at_least", low=low, what=what, unit=unit)
        else:
            dv = DataValidation(
                type=kind,
                operator="between",
                formula1="-999999999",
                formula2="999999999",
                allow_blank=True,
            )
            dv.error = t("template.dv.signed", what=what, unit=unit)
        if spec.type is FieldType.MONEY:
            prompt = t(
                "template.dv.prompt_money_signed"
                if spec.negative_ok
                else "template.dv.prompt_money"
            )
        elif spec.type is FieldType.PERCENT:
            prompt = t("template.dv.prompt_percent")
        else:
            prompt = t("template.dv.prompt_number", what=what, unit=unit)
        if low is not None and low <= 0 and spec.id not in ("digital_level",):
            prompt += t("template.dv.prompt_zero")
    elif spec.id == "credit_code":
        dv = DataValidation(type="textLength", operator="equal", formula1="18", allow_blank=True)
        dv.error = t("template.dv.credit_error")
        prompt = t("template.dv.credit_prompt")
    elif spec.type is FieldType.TEXT:
        # The reader refuses longer text with the same limit (fields.Field.text_limit).
        limit = spec.text_limit
        dv = DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1=str(limit), allow_blank=True
        )
        dv.error = t("template.dv.text_error", limit=limit)
        prompt = t("template.dv.text_prompt", limit=limit)
    else:
        return None
    if spec.help and spec.id != "credit_code":
        prompt = f"{prompt}。{spec.help}"
    dv.errorTitle = t("template.dv.title")
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


# Row heights (points, before the fit-to-width scale) that still print legibly on one page.
_ONE_PAGE_FORM = 1600


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
    ws.oddFooter.center.text = t("template.footer")


def _mark(spec: Field, gates: frozenset[str]) -> bool:
    """Whether a field is marked required (*): the reader's own required fields, and those
    that decide a rubric's condition or the size class."""
    return spec.required or spec.id in gates


def _help_text(spec: Field, gates: frozenset[str]) -> str:
    parts = []
    if spec.required:
        parts.append(t("template.help.required"))
    elif spec.id in SIZE_FACTS:
        parts.append(t("template.help.size"))
    elif spec.id in gates:
        parts.append(t("template.help.gate"))
    if spec.help:
        parts.append(spec.help)
    if spec.source:
        parts.append(t("template.help.source", source=spec.source))
    return t("template.sep").join(parts)


def _lines(text: str, per_line: int) -> int:
    """Lines a wrapped cell needs, for row heights (openpyxl cannot measure text)."""
    return max(1, -(-len(text) // per_line))


def _first(items: list[str], n: int) -> str:
    shown = t("template.sep").join(items[:n])
    return t("template.guide.more", shown=shown, count=len(items)) if len(items) > n else shown


def _write_guide(
    ws: Any,
    specs: list[Field],
    uses: dict[str, FieldUse],
    gates: frozenset[str],
    rubrics: Sequence[Any],
    province: str | None,
) -> None:
    st = _style()
    # Column A holds the field ids of the table below, for programs: it is left out of the
    # print area, so every line a reader prints starts in column B.
    widths = {"A": 22, "B": 34, "C": 8, "D": 34, "E": 44, "F": 40}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    ws["B1"] = t("template.title")
    ws["B1"].font = st["title"]
    row = 2
    heads_above = []
    if rubrics:
        names = t("template.sep").join(str(r.title) for r in rubrics)  # in the language in force
        heads_above.append(t("template.rubrics", names=names))
    if province is not None:
        heads_above.append(t("template.province", province=province))
    for text in heads_above:
        cell = ws.cell(row, 2, text)
        cell.alignment = st["wrap"]
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=6)
        ws.row_dimensions[row].height = 16 * _lines(text, 85)
        row += 1
    row += 1
    for i, note in enumerate(guide_notes(), start=1):
        cell = ws.cell(row, 2, f"{i}. {note}")
        cell.alignment = st["wrap"]
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=6)
        ws.row_dimensions[row].height = 16 * _lines(note, 85)
        row += 1
    row += 1
    ws.cell(row, 2, t("template.guide.fields")).font = st["bold"]
    row += 1
    heads = [
        t(f"template.head.{k}") for k in ("id", "label", "unit", "source", "evidence", "used_by")
    ]
    for col, text in enumerate(heads, start=1):
        cell = ws.cell(row, col, text)
        cell.font, cell.fill, cell.border = st["bold"], st["fill_header"], st["border"]
        cell.alignment = st["center"]
    header_row = row
    row += 1
    for spec in specs:
        use = uses.get(spec.id, FieldUse())
        used_by = [
            title
            for title in use.used_by
            if province is None or "：" not in title or _same_province(title, province)
        ]
        cells = (
            spec.id,
            ("* " if _mark(spec, gates) else "") + spec.label,
            spec.unit,
            spec.source or "—",
            t("template.sep").join(dict.fromkeys(document_of(e) for e in use.evidence)) or "—",
            _first(used_by, 4) or t("template.guide.basic"),
        )
        for col, text in enumerate(cells, start=1):
            cell = ws.cell(row, col, text)
            cell.alignment, cell.border = st["wrap"], st["border"]
        ws.cell(row, 1).font = st["grey"]
        ws.row_dimensions[row].height = 16 * max(
            _lines(cells[1], 17), _lines(cells[3], 17), _lines(cells[4], 22), _lines(cells[5], 20)
        )
        row += 1
    row += 1
    ws.cell(row, 2, t("template.guide.documents")).font = st["bold"]
    row += 1
    documents = evidence_documents(rubrics, [s.id for s in specs], province)
    for i, (document, titles) in enumerate(documents, start=1):
        text = t("template.guide.document", index=i, document=document, uses=_first(titles, 5))
        cell = ws.cell(row, 2, text)
        cell.alignment = st["wrap"]
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=6)
        ws.row_dimensions[row].height = 15 * _lines(text, 85)
        row += 1
    _print_setup(ws, landscape=False, title_rows=f"{header_row}:{header_row}")
    ws.print_area = f"B1:F{row - 1}"


def _same_province(title: str, province: str) -> bool:
    return province_key(title.split("：", 1)[0]) == province_key(province)


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


def _write_form(
    ws: Any,
    specs: list[Field],
    gates: frozenset[str],
    lists: _Lists,
    values: Mapping[str, object],
) -> None:
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
        ws.cell(row, 2, section.label).font = st["bold"]
        for col in range(1, 6):
            ws.cell(row, col).fill = st["fill_section"]
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
        row += 1
        for spec in members:
            a = ws.cell(row, 1, spec.id)
            a.font, a.fill = st["grey"], st["fill_id"]
            marked = _mark(spec, gates)
            b = ws.cell(row, 2, ("* " if marked else "") + spec.label)
            b.alignment = st["wrap"]
            if marked:
                b.font = st["required"]
            a.alignment = st["wrap"]
            ws.cell(row, 3, spec.unit).alignment = st["center"]
            d = ws.cell(row, 4, cell_value(spec, values.get(spec.id)))
            d.fill = st["fill_required"] if marked else st["fill_input"]
            d.number_format = _NUMBER_FORMATS.get(spec.type, "General")
            d.alignment = st["middle"]
            e = ws.cell(row, 5, _help_text(spec, gates))
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
    # Printed without column A (the ids are for the program reading the sheet back), on
    # one page when its rows are little more than a page (else a few of them run over,
    # alone on a second page); longer rows (the English form's) flow at a readable size.
    ws.print_area = f"B1:E{row - 1}"
    height = sum(ws.row_dimensions[r].height or 15 for r in range(1, row))
    ws.page_setup.fitToHeight = 1 if height <= _ONE_PAGE_FORM else 0


def _write_batch(
    ws: Any,
    specs: list[Field],
    gates: frozenset[str],
    lists: _Lists,
    firms: Sequence[Mapping[str, object]],
) -> None:
    st = _style()
    last = BATCH_FIRST_ROW + BATCH_ROWS - 1
    for col, spec in enumerate(specs, start=1):
        letter = col_letter(col - 1)
        marked = _mark(spec, gates)
        head = ws.cell(BATCH_LABEL_ROW, col, header_label(spec, marked))
        head.font = st["required"] if marked else st["bold"]
        head.fill, head.border, head.alignment = st["fill_header"], st["border"], st["center"]
        ident = ws.cell(BATCH_ID_ROW, col, spec.id)
        ident.font, ident.fill, ident.border = st["grey"], st["fill_id"], st["border"]
        wide = 26 if spec.id == "name" else min(28, len(spec.label) * 1.2 + 2)
        ws.column_dimensions[letter].width = max(12, wide)
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
    # Landscape, the header rows and the firm's name on every page; as many columns to a
    # page as stay legible (about 16 on A4), so that a wide sheet runs over a few pages
    # across rather than shrinking to a line of dots.
    _print_setup(ws, landscape=True, title_rows=f"{BATCH_LABEL_ROW}:{BATCH_ID_ROW}")
    ws.print_title_cols = "A:A"
    ws.page_setup.fitToWidth = max(1, -(-len(specs) // 16))
    ws.page_setup.fitToHeight = 0
    ws.page_setup.pageOrder = "overThenDown"
    last_row = BATCH_FIRST_ROW + max(len(firms), 1) - 1
    ws.print_area = f"A{BATCH_LABEL_ROW}:{col_letter(len(specs) - 1)}{last_row}"
