"""summary.xlsx: the round as a workbook an agency works from.

Three sheets: 汇总 (every applicant, ranked; rejected and failed ones below the ranked ones),
问题清单 (one line per problem to send back to an applicant, with its cell) and 统计
(counts, pass rates, score distribution, percentile bands).

Every text cell goes through `cell_text`: applicants' names and messages are untrusted, and
a spreadsheet would run a text that starts with `=`, `+`, `-` or `@` as a formula (CSV/
formula injection), so such text is written with a leading apostrophe, as OWASP advises.

The workbook is written by `_Book`, a small streaming SpreadsheetML writer (inline strings,
three cell styles, frozen header, column widths, auto-filter): openpyxl, even in write-only
mode, spends about 0.3 ms per row of the 汇总 sheet (half a minute for 100,000 applicants);
writing the XML directly takes a sixth of that (about 5 s of CPU for the whole workbook of
100,000: `bench/outputs_bench.py`), with the catalog's words looked up once per workbook
(`_Words`) and the compression on a thread of its own.  openpyxl reads the result back
(the tests do), and so do Excel, WPS and LibreOffice.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from assess import catalog
from assess.batch.cohort import ISSUE_LABELS, PASS_LABELS, STATUS_LABELS
from assess.batch.previous import OPEN, Change, Then, word_change, word_place
from assess.batch.records import (
    INFO_FIELDS,
    LADDER_TIERS,
    ApplicantRow,
    Issue,
    Ranking,
    Standing,
    ranked_order,
)
from assess.batch.stats import PERCENTILES, Cohort, RubricTally
from assess.fields import FIELDS_BY_ID, FieldType
from assess.intake.places import place
from assess.report.words import SIZE_LABELS, TIER_SHORT

MAX_CELL = 32_767  # Excel's limit on the characters of one cell
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not in XML 1.0


def cell_text(text: str) -> str:
    """Text safe to put in a cell: no control characters, within Excel's length limit, and
    never read as a formula (a leading `=`, `+`, `-`, `@`, tab or CR gets a `'` before it)."""
    if not text.isprintable():  # every character XML forbids is unprintable
        text = _ILLEGAL.sub("", text)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    return text


def cell(value: object) -> Any:
    """A Python value as a cell value: numbers stay numbers, text is neutralised."""
    if value is None:
        return None
    if isinstance(value, bool):
        return catalog.t("summary.xlsx.yes") if value else catalog.t("summary.xlsx.no")
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
    round_name: str = ""
    official: bool = True  # ranked by the official ladder (no -r)
    previous: str = ""  # the previous round's folder, when compared with one


@dataclass(frozen=True)
class _Column:
    title: str
    width: float
    hidden: bool = False


def _rubric_columns(tallies: Sequence[RubricTally]) -> list[tuple[RubricTally, str]]:
    """(tally, header prefix): the tier's short label, with the rubric id when two rubrics
    of the round share a tier."""
    seen: dict[str, int] = {}
    for t in tallies:
        label = TIER_SHORT.get(t.tier, t.tier)
        seen[label] = seen.get(label, 0) + 1
    out = []
    for t in tallies:
        label = TIER_SHORT.get(t.tier, t.tier)
        out.append((t, label if seen[label] == 1 else f"{label}({t.rubric})"))
    return out


# ---- a streaming xlsx writer ---------------------------------------------------------------

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PLAIN, HEADER, BOLD, WRAP, LINK = 0, 1, 2, 3, 4  # cell styles (cellXfs in _STYLES)


@dataclass(frozen=True)
class Link:
    """A cell that opens a file beside the workbook (a report): a hyperlink of the sheet."""

    target: str
    text: str


_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/><family val="2"/>'
    "</font></fonts>"
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFD9E1F2"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" '
    'applyFill="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_ROWS_PER_WRITE = 128
REASONS = 4096  # worded reasons kept for the next rows (`_Words`)


def column_letter(n: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_LETTERS = [column_letter(i) for i in range(1, 257)]


def _letter(i: int) -> str:
    return _LETTERS[i] if i < len(_LETTERS) else column_letter(i + 1)


class _Sheet:
    """One worksheet, streamed into the zip row by row.  Values are what `cell` returns:
    None (no cell), int, float or text."""

    def __init__(
        self,
        book: _Book,
        title: str,
        number: int,
        widths: Sequence[float],
        *,
        frozen: bool = False,
        frozen_columns: int = 0,
        hidden: Sequence[int] = (),
    ):
        self.title = title
        self.number = number
        self.rows = 0
        self.width = len(widths)
        self.widths = list(widths)
        self.filter = ""
        self.repeat_header = frozen  # printed: the header row on every page
        self.links: list[tuple[str, str]] = []  # (cell, relative target)
        self.print_columns = 0  # printed: only the first N columns (0: all of them)
        self._book = book
        self._out: IO[bytes] = book.zip.open(
            f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True
        )
        self._pending: list[str] = []
        head = [_XML, f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">']
        # Printed landscape on A4, as wide as the page (as many pages down as it takes).
        head.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        if frozen:
            x = frozen_columns
            corner = f"{_letter(x)}2"
            pane = "bottomRight" if x else "bottomLeft"
            split = f'xSplit="{x}" ' if x else ""
            head.append(
                f'<sheetViews><sheetView workbookViewId="0"><pane {split}ySplit="1" '
                f'topLeftCell="{corner}" activePane="{pane}" state="frozen"/>'
                f'<selection pane="{pane}" activeCell="{corner}" sqref="{corner}"/>'
                "</sheetView></sheetViews>"
            )
        else:
            head.append('<sheetViews><sheetView workbookViewId="0"/></sheetViews>')
        head.append('<sheetFormatPr defaultRowHeight="15"/>')
        if widths:
            head.append(
                "<cols>"
                + "".join(
                    f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"'
                    + (' hidden="1"' if i - 1 in hidden else "")
                    + "/>"
                    for i, w in enumerate(widths, start=1)
                )
                + "</cols>"
            )
        head.append("<sheetData>")
        book.write(self._out, "".join(head).encode("utf-8"))

    def append(self, values: Iterable[Any], style: int = PLAIN) -> None:
        """A row of cells.  None and "" leave a cell empty; int and float are numbers;
        text (`str`) is written as given, so untrusted text must have been through
        `cell_text`; anything else (bool, Decimal, a str subclass …) goes through `cell`.
        A WRAP row is as high as its longest text needs (`_lines`)."""
        self.rows += 1
        r = str(self.rows)
        s = f' s="{style}"' if style else ""
        wrap = style == WRAP
        widths = self.widths
        lines = 1
        parts = [""]  # the row's opening tag, once its height is known
        add = parts.append
        letters = _LETTERS
        for i, value in enumerate(values):
            if value is None:
                continue
            kind = type(value)
            if kind is not str and kind is not int and kind is not float:
                if kind is Link:
                    # a hyperlink of the sheet (a relationship), not a HYPERLINK formula:
                    # no cell of the workbook is ever a formula
                    ref = letters[i] if i < 256 else _letter(i)
                    self.links.append((f"{ref}{r}", value.target))
                    add(
                        f'<c r="{ref}{r}" s="{LINK}" t="inlineStr"><is>'
                        f'<t xml:space="preserve">{escape(value.text)}</t></is></c>'
                    )
                    continue
                if wrap and value and isinstance(value, str):  # a str subclass
                    lines = max(lines, _lines(value, widths[i] if i < len(widths) else 8.43))
                value = cell(value)
                kind = type(value)
                if value is None:
                    continue
            if kind is str:
                if value:
                    if wrap:
                        width = widths[i] if i < len(widths) else 8.43
                        if 2 * len(value) > width or "\n" in value:  # else it fits on a line
                            lines = max(lines, _lines(value, width))
                    if "&" in value or "<" in value or ">" in value:
                        value = escape(value)
                    ref = letters[i] if i < 256 else _letter(i)
                    add(
                        f'<c r="{ref}{r}"{s} t="inlineStr"><is><t xml:space="preserve">'
                        f"{value}</t></is></c>"
                    )
            else:
                ref = letters[i] if i < 256 else _letter(i)
                add(f'<c r="{ref}{r}"{s}><v>{value!r}</v></c>')
        if wrap:
            height = min(15 * lines, 409)  # wrapped text shows whole, in any spreadsheet
            parts[0] = f'<row r="{r}" ht="{height}" customHeight="1">'
        else:
            parts[0] = f'<row r="{r}">'
        add("</row>")
        self._pending.append("".join(parts))
        if len(self._pending) >= _ROWS_PER_WRITE:
            self._flush()

    def skip(self) -> None:
        """An empty row."""
        self.rows += 1

    def _flush(self) -> None:
        if self._pending:
            self._book.write(self._out, "".join(self._pending).encode("utf-8"))
            self._pending.clear()

    def abandon(self) -> None:
        self._out.close()

    def close(self) -> None:
        self._flush()
        tail = "</sheetData>"
        if self.filter:
            tail += f'<autoFilter ref="{self.filter}"/>'
        if self.links:
            tail += (
                "<hyperlinks>"
                + "".join(
                    f'<hyperlink ref="{ref}" r:id="rIdL{n}"/>'
                    for n, (ref, _) in enumerate(self.links, start=1)
                )
                + "</hyperlinks>"
            )
        tail += (
            '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" '
            'footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToWidth="1" '
            'fitToHeight="0"/><headerFooter><oddFooter>&amp;C&amp;P / &amp;N</oddFooter>'
            "</headerFooter></worksheet>"
        )
        self._book.write(self._out, tail.encode("utf-8"))
        self._book.settle()
        self._out.close()
        if self.links:
            self._book.zip.writestr(
                f"xl/worksheets/_rels/sheet{self.number}.xml.rels",
                f'{_XML}<Relationships xmlns="{_PKG_REL_NS}">'
                + "".join(
                    f'<Relationship Id="rIdL{n}" Type="{_REL_NS}/hyperlink" '
                    f'Target={quoteattr(quote(target, safe="/"))} TargetMode="External"/>'
                    for n, (_, target) in enumerate(self.links, start=1)
                )
                + "</Relationships>",
            )


class _Book:
    """An .xlsx package written sheet after sheet (only one sheet open at a time)."""

    def __init__(self, fh: IO[bytes]):
        # Level 1: the sheets are repetitive XML; 1 compresses them nearly as well as 6
        # at a third of the time.
        self.zip = zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets: list[_Sheet] = []
        # The sheets' XML is compressed on a thread of its own: zlib lets go of the GIL,
        # so the next rows are made meanwhile.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="summary-zip")
        self._writing: Future[Any] | None = None

    def write(self, part: IO[bytes], data: bytes) -> None:
        """`data` onto the end of `part` (a sheet being written), on the writer thread:
        one write at a time, in order, at most one waiting."""
        self.settle()
        self._writing = self._writer.submit(part.write, data)

    def settle(self) -> None:
        """Wait until what was given to `write` is written (and raise what went wrong)."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.result()

    def shutdown(self) -> None:
        self._writer.shutdown(wait=True)

    def abandon(self) -> None:
        """After a failure: close what is open, whatever else goes wrong (the failure
        itself is what the caller hears of)."""
        self._writer.shutdown(wait=True)
        for ws in self.sheets:
            with contextlib.suppress(Exception):
                ws.abandon()
        with contextlib.suppress(Exception):
            self.zip.close()

    def sheet(
        self,
        title: str,
        widths: Sequence[float],
        *,
        frozen: bool = False,
        frozen_columns: int = 0,
        hidden: Sequence[int] = (),
    ) -> _Sheet:
        if self.sheets:
            self.sheets[-1].close()
        ws = _Sheet(
            self,
            title,
            len(self.sheets) + 1,
            widths,
            frozen=frozen,
            frozen_columns=frozen_columns,
            hidden=hidden,
        )
        self.sheets.append(ws)
        return ws

    def close(self) -> None:
        if self.sheets:
            self.sheets[-1].close()
        n = len(self.sheets)
        sheet_ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        self.zip.writestr(
            "[Content_Types].xml",
            (
                f'{_XML}<Types xmlns="{_CT_NS}">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                + "".join(
                    f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_ct}"/>'
                    for i in range(1, n + 1)
                )
                + "</Types>"
            ),
        )
        self.zip.writestr(
            "_rels/.rels",
            (
                f'{_XML}<Relationships xmlns="{_PKG_REL_NS}">'
                f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" '
                'Target="xl/workbook.xml"/></Relationships>'
            ),
        )
        self.zip.writestr(
            "xl/_rels/workbook.xml.rels",
            (
                f'{_XML}<Relationships xmlns="{_PKG_REL_NS}">'
                + "".join(
                    f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" '
                    f'Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, n + 1)
                )
                + f'<Relationship Id="rId{n + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
                "</Relationships>"
            ),
        )
        names = (
            "".join(
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="{ws.number - 1}" '
                f'hidden="1">{escape(_quoted_range(ws.title, ws.filter))}</definedName>'
                for ws in self.sheets
                if ws.filter
            )
            + "".join(
                f'<definedName name="_xlnm.Print_Titles" localSheetId="{ws.number - 1}">'
                f"{escape(_quoted_title(ws.title))}!$1:$1</definedName>"
                for ws in self.sheets
                if ws.repeat_header
            )
            + "".join(
                f'<definedName name="_xlnm.Print_Area" localSheetId="{ws.number - 1}">'
                f"{escape(_quoted_title(ws.title))}!$A$1:${column_letter(ws.print_columns)}"
                f"${max(ws.rows, 1)}</definedName>"
                for ws in self.sheets
                if ws.print_columns
            )
        )
        self.zip.writestr(
            "xl/workbook.xml",
            (
                f'{_XML}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
                + "".join(
                    f'<sheet name={quoteattr(ws.title)} sheetId="{ws.number}" '
                    f'r:id="rId{ws.number}"/>'
                    for ws in self.sheets
                )
                + "</sheets>"
                + (f"<definedNames>{names}</definedNames>" if names else "")
                + "</workbook>"
            ),
        )
        self.zip.writestr("xl/styles.xml", _STYLES)
        self.zip.close()


_NARROW = re.compile("[\x00-\u2e7f]+")  # one wide; CJK and all from U+2E80 up: two


def _lines(value: object, width: float) -> int:
    """Lines a wrapped cell of `width` characters needs for `value` (a CJK character is
    two wide): spreadsheets do not all size rows to wrapped text themselves."""
    if not isinstance(value, str) or not value:
        return 1
    room = max(width, 1.0)
    total = 0
    for part in value.split("\n"):
        wide = len(part) if part.isascii() else len(part) + len(_NARROW.sub("", part))
        total += max(1, math.ceil(wide / room))
    return total


def _quoted_title(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _quoted_range(title: str, ref: str) -> str:
    first, _, last = ref.partition(":")

    def absolute(cell_ref: str) -> str:
        letters = cell_ref.rstrip("0123456789")
        return f"${letters}${cell_ref[len(letters) :]}"

    return f"'{title}'!{absolute(first)}:{absolute(last or first)}"


def _header(
    book: _Book, title: str, columns: Sequence[_Column], *, frozen_columns: int = 1
) -> _Sheet:
    hidden = [i for i, c in enumerate(columns) if c.hidden]
    ws = book.sheet(
        title,
        [c.width for c in columns],
        frozen=True,
        frozen_columns=frozen_columns,
        hidden=hidden,
    )
    ws.append([cell_text(c.title) for c in columns], HEADER)
    ws.filter = f"A1:{column_letter(len(columns))}1"
    return ws


def _info_labels() -> list[str]:
    return [catalog.t(f"summary.xlsx.info.{f}") for f in INFO_FIELDS]


class _Words:
    """The words the sheets repeat on every row, looked up once per workbook in the
    language current then: a label table (`LabelTable`) reads the whole catalog on each
    look-up, and the phrases made of them (an applicant's place, a reason, a field's
    advice) come back for many applicants, so each is worded once and kept."""

    def __init__(self) -> None:
        self.status = dict(STATUS_LABELS)
        self.verdicts = dict(PASS_LABELS)
        self.issues = dict(ISSUE_LABELS)
        self.sizes = dict(SIZE_LABELS)
        self.tiers = dict(TIER_SHORT)
        self.verdict_duplicate = catalog.t("summary.xlsx.verdict.duplicate")
        self.verdict_barred = catalog.t("summary.xlsx.verdict.barred")
        self._places: dict[tuple[str, str], str] = {}
        # a reason names the firm's own figures ("研发费用 88 万元…"): most come once, so
        # only the last REASONS of them are kept, not one for each applicant of a round
        self._reasons: dict[tuple[str, str, str], str] = {}
        self._industries: dict[str, str] = {}
        self._fields: dict[str, str] = {}
        self._advice: dict[str, str] = {}

    def place(self, place: tuple[str, str]) -> str:
        text = self._places.get(place)
        if text is None:
            text = self._places[place] = word_place(place)
        return text

    def barred(self, gate: str, size: str) -> str:
        """One line of the 未达条件 column: why the applicant is not ranked."""
        key = ("barred", gate, size)
        text = self._reasons.get(key)
        if text is None:
            text = self._reason(key, catalog.t(f"summary.why.barred.{gate}", size=size))
        return text

    def unmet(self, tier: str, condition: str) -> str:
        """One line of the 未达条件 column: a condition of the tier above not met."""
        key = ("unmet", tier, condition)
        text = self._reasons.get(key)
        if text is None:
            short = self.tiers.get(tier, tier)
            text = self._reason(
                key, catalog.t("summary.why.unmet", tier=short, condition=condition)
            )
        return text

    def _reason(self, key: tuple[str, str, str], text: str) -> str:
        if len(self._reasons) >= REASONS:
            self._reasons.clear()
        self._reasons[key] = text
        return text

    def unnamed(self, where: str) -> str:
        """The 企业名称 cell of a row without a name (an unreadable file, a file not read
        after a Ctrl-C, a 批量 row with the name left blank): where it is, in brackets, so
        that a printed summary, which leaves 来源文件 out, still says which one it is."""
        return catalog.t("summary.xlsx.unnamed", where=where)

    def industry(self, key: str) -> str:
        text = self._industries.get(key)
        if text is None:
            spec = FIELDS_BY_ID.get("industry")
            text = self._industries[key] = spec.choice_label(key) if spec is not None else key
        return text

    def field(self, field_id: str) -> str:
        """A field's label, "" for an id that names no field."""
        text = self._fields.get(field_id)
        if text is None:
            text = self._fields[field_id] = _field_label(field_id)
        return text

    def advice(self, field_id: str) -> str:
        text = self._advice.get(field_id)
        if text is None:
            text = self._advice[field_id] = _missing_advice(field_id)
        return text


def _info_values(row: ApplicantRow, words: _Words) -> list[Any]:
    out: list[Any] = [None] * len(INFO_FIELDS)
    for i, (field_id, text) in enumerate(zip(INFO_FIELDS, row.info, strict=False)):
        if text:
            out[i] = cell_text(words.industry(text) if field_id == "industry" else text)
    return out


def verdict_text(row: ApplicantRow, ranking: Ranking, words: _Words) -> str:
    """The 结论 column: the official tier reached and its verdict (专精特新 · 通过), or why
    the applicant is not ranked."""
    if row.status != "scored":
        return words.status[row.status]
    if row.index in ranking.superseded:
        return words.verdict_duplicate
    if row.index in ranking.barred:
        return words.verdict_barred
    if not ranking.official:
        return words.status[row.status]
    return words.place(row.ladder_place())


def _missing_labels(row: ApplicantRow, words: _Words) -> list[str]:
    return [words.field(f) or f for f in row.missing]


def _unmet_text(row: ApplicantRow, words: _Words) -> str:
    lines = []
    if row.ineligible:
        size = words.sizes.get(row.size_class or "", row.size_class or "")
        lines += [words.barred(gate, size) for gate in row.ineligible]
    if row.unmet:
        lines += [words.unmet(row.target, u) for u in row.unmet]
    return "\n".join(lines)


def _summary_sheet(
    book: _Book,
    rows: Sequence[ApplicantRow],
    tallies: Sequence[RubricTally],
    ranking: Ranking,
    changes: Mapping[int, Change],
    compare: bool,
    words: _Words,
) -> None:
    """汇总: first what an officer reads and prints (the firm, where and what it is, its
    verdict and why), then the detail for the screen (each rubric's points, notes,
    errors, where each row came from, the report)."""
    groups = _rubric_columns(tallies)
    standing = ranking.standing
    extra: dict[str, None] = {}

    def headings(r: ApplicantRow) -> None:
        if r.extra:
            extra.update(dict.fromkeys(h for h, _ in r.extra))

    ordered = ranked_order(rows, ranking, headings)  # the order worked out, headings met
    t = catalog.t
    # an agency's column named like one of ours (区县) is told apart: 区县（原表）
    ours = {*_info_labels(), t("summary.xlsx.name"), t("summary.xlsx.credit_code")}
    shown = {h: t("summary.xlsx.extra_heading", heading=h) if h in ours else h for h in extra}
    widths = dict(zip(INFO_FIELDS, (7, 8, 9, 10, 14, 14), strict=True))
    columns = [
        _Column(t("summary.xlsx.rank"), 5),
        _Column(t("summary.xlsx.name"), 24),
        _Column(t("summary.xlsx.verdict"), 14),
        _Column(t("summary.xlsx.credit_code"), 20),
        *(_Column(label, widths[f]) for f, label in zip(INFO_FIELDS, _info_labels(), strict=True)),
        *(_Column(shown[heading], 12) for heading in extra),
        _Column(t("summary.xlsx.size"), 6),
        _Column(t("summary.xlsx.score_rate"), 7),
        _Column(t("summary.xlsx.percentile"), 7),
        _Column(t("summary.xlsx.unmet"), 50),
        _Column(t("summary.xlsx.missing_data"), 24),
    ]
    if compare:
        columns += [
            _Column(t("summary.xlsx.previous_verdict"), 14),
            _Column(t("summary.xlsx.previous_score"), 7),
            _Column(t("summary.xlsx.change"), 24),
        ]
    printed = len(columns)
    columns.append(_Column(t("summary.xlsx.report"), 30))
    for tally, prefix in groups:
        columns.append(_Column(t("summary.xlsx.tier_verdict", tier=prefix), 10))
        if tally.max > 0:
            columns += [
                _Column(t("summary.xlsx.tier_points", tier=prefix), 8),
                _Column(t("summary.xlsx.tier_max", tier=prefix), 7),
            ]
            columns += [_Column(f"{prefix}·{title}", 9) for title in tally.classes.values()]
    columns += [
        _Column(t("summary.xlsx.warnings"), 40),
        _Column(t("summary.xlsx.error"), 40),
        _Column(t("summary.xlsx.source"), 24),
        _Column(t("summary.xlsx.sheet"), 7),
        _Column(t("summary.xlsx.row"), 5),
    ]
    ws = _header(book, t("summary.xlsx.sheet_summary"), columns, frozen_columns=2)
    ws.print_columns = printed
    # Labels are our own text, numbers are numbers: only the applicants' text (names,
    # codes, files, messages) needs `cell_text`.
    rubrics = [
        (tally.rubric, tally.max > 0, tuple(tally.classes), 1 + (2 + len(tally.classes)))
        if tally.max > 0
        else (tally.rubric, False, (), 1)
        for tally, _ in groups
    ]
    places: dict[str, str] = {}  # a file or sheet name, as a cell (few, on every row)
    for r in ordered:
        s = standing.get(r.index)
        score = r.rate(ranking.official)
        values: list[Any] = [
            s.rank if s else None,
            cell_text(r.name or words.unnamed(r.where)),
            verdict_text(r, ranking, words),
            cell_text(r.credit_code),
            *_info_values(r, words),
        ]
        if extra:
            own = dict(r.extra)
            values += [cell_text(own[h]) if own.get(h) else None for h in extra]
        values += [
            words.sizes.get(r.size_class or "", r.size_class),
            _number(score) if score is not None else None,
            _number(s.percentile) if s else None,
            cell_text(_unmet_text(r, words)) if r.ineligible or r.unmet else None,
            cell_text("、".join(_missing_labels(r, words))) if r.missing else None,
        ]
        if compare:
            change = changes.get(r.index)
            if change is None:
                new = r.status == "scored" and bool(r.credit_code)
                values += [None, None, t("summary.xlsx.new_firm") if new else None]
            else:
                then = change.then
                moved = word_change(change)
                values += [
                    words.place(then.place),
                    _number(then.rate) if then.rate is not None else None,
                    cell_text("；".join(moved) if moved else t("summary.xlsx.unchanged")),
                ]
        values.append(Link(r.report, cell_text(r.report)) if r.report else None)
        lines = {line.rubric: line for line in r.lines}
        for rubric, scored, classes, width in rubrics:
            line = lines.get(rubric)
            if line is None:
                values += [None] * width
                continue
            values.append(words.verdicts.get(line.pass_status, line.pass_status))
            if scored:
                values += [_number(line.total), _number(line.max)]
                points = {c.id: c.points for c in line.classes}
                values += [_number(points[c]) if c in points else None for c in classes]
        if r.issues or r.error:
            errors = [
                f"{i.where} {words.field(i.field) or i.field}: {i.message}".replace(" : ", ": ")
                for i in r.issues
                if i.kind in ("error", "file")
            ]
            if r.error:
                errors.append(r.error)
            notes = [
                *r.warnings,
                *(i.message for i in r.issues if i.kind in ("duplicate", "unread")),
            ]
            values += [cell_text("\n".join(notes)), cell_text("\n".join(errors))]
        else:
            values += [cell_text("\n".join(r.warnings)) if r.warnings else None, None]
        source = places.get(r.source)
        if source is None:
            source = places[r.source] = cell_text(r.source)
        sheet = places.get(r.sheet) if r.sheet else None
        if r.sheet and sheet is None:
            sheet = places[r.sheet] = cell_text(r.sheet)
        values += [source, sheet, r.row]
        ws.append(values, WRAP)
    ws.filter = f"A1:{column_letter(len(columns))}{max(len(rows) + 1, 2)}"


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _field_label(field_id: str) -> str:
    spec = FIELDS_BY_ID.get(field_id)
    return spec.label if spec is not None else ""


def _within(where: str, source: str) -> str:
    """The 单元格 column: the place inside the file (`申报表.xlsx › 批量!D14` → `批量!D14`, as
    `intake.firm.place` wrote it); "" when the place is the file itself."""
    whole = place(source, None, None)
    if where == whole:
        return ""
    prefix = f"{whole} › "
    return where[len(prefix) :] if where.startswith(prefix) else where


def split_message(message: str) -> tuple[str, str]:
    """(发现的问题, 应如何填写): a catalog message says the problem, then after its first
    colon what to do (企业名称是必填项，不能留空：请填写企业名称)."""
    for mark in ("：", ": "):
        head, sep, tail = message.partition(mark)
        if sep and head and tail:
            return head.strip(), tail.strip()
    return message, ""


def extra_column_notice(source: str, sheet: str, letter: str, heading: str, filled: int) -> Issue:
    """The one notice for a column of a 批量 sheet that names no field (with the field
    its heading may be a misspelling of)."""
    from assess.intake.firm import unknown_field

    where = place(source, sheet or None, None)
    guess = dict(unknown_field(where, heading).params).get("guess")
    if sheet:
        where = f"{where}!{letter}:{letter}"  # the whole column: 批量!BQ:BQ
    if guess:
        key = "summary.issue.extra_column_guess"
        message = catalog.t(key, column=letter, heading=heading, filled=filled, guess=guess)
    else:
        key = "summary.issue.extra_column"
        message = catalog.t(key, column=letter, heading=heading, filled=filled)
    return Issue("warning", where, "", message, key)


def _missing_advice(field_id: str) -> str:
    spec = FIELDS_BY_ID.get(field_id)
    if spec is None:
        return catalog.t("summary.issue.fill", label=field_id)
    if spec.type is FieldType.ENUM:
        return catalog.t("summary.issue.fill_choice", label=spec.label)
    if spec.type is FieldType.BOOL:
        return catalog.t("summary.issue.fill_yes_no", label=spec.label)
    if spec.type is FieldType.TEXT:
        return catalog.t("summary.issue.fill_text", label=spec.label)
    unit = catalog.t("summary.issue.unit", unit=spec.unit) if spec.unit else ""
    return catalog.t("summary.issue.fill", label=spec.label + unit)


def _issues_sheet(
    book: _Book, rows: Sequence[ApplicantRow], notices: Sequence[Issue], words: _Words
) -> int:
    t = catalog.t
    ws = _header(
        book,
        t("summary.xlsx.sheet_issues"),
        [
            _Column(t("summary.xlsx.firm"), 26),
            _Column(t("summary.xlsx.credit_code"), 20),
            _Column(t("summary.xlsx.cell"), 12),
            _Column(t("summary.xlsx.item"), 22),
            _Column(t("summary.xlsx.problem"), 44),
            _Column(t("summary.xlsx.how_to_fill"), 44),
            _Column(t("summary.xlsx.kind"), 10),
            _Column(t("summary.xlsx.source"), 22),
            # for counting problems by kind in any language: kept, not printed
            _Column(t("summary.xlsx.field_id"), 16, hidden=True),
            _Column(t("summary.xlsx.code"), 24, hidden=True),
        ],
    )
    n = 0

    def line(
        r: ApplicantRow | None,
        kind: str,
        where: str,
        field_id: str,
        msg: str,
        code: str,
        advice: str = "",
    ) -> None:
        nonlocal n
        n += 1
        problem, how = split_message(msg)
        source = r.source if r is not None else where.split(" › ", 1)[0]
        ws.append(
            [
                cell_text(r.name) if r is not None else None,
                cell_text(r.credit_code) if r is not None else None,
                cell_text(_within(where, source)),
                words.field(field_id) or (cell_text(field_id) if field_id else None),
                cell_text(problem),
                cell_text(advice or how),
                t("summary.xlsx.kind_missing")
                if kind == "missing"
                else words.issues.get(kind, kind),
                cell_text(source),
                cell_text(field_id) if field_id else None,
                code or None,
            ],
            WRAP,
        )

    missing = t("summary.issue.missing")
    for notice in notices:
        line(None, notice.kind, notice.where, notice.field, notice.message, notice.code)
    for r in rows:
        for item in r.issues:
            if item.kind != "unread":  # nothing to send back: the run was cut short
                line(r, item.kind, item.where, item.field, item.message, item.code)
        for w in r.warnings:
            line(r, "warning", r.where, "", w, "")
        if r.missing and any(line_.pass_status in OPEN for line_ in r.lines):
            cells = r.cells if len(r.cells) == len(r.missing) else ("",) * len(r.missing)
            for field_id, letter in zip(r.missing, cells, strict=True):
                where = f"{r.sheet}!{letter}{r.row}" if letter and r.sheet and r.row else r.where
                line(
                    r,
                    "missing",
                    where,
                    field_id,
                    missing,
                    "summary.issue.missing",
                    words.advice(field_id),
                )
    if not n:
        ws.append([cell(t("summary.xlsx.no_issues"))])
    ws.filter = f"A1:J{max(n + 1, 2)}"
    return n


def _stats_sheet(
    book: _Book,
    cohort: Cohort,
    tallies: Sequence[RubricTally],
    info: RunInfo,
    duplicates: int,
    issues: int,
    ranking: Ranking,
    new: Sequence[ApplicantRow],
    gone: Sequence[Then],
) -> None:
    t = catalog.t
    ws = book.sheet(t("summary.xlsx.sheet_stats"), (52, 14, 10, 10, 10, 10, 10, 10, 10))
    ws.append([t("summary.xlsx.stats_item"), t("summary.xlsx.stats_value")], HEADER)
    ws.repeat_header = False

    def title(text: str) -> None:
        ws.skip()
        ws.append([cell_text(text)], BOLD)

    def line(*values: object) -> None:
        ws.append([cell(v) for v in values])

    title(t("summary.xlsx.round"))
    if info.round_name:
        line(t("summary.xlsx.round_name"), info.round_name)
    line(t("summary.xlsx.generated"), info.generated)
    line(t("summary.xlsx.version"), info.version)
    line(t("summary.xlsx.rubrics"), info.rubrics)
    line(t("summary.xlsx.pdf"), info.pdf)
    if info.interrupted:
        line(t("summary.xlsx.status"), t("summary.xlsx.interrupted"))
    for i, path in enumerate(info.inputs, start=1):
        line(
            t("summary.xlsx.input", number=i)
            if len(info.inputs) > 1
            else t("summary.xlsx.input_one"),
            path,
        )

    title(t("summary.xlsx.ranking_rule"))
    rule = "summary.rule.official" if info.official else "summary.rule.own"
    for sentence in re.split(r"(?<=[。；;])\s*|(?<=\.)\s+", t(rule)):
        if sentence:
            ws.append([cell_text(sentence)])  # one clause a row: nothing to wrap or cut

    title(t("summary.xlsx.firms"))
    line(t("summary.xlsx.applicants"), cohort.total)
    for status, label in STATUS_LABELS.items():
        if status != "pending" or cohort.counts.get(status):
            line(label, cohort.counts.get(status, 0))
    line(t("summary.xlsx.ranked"), ranking.size)
    line(t("summary.xlsx.barred"), len(ranking.barred))
    line(t("summary.xlsx.duplicates"), duplicates)
    line(t("summary.xlsx.issue_lines"), issues)

    title(t("summary.xlsx.tiers"))
    line(
        t("summary.xlsx.tier"),
        t("summary.xlsx.assessed"),
        t("summary.xlsx.pass"),
        t("summary.xlsx.platform"),
        t("summary.xlsx.undetermined"),
        t("summary.xlsx.fail"),
        t("summary.xlsx.pass_rate"),
    )
    for tally, label in _rubric_columns(tallies):
        line(
            label,
            tally.n,
            tally.outcomes["pass"],
            tally.outcomes.get("platform_pending", 0),
            tally.outcomes["undetermined"],
            tally.outcomes["fail"],
            tally.pass_rate,
        )

    unmet = cohort.most_unmet()
    if unmet:
        title(t("summary.xlsx.most_unmet"))
        line(t("summary.xlsx.condition"), t("summary.xlsx.tier"), t("summary.xlsx.firms"))
        for tier, condition, count in unmet:
            line(condition, TIER_SHORT.get(tier, tier), count)

    for heading, table in (
        (t("summary.xlsx.by_region"), region_rows(cohort)),
        (t("summary.xlsx.by_industry"), industry_rows(cohort)),
    ):
        if len(table) > 1 or (table and table[0][0] != t("summary.xlsx.not_given")):
            title(heading)
            line(
                "",
                t("summary.xlsx.scored"),
                *(t("summary.xlsx.passed_tier", tier=TIER_SHORT.get(x, x)) for x in LADDER_TIERS),
            )
            for name, counts in table:
                line(name, *counts)

    if cohort.scores:
        title(t("summary.xlsx.distribution"))
        line(t("summary.xlsx.band"), t("summary.xlsx.firms"))
        for b in cohort.histogram():
            line(
                f"{b.low}–{b.high}" + (t("summary.xlsx.incl_100") if b.high == 100 else ""), b.count
            )
        bands = cohort.bands()
        title(t("summary.xlsx.percentiles"))
        line("", *(f"P{q}" for q in PERCENTILES))
        line(t("summary.xlsx.score_rate_short"), *(bands[q] for q in PERCENTILES))

    weakest = cohort.weakest()
    if weakest:
        title(t("summary.xlsx.weakest"))
        line(
            t("summary.xlsx.indicator"),
            t("summary.xlsx.tier"),
            t("summary.xlsx.mean"),
            t("summary.xlsx.firms"),
            t("summary.xlsx.missing"),
        )
        for w in weakest:
            tier = cohort.rubrics[w.rubric].tier if w.rubric in cohort.rubrics else w.rubric
            line(w.title, TIER_SHORT.get(tier, tier), w.mean_percent, w.n, w.unknown)

    if info.previous:
        title(t("summary.xlsx.previous", folder=info.previous))
        line(t("summary.xlsx.new_firms"), len(new))
        for r in new:
            line("", r.name, r.credit_code)
        line(t("summary.xlsx.gone_firms"), len(gone))
        for then in gone:
            line("", then.name, then.credit_code, word_place(then.place))
    ws.filter = "A1:B1"


def region_rows(cohort: Cohort) -> list[tuple[str, list[int]]]:
    """(province city district, [scored, passed each tier]) by applicants, most first."""
    provinces = {k[0] for k in cohort.regions}
    out = []
    for (province, city, district), counts in cohort.regions.items():
        parts = [city, district] if len(provinces) == 1 else [province, city, district]
        name = " ".join(p for p in parts if p) or catalog.t("summary.xlsx.not_given")
        out.append((name, counts))
    return sorted(out, key=lambda kv: (-kv[1][0], kv[0]))


def industry_rows(cohort: Cohort) -> list[tuple[str, list[int]]]:
    spec = FIELDS_BY_ID.get("industry")
    out = []
    for key, counts in cohort.industries.items():
        name = (
            (spec.choice_label(key) if spec else key)
            if key
            else catalog.t("summary.xlsx.not_given")
        )
        out.append((name, counts))
    return sorted(out, key=lambda kv: (-kv[1][0], kv[0]))


def write_book(
    fh: IO[bytes],
    rows: Sequence[ApplicantRow],
    cohort: Cohort,
    ranking: Ranking | Mapping[int, Standing],
    info: RunInfo,
    *,
    duplicates: int = 0,
    changes: Mapping[int, Change] | None = None,
    new: Sequence[ApplicantRow] = (),
    gone: Sequence[Then] = (),
    notices: Sequence[Issue] = (),
) -> None:
    """The workbook into `fh` (seekable).  `rows` in input order, every applicant of the
    round."""
    if not isinstance(ranking, Ranking):
        ranking = Ranking(dict(ranking), official=info.official)
    book = _Book(fh)
    try:
        tallies = cohort.ordered_rubrics()
        words = _Words()
        _summary_sheet(book, rows, tallies, ranking, changes or {}, bool(info.previous), words)
        issues = _issues_sheet(book, rows, notices, words)
        _stats_sheet(book, cohort, tallies, info, duplicates, issues, ranking, new, gone)
        book.close()
    except BaseException:
        book.abandon()
        raise
    finally:
        book.shutdown()


def summary_bytes(
    rows: Sequence[ApplicantRow],
    cohort: Cohort,
    ranking: Ranking | Mapping[int, Standing],
    info: RunInfo,
    **options: Any,
) -> bytes:
    """The workbook as bytes (`write_book`)."""
    buffer = io.BytesIO()
    write_book(buffer, rows, cohort, ranking, info, **options)
    return buffer.getvalue()


def write_summary(
    path: Path,
    rows: Sequence[ApplicantRow],
    cohort: Cohort,
    ranking: Ranking | Mapping[int, Standing],
    info: RunInfo,
    **options: Any,
) -> None:
    """summary.xlsx, written atomically, straight into its temp file (`write_book`)."""
    from assess.atomic import atomic_stream

    with atomic_stream(path) as fh:
        write_book(fh, rows, cohort, ranking, info, **options)
