"""The questionnaire reader: one firm from a 问卷 sheet (field id in A, value in D).

The header row (字段ID, 项目, 单位, 填写值, 说明) may have moved: it is looked for in the
first rows, and a row is matched to its field by its id, else by its 项目 label.
"""

from __future__ import annotations

from typing import Any

from assess.errors import Problem
from assess.fields import FIELDS, FIELDS_BY_ID, FieldType
from assess.intake.firm import Record, unknown_field
from assess.intake.labels import IDENT, at, field_by_label, norm
from assess.intake.layout import FORM_HEADER, FORM_ID_COL, FORM_LABEL_COL, FORM_VALUE_COL
from assess.intake.sheet import CellReader, Sheet, blank, record


def form_layout(rows: list[tuple[int, list[Any]]]) -> tuple[int, int, int, int]:
    """(first row after the header, id column, label column, value column)."""
    heads = {norm(h): i for i, h in enumerate(FORM_HEADER)}
    for index, (_, row) in enumerate(rows[:30]):
        found = {
            heads[norm(c)]: ci
            for ci, c in enumerate(row)
            if isinstance(c, str) and norm(c) in heads
        }
        if FORM_VALUE_COL in found or len(found) >= 2:
            return (
                index + 1,
                found.get(0, FORM_ID_COL),
                found.get(1, FORM_LABEL_COL),
                found.get(FORM_VALUE_COL, FORM_VALUE_COL),
            )
    return 0, FORM_ID_COL, FORM_LABEL_COL, FORM_VALUE_COL


def read_form(sheet: Sheet) -> Record | None:
    """The firm on a 问卷 sheet, or None when the sheet holds no value at all."""
    rows = list(sheet.rows)
    first, id_col, label_col, value_col = form_layout(rows)
    reader = CellReader(sheet)
    seen: dict[str, str] = {}
    notices: list[Problem] = []
    held = False
    percent = sheet.percent_cells(value_col)
    for r, row in rows[first:]:
        key = at(row, id_col)
        spec = FIELDS_BY_ID.get(key.strip()) if isinstance(key, str) else None
        if spec is None:
            label = at(row, label_col)
            spec = field_by_label(label) if isinstance(label, str) and label.strip() else None
        raw = at(row, value_col)
        if spec is None:
            if isinstance(key, str) and IDENT.match(key.strip()) and not blank(raw):
                notices.append(unknown_field(sheet.ref(r, id_col), key.strip()))
            continue
        ref = sheet.ref(r, value_col)
        if spec.id in seen:
            first_at = seen[spec.id].rsplit("!", 1)[-1]
            reader.problems.append(
                Problem.coded(ref, spec.id, "intake.value.twice", label=spec.label, first=first_at)
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
            and spec.id not in {p.path for p in reader.problems}
        ):
            where = seen.get(spec.id, sheet.place)
            reader.problems.append(
                Problem.coded(where, spec.id, "intake.value.required", label=spec.label)
            )
    return record(sheet, None, reader, notices)
