"""summary.xlsx: the round as a workbook an agency works from.

Three sheets: 汇总 (every applicant, ranked; rejected and failed ones below the ranked ones),
问题清单 (one line per problem to send back to an applicant, with its cell) and 统计
(counts, pass rates, score distribution, percentile bands).

Every text cell goes through `cell_text`: applicants' names and messages are untrusted, and
a spreadsheet would run a text that starts with `=`, `+`, `-` or `@` as a formula (CSV/
formula injection), so such text is written with a leading apostrophe, as OWASP advises.
openpyxl's write-only mode streams rows, so 100,000 applicants stay cheap.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from assess.fields import FIELDS_BY_ID
from assess.report.cohort import (
    ISSUE_LABELS,
    PASS_LABELS,
    PERCENTILES,
    SIZE_LABELS,
    STATUS_LABELS,
    TIER_SHORT,
    ApplicantRow,
    Cohort,
    Issue,
    RubricTally,
    Standing,
)

SHEET_SUMMARY = "汇总"
SHEET_ISSUES = "问题清单"
SHEET_STATS = "统计"

MAX_CELL = 32_767  # Excel's limit on the characters of one cell
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # XML 1.0 forbids them


def cell_text(text: str) -> str:
    """Text safe to put in a cell: no control characters, within Excel's length limit, and
    never read as a formula (a leading `=`, `+`, `-`, `@`, tab or CR gets a `'` before it)."""
    text = _ILLEGAL.sub("", text)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    if len(text) > MAX_CELL:
        text = text[:MAX_CELL - 1] + "…"
    return text


def cell(value: object) -> Any:
    """A Python value as a cell value: numbers stay numbers, text is neutralised."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, int | float):
        return value
    return cell_text(str(value))


@dataclass(frozen=True)
class RunInfo:
    """What the 统计 sheet says about the run itself."""

    generated: str  # ISO date
    inputs: tuple[str, ...]
    rubrics: str  # "default ladder by assessment year", or the ids given
    pdf: bool
    interrupted: bool = False
    version: str = ""


@dataclass(frozen=True)
class _Column:
    title: str
    width: float


def _rubric_columns(tallies: Sequence[RubricTally]) -> list[tuple[RubricTally, str]]:
    """(tally, header prefix): the tier's short label, with the rubric id when two rubrics
    of the round share a tier."""
    seen: dict[str, int] = {}
    for t in tallies:
        seen[t.label] = seen.get(t.label, 0) + 1
    return [(t, t.label if seen[t.label] == 1 else f"{t.label}({t.rubric})") for t in tallies]


def _ranked(rows: Sequence[ApplicantRow], standing: Mapping[int, Standing]
            ) -> list[ApplicantRow]:
    order = {"scored": 0, "failed": 1, "rejected": 2, "pending": 3}

    def key(r: ApplicantRow) -> tuple[int, int, int]:
        s = standing.get(r.index)
        if s is not None:
            return (0, s.rank, r.index)
        return (1 + order.get(r.status, 4), 0, r.index)

    return sorted(rows, key=key)


def _header(ws: Any, columns: Sequence[_Column]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="D9E1F2")
    wrap = Alignment(wrap_text=True, vertical="center")
    cells = []
    for col in columns:
        c = WriteOnlyCell(ws, value=cell_text(col.title))
        c.font, c.fill, c.alignment = bold, fill, wrap
        cells.append(c)
    ws.append(cells)


def _summary_sheet(wb: Any, rows: Sequence[ApplicantRow], tallies: Sequence[RubricTally],
                   standing: Mapping[int, Standing]) -> None:
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(SHEET_SUMMARY)
    groups = _rubric_columns(tallies)
    columns = [_Column("排名", 6), _Column("百分位", 8), _Column("状态", 9),
               _Column("企业名称", 30), _Column("统一社会信用代码", 21),
               _Column("来源文件", 28), _Column("工作表", 7), _Column("行", 6),
               _Column("企业规模", 8), _Column("得分率(%)", 9)]
    for tally, prefix in groups:
        columns += [_Column(f"{prefix} 结论", 9), _Column(f"{prefix} 得分", 8),
                    _Column(f"{prefix} 满分", 7)]
        columns += [_Column(f"{prefix}·{title}", 9) for title in tally.classes.values()]
    columns += [_Column("提示", 40), _Column("错误", 50), _Column("报告", 28)]
    _header(ws, columns)
    for r in _ranked(rows, standing):
        s = standing.get(r.index)
        values: list[object] = [
            s.rank if s else None, s.percentile if s else None, STATUS_LABELS[r.status],
            r.name, r.credit_code, r.source, r.sheet, r.row,
            SIZE_LABELS.get(r.size_class or "", r.size_class), r.score]
        lines = {line.rubric: line for line in r.lines}
        for tally, _ in groups:
            line = lines.get(tally.rubric)
            if line is None:
                values += [None] * (3 + len(tally.classes))
                continue
            values += [PASS_LABELS.get(line.pass_status, line.pass_status), line.total,
                       line.max]
            points = {c.id: c.points for c in line.classes}
            values += [points.get(cid) for cid in tally.classes]
        errors = [f"{i.where} {i.field}: {i.message}".replace(" : ", ": ")
                  for i in r.issues if i.kind in ("error", "file")]
        if r.error:
            errors.append(r.error)
        notes = [*r.warnings, *(i.message for i in r.issues if i.kind == "duplicate")]
        values += ["\n".join(notes), "\n".join(errors), r.report]
        ws.append([cell(v) for v in values])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 2)}"


def _field_label(field_id: str) -> str:
    spec = FIELDS_BY_ID.get(field_id)
    return spec.label if spec is not None else ""


def _place(where: str, source: str) -> str:
    """The cell without the file: `申报表.xlsx › 批量!D14` → `批量!D14`; the file itself
    → "" (the 来源文件 column names it)."""
    if where == source:
        return ""
    prefix = f"{source} › "
    return where[len(prefix):] if where.startswith(prefix) else where


def _issues_sheet(wb: Any, rows: Sequence[ApplicantRow]) -> int:
    ws = wb.create_sheet(SHEET_ISSUES)
    _header(ws, [_Column("序号", 6), _Column("类型", 12), _Column("企业名称", 30),
                 _Column("统一社会信用代码", 21), _Column("来源文件", 28), _Column("行", 6),
                 _Column("位置", 14), _Column("字段ID", 18), _Column("字段", 22),
                 _Column("问题", 70)])
    n = 0
    for r in rows:
        items = [*r.issues, *(Issue("warning", r.where, "", w) for w in r.warnings)]
        for item in items:
            n += 1
            ws.append([cell(v) for v in (
                n, ISSUE_LABELS.get(item.kind, item.kind), r.name, r.credit_code, r.source,
                r.row,
                _place(item.where, r.source), item.field, _field_label(item.field),
                item.message)])
    if not n:
        ws.append([None, cell("本批次没有需要退回企业修改的数据问题。")])
    return n


def _stats_sheet(wb: Any, cohort: Cohort, tallies: Sequence[RubricTally], info: RunInfo,
                 duplicates: int, issues: int) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    ws = wb.create_sheet(SHEET_STATS)
    for letter, width in zip("ABCDEFGHIJ", (26, 12, 10, 10, 10, 10, 10, 10, 10, 10),
                             strict=True):
        ws.column_dimensions[letter].width = width
    bold = Font(bold=True)

    def title(text: str) -> None:
        c = WriteOnlyCell(ws, value=cell_text(text))
        c.font = bold
        ws.append([])
        ws.append([c])

    def line(*values: object) -> None:
        ws.append([cell(v) for v in values])

    title("本批次")
    line("生成日期", info.generated)
    line("assess 版本", info.version)
    line("评价标准", info.rubrics)
    line("生成 PDF 报告", info.pdf)
    if info.interrupted:
        line("状态", "已中断：只含已完成的企业，用 --resume 继续")
    for i, path in enumerate(info.inputs, start=1):
        line(f"输入 {i}", path)

    title("企业数")
    line("申报企业", cohort.total)
    for status, label in STATUS_LABELS.items():
        if status != "pending" or cohort.counts.get(status):
            line(label, cohort.counts.get(status, 0))
    line("参与排名", len(cohort.scores))
    line("信用代码重复的企业", duplicates)
    line("问题清单条数", issues)

    title("各梯度通过率")
    line("评价标准", "梯度", "版本", "评价数", "通过", "待定", "未通过", "通过率(%)")
    for t in tallies:
        line(t.rubric, TIER_SHORT.get(t.tier, t.tier), t.version, t.n, t.outcomes["pass"],
             t.outcomes["undetermined"], t.outcomes["fail"], t.pass_rate)

    title("得分率分布（%，占满分）")
    line("区间", "企业数")
    for b in cohort.histogram():
        line(f"{b.low}–{b.high}" + ("（含 100）" if b.high == 100 else ""), b.count)

    title("百分位（得分率 %）")
    bands = cohort.bands()
    line("", *(f"P{q}" for q in PERCENTILES))
    if bands:
        line("得分率", *(bands[q] for q in PERCENTILES))
    for t in tallies:
        if t.max > 0:
            rb = cohort.rubric_bands(t)
            if rb:
                line(f"{t.rubric} 得分（满分 {cell(t.max)}）", *(rb[q] for q in PERCENTILES))

    weakest = cohort.weakest()
    if weakest:
        title("最薄弱的指标（平均得分率最低）")
        line("指标", "评价标准", "平均得分率(%)", "企业数", "缺数据")
        for w in weakest:
            line(w.title, w.rubric, w.mean_percent, w.n, w.unknown)


def summary_bytes(rows: Sequence[ApplicantRow], cohort: Cohort,
                  standing: Mapping[int, Standing], info: RunInfo, *,
                  duplicates: int = 0) -> bytes:
    """The workbook as bytes.  `rows` in input order, every applicant of the round."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    tallies = cohort.ordered_rubrics()
    _summary_sheet(wb, rows, tallies, standing)
    issues = _issues_sheet(wb, rows)
    _stats_sheet(wb, cohort, tallies, info, duplicates, issues)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_summary(path: Path, rows: Sequence[ApplicantRow], cohort: Cohort,
                  standing: Mapping[int, Standing], info: RunInfo, *,
                  duplicates: int = 0) -> None:
    """summary.xlsx, written atomically."""
    from assess.atomic import write_bytes

    write_bytes(path, summary_bytes(rows, cohort, standing, info, duplicates=duplicates))
