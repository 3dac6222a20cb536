"""The cell scanner: what python-calamine cannot tell about a cell, read from the sheet XML.

calamine gives "" both for a formula without a saved result and for one whose result is
an error, and gives 0.124 for a cell formatted to show "12.4%".  These scans find such
cells in the raw XML, byte-wise and without parsing it, so that the readers can name them;
they run before calamine parses the sheet, so that its XML is let go first.
"""

from __future__ import annotations

import re
from array import array
from pathlib import Path
from xml.sax.saxutils import unescape

from assess.catalog import Message
from assess.intake.places import col_index

_F_TAG = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")
_C_START = re.compile(rb"<(?:[\w.-]+:)?c[\s>/]")
_C_END = re.compile(rb"</(?:[\w.-]+:)?c>")
_V_TEXT = re.compile(rb"<(?:[\w.-]+:)?v(?:\s[^>]*)?>([^<]*)</")
_F_TEXT = re.compile(rb"<(?:[\w.-]+:)?f(?:\s[^>]*)?>([^<]*)</")
_ATTR_R = re.compile(rb'\sr="([A-Z]+)(\d+)"')
_ATTR_T = re.compile(rb'\st="(\w+)"')
_ERROR_T = re.compile(rb'\st="e"')


class NoCellRefs(Exception):
    """A sheet whose cells do not carry their `r` address: the slow path reads it."""


def scan_bad_cells(xml: bytes) -> dict[tuple[int, int], Message]:
    """(row, column) from 0 → why the cell's value cannot be used: a formula without a
    saved result, or an error result such as #DIV/0!."""
    # Most sheets hold neither; a plain substring test (far faster than the patterns) says
    # so, and only a sheet that may hold one is searched with them.
    formulas = b"<f" in xml or b":f" in xml
    errors = b'="e"' in xml
    hits = sorted(
        ({m.start() for m in _F_TAG.finditer(xml)} if formulas else set())
        | ({m.start() for m in _ERROR_T.finditer(xml)} if errors else set())
    )
    bad: dict[tuple[int, int], Message] = {}
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
            raise NoCellRefs
        where = (int(ref.group(2)) - 1, col_index(ref.group(1).decode()))
        kind = _ATTR_T.search(tag)
        cell_type = kind.group(1).decode() if kind else "n"
        value = _V_TEXT.search(body)
        formula = _F_TEXT.search(body)
        shown = (
            unescape(formula.group(1).decode("utf-8", "replace"))
            if formula and formula.group(1)
            else ""
        )
        if cell_type == "e":
            error = value.group(1).decode() if value else "#VALUE!"
            bad[where] = _cell_error(error, shown)
        elif _F_TAG.search(body) and (value is None or (not value.group(1) and cell_type != "str")):
            bad[where] = Message("intake.value.formula_unsaved", {"formula": shown})
    return bad


def _cell_error(error: str, formula: str) -> Message:
    if formula:
        return Message("intake.value.cell_error_formula", {"error": error, "formula": formula})
    return Message("intake.value.cell_error", {"error": error})


def scan_with_openpyxl(path: Path, sheet: str) -> dict[tuple[int, int], Message]:
    """The slow path for the rare sheet without cell addresses."""
    import openpyxl

    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    bad: dict[tuple[int, int], Message] = {}
    try:
        for row_f, row_v in zip(
            formulas[sheet].iter_rows(), values[sheet].iter_rows(), strict=False
        ):
            for cf, cv in zip(row_f, row_v, strict=False):
                where = (getattr(cf, "row", 0) - 1, getattr(cf, "column", 0) - 1)
                if getattr(cv, "data_type", "") == "e":
                    bad[where] = _cell_error(str(cv.value), "")
                elif getattr(cf, "data_type", "") == "f" and cv.value is None:
                    formula = str(cf.value).removeprefix("=")
                    bad[where] = Message("intake.value.formula_unsaved", {"formula": formula})
    finally:
        formulas.close()
        values.close()
    return bad


def percent_cells(xml: bytes, xfs: frozenset[int]) -> dict[int, array[int]]:
    """Column (from 0) → the rows (from 0) of its cells that have a percentage number
    format: the whole sheet at once, so that its XML need not be kept until the header
    says which columns hold percentages (rows as 4-byte integers: a sheet whose every cell
    is so formatted costs 4 bytes a cell, not a set entry)."""
    out: dict[int, array[int]] = {}
    if not xfs:
        return out
    styles = b"|".join(str(x).encode() for x in sorted(xfs))
    for m in re.finditer(rb'\ss="(?:' + styles + rb')"', xml):
        tag_start = xml.rfind(b"<", 0, m.start())
        tag_end = xml.find(b">", m.end())
        if tag_start < 0 or not _C_START.match(xml, tag_start):
            continue  # a row's or a column's style, not a cell's
        ref = _ATTR_R.search(xml, tag_start, tag_end if tag_end >= 0 else len(xml))
        if ref is None:
            continue
        row = int(ref.group(2)[:10]) - 1
        if not 0 <= row < 2**32:
            continue  # no such row: calamine refuses the sheet
        col = col_index(ref.group(1).decode())
        rows = out.get(col)
        if rows is None:
            rows = out[col] = array("I")
        rows.append(row)
    return out
