"""The batch-sheet reader: one firm per row of a 批量 sheet.

The header (field ids, or 项目 labels) is found by `labels.find_header`; columns may be in
any order.  Each row becomes its own `Record`, so a bad row never sinks the others; a
blank row is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from itertools import chain, islice
from typing import Any

from assess.errors import InputError, Problem
from assess.fields import FIELDS, Field, FieldType
from assess.intake.firm import Record, unknown_field
from assess.intake.labels import HEADER_SEARCH_ROWS, Header, at, find_header
from assess.intake.layout import BATCH_ID_ROW, BATCH_LABEL_ROW
from assess.intake.places import col_letter
from assess.intake.sheet import CellReader, Raw, Read, Sheet, blank, record


def _check_header(header: Header, header_row: int, sheet: Sheet) -> None:
    """Every required field has a column, and no field has two."""
    problems = []
    first_col: dict[str, int] = {}
    for col, spec in header.columns:
        if spec.id in first_col:
            problems.append(
                Problem.coded(
                    sheet.ref(header_row, col),
                    spec.id,
                    "intake.batch.column_twice",
                    label=spec.label,
                    first=col_letter(first_col[spec.id]),
                )
            )
        first_col.setdefault(spec.id, col)
    for spec in FIELDS:
        if spec.required and spec.id not in first_col:
            problems.append(
                Problem.coded(sheet.place, spec.id, "intake.batch.no_column", label=spec.label)
            )
    if problems:
        raise InputError(problems)


def _other_columns(header: Header, rows: list[list[Any]], named: set[int]) -> dict[int, str]:
    """Column → its heading, for the columns that hold no field: an agency's own (推荐单位,
    园区) or a misspelt field id.  The 项目 row's heading if it has one, else the id row's."""
    ids = rows[header.ids_at] if header.ids_at is not None else []
    labels = rows[header.labels_at] if header.labels_at is not None else []
    out: dict[int, str] = {}
    for col in range(max(len(ids), len(labels))):
        if col in named:
            continue
        title = _text(at(labels, col)) or _text(at(ids, col))
        if title:
            out[col] = title
    return out


def _text(raw: object) -> str:
    """A cell as the summary shows it: text as typed, a whole number without ".0"."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def read_batch(sheet: Sheet) -> list[Record]:
    """One record per filled row of a 批量 sheet."""
    return [made for made, _ in batch_rows(sheet)]


def batch_rows(sheet: Sheet) -> Iterator[Read]:
    """The records of a 批量 sheet, one per filled row, read as they are asked for.  The
    sheet's header is read and checked at once: a sheet without a usable one raises
    `InputError` here, before any row is read."""
    head = list(islice(sheet.rows, HEADER_SEARCH_ROWS))
    if not head:
        return iter(())
    header = find_header([row for _, row in head])
    if header is None:
        raise InputError(
            [
                Problem.coded(
                    sheet.place,
                    "",
                    "intake.batch.no_header",
                    ids=BATCH_ID_ROW,
                    labels=BATCH_LABEL_ROW,
                )
            ]
        )
    _check_header(header, head[header.last][0], sheet)
    columns: list[tuple[int, Field]] = list(header.columns)
    percent = {
        col: sheet.percent_cells(col) for col, spec in columns if spec.type is FieldType.PERCENT
    }
    sheet.percent = {}  # the rows need only these columns' sets
    # The sheet's first rows as they stand in it, from row 1: what a refused row is named by
    grid: list[list[Any]] = [[] for _ in range(min(head[0][0], HEADER_SEARCH_ROWS))]
    grid += [row for r, row in head if r < HEADER_SEARCH_ROWS]
    return _rows(sheet, header, head, percent, grid)


def _rows(
    sheet: Sheet,
    header: Header,
    head: list[tuple[int, list[Any]]],
    percent: dict[int, set[int]],
    grid: list[list[Any]],
) -> Iterator[Read]:
    columns: list[tuple[int, Field]] = list(header.columns)
    required = [(col, spec) for col, spec in columns if spec.required]
    letters = {spec.id: col_letter(col) for col, spec in columns}
    others = _other_columns(header, [row for _, row in head], {col for col, _ in columns})
    bad_rows = {r for r, _ in sheet.bad}  # a formula's cell reads "": it must be looked at
    for r, row in chain(head[header.last + 1 :], sheet.rows):
        reader = CellReader(sheet)
        held = False
        n = len(row)
        look = r in bad_rows
        for col, spec in columns:
            raw = row[col] if col < n else ""
            if raw == "" and not look:
                continue
            held |= reader.cell(spec, r, col, raw, col in percent and r in percent[col])
        if not held:
            continue  # a blank row
        # A column that names no field is carried through (`Firm.extra`) as well: a batch
        # says so once per column instead of these notices for every row.
        notices = [
            unknown_field(sheet.ref(r, col), name)
            for col, name in header.unknown.items()
            if not blank(at(row, col))
        ]
        for col, spec in required:
            if spec.id not in reader.values and not any(p.path == spec.id for p in reader.problems):
                reader.problems.append(
                    Problem.coded(
                        sheet.ref(r, col),
                        spec.id,
                        "intake.value.required",
                        label=spec.label,
                    )
                )
        made = record(sheet, r + 1, reader, notices)
        if made.firm is None:
            yield made, Raw(grid, row)
            continue
        extra = tuple((col_letter(col), name, _text(at(row, col))) for col, name in others.items())
        yield replace(made, firm=replace(made.firm, extra=extra, columns=letters)), None
