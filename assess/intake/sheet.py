"""What both sheet readers share: a sheet's rows and facts, and reading one value cell.

A `CellReader` collects, for one firm, the typed values and every problem at once, each
naming its cell; `record` turns them into the firm's `Record`.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from assess.catalog import Message
from assess.errors import Problem
from assess.fields import Field
from assess.intake.firm import Record, make_firm, note_problem
from assess.intake.places import cell_place, place
from assess.intake.values import FieldValue, ValueProblem, parse_value


@dataclass
class Sheet:
    source: str  # the file, as given
    name: str
    rows: Iterator[tuple[int, list[Any]]]  # (row from 0, values from column A)
    bad: dict[tuple[int, int], Message]
    percent: dict[int, array[int]]  # column → rows of its cells formatted as percentages

    @property
    def place(self) -> str:
        """`申报表.xlsx › 问卷`."""
        return place(self.source, self.name)

    def ref(self, row: int, col: int) -> str:
        """`申报表.xlsx › 问卷!D14` for the cell at (row, col) from 0."""
        return cell_place(self.source, self.name, row, col)

    def percent_cells(self, col: int) -> set[int]:
        """Rows (from 0) where column `col` is formatted as a percentage."""
        return set(self.percent.get(col, ()))


@dataclass(frozen=True)
class Raw:
    """What a refused record was read from, for a caller that names it as best it can
    (`assess.batch.inputs.who`): the sheet's rows from its first (row 1, `[]` for a row
    before the sheet's first filled one): all of a 问卷 sheet, a 批量 sheet's first
    `labels.HEADER_SEARCH_ROWS`; and for a 批量 row, that row (values from column A)."""

    grid: Sequence[Sequence[Any]]
    row: Sequence[Any] | None = None


# A record as a reader yields it: with `Raw` when it was refused (no firm), else None.
Read = tuple[Record, Raw | None]


def sheet_rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    """(row from 0, values from column A) of a calamine sheet."""
    start = sheet.start
    if start is None:
        return
    r0, c0 = start
    pad = [""] * c0
    for i, row in enumerate(sheet.iter_rows()):
        yield r0 + i, (pad + row if c0 else row)


def blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


class CellReader:
    """Reads one value cell of one field, collecting problems in the record's format."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.problems: list[Problem] = []
        self.values: dict[str, FieldValue] = {}
        self.notices: list[Problem] = []  # what was changed in a value, with its cell
        self._notes: list[Message] = []

    def cell(self, spec: Field, row: int, col: int, raw: object, percent: bool) -> bool:
        """Parse one cell; True when it held something (a value or a problem)."""
        why = self.sheet.bad.get((row, col)) if self.sheet.bad else None
        if why is not None:
            self.problems.append(
                Problem.coded(self.sheet.ref(row, col), spec.id, why.code, **why.params)
            )
            return True
        if raw == "" or raw is None:
            return False
        if percent and isinstance(raw, float):
            raw = Decimal(repr(raw)).scaleb(2)  # 0.124 shown as 12.4% means 12.4
        try:
            value = parse_value(spec, raw, self._notes)
        except ValueProblem as exc:
            self.problems.append(
                Problem.coded(self.sheet.ref(row, col), spec.id, exc.code, **exc.params)
            )
            return True
        if self._notes:
            at = self.sheet.ref(row, col)
            self.notices += [note_problem(at, spec.id, note) for note in self._notes]
            self._notes.clear()
        if value is None:
            return False
        self.values[spec.id] = value
        return True


def record(sheet: Sheet, row: int | None, reader: CellReader, notices: list[Problem]) -> Record:
    """The firm read from `sheet` (a 批量 `row` from 1, or None for the 问卷 sheet)."""
    if reader.problems:
        return Record(sheet.source, row, None, tuple(reader.problems), sheet.name)
    firm = make_firm(
        reader.values, place(sheet.source, sheet.name, row), (*notices, *reader.notices)
    )
    return Record(sheet.source, row, firm, (), sheet.name)
