"""Which field a header names: field ids, Chinese labels (with or without a unit or a
`*`), and the header rows of a 批量 sheet.

The template writer and both sheet readers use these, and so may anyone who looks for a
field's column in a filled workbook (`find_header`), so that a header is recognised the
same way everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assess.fields import FIELDS, FIELDS_BY_ID, Field, local_fields

HEADER_SEARCH_ROWS = 12  # a 批量 sheet's header is within its first rows

IDENT = re.compile(r"^[a-z][a-z0-9_]*$")  # what a field id looks like
_UNIT_SUFFIX = re.compile(r"\([^()]*\)$")


def norm(text: str) -> str:
    """Text as compared with a label or a sheet name: NFKC, without spaces."""
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u00a0", "").strip()


def _label_key(text: str) -> str:
    return norm(text).lstrip("*").rstrip("*")


def _build_labels() -> dict[str, Field]:
    out: dict[str, Field] = {}
    for spec in FIELDS:
        # Both languages: a questionnaire is read the same whatever language is in force.
        for label in (spec.label_zh, *spec.aliases, spec.label_en):
            if not label:
                continue
            out.setdefault(_label_key(label), spec)
    return out


_LABELS = _build_labels()


def field_by_label(text: str) -> Field | None:
    """The field a Chinese header names: `* 上年度营业收入(万元)` → revenue; a field a
    loaded rubric declared is found by its label too."""
    key = _label_key(text)
    bare = _UNIT_SUFFIX.sub("", key) if key.endswith(")") else key  # drop "(万元)", "(%)"
    spec = _LABELS.get(key) or _LABELS.get(bare)
    if spec is None:
        for local in local_fields():
            names = {_label_key(x) for x in (local.label_zh, local.label_en) if x}
            if names & {key, bare}:
                return local
    return spec


def header_label(spec: Field, marked: bool | None = None) -> str:
    """`* 企业名称`, `上年度营业收入(万元)`: the 批量 sheet's row 1 (`marked`: whether to
    star it; by default, when the reader requires it)."""
    star = "* " if (spec.required if marked is None else marked) else ""
    unit = f"({spec.unit})" if spec.unit else ""
    return f"{star}{spec.label}{unit}"


def at(row: Sequence[Any], col: int) -> Any:
    """The value at `col` of a row, "" past its end."""
    return row[col] if col < len(row) else ""


@dataclass(frozen=True)
class Header:
    """The header of a 批量 sheet: where it is and which field each column holds."""

    ids_at: int | None  # index (in the rows searched) of the field-id row
    labels_at: int | None  # index of the 项目 label row
    columns: tuple[tuple[int, Field], ...]  # (column from 0, field), a field may repeat
    unknown: dict[int, str]  # column → an id-like header that names no field

    @property
    def last(self) -> int:
        """Index of the header's last row: the data start on the next one."""
        return max(i for i in (self.ids_at, self.labels_at) if i is not None)

    def column_of(self, field_id: str) -> int | None:
        """The first column holding `field_id`, or None."""
        for col, spec in self.columns:
            if spec.id == field_id:
                return col
        return None


def find_header(rows: Sequence[Sequence[Any]]) -> Header | None:
    """The header among a 批量 sheet's first rows (values from column A), or None.

    The field-id row wins (row 2 of the template); without one, a row of 项目 labels
    (row 1) will do.  A column is named by its id, else by its label.
    """
    id_at: int | None = None
    label_at: int | None = None
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        texts = [c.strip() for c in row if isinstance(c, str) and c.strip()]
        ids = sum(1 for c in texts if c in FIELDS_BY_ID)
        if ids >= 2 or (ids and all(IDENT.match(c) for c in texts)):
            id_at = index
            break
        labels = sum(1 for c in row if isinstance(c, str) and c.strip() and field_by_label(c))
        if labels >= 2 and label_at is None:
            label_at = index
    if id_at is None and label_at is None:
        return None
    if id_at is not None and id_at > 0 and label_at is None:
        label_at = id_at - 1
    ids_row = rows[id_at] if id_at is not None else []
    labels_row = rows[label_at] if label_at is not None else []
    columns: list[tuple[int, Field]] = []
    unknown: dict[int, str] = {}
    for col in range(max(len(ids_row), len(labels_row))):
        key, label = at(ids_row, col), at(labels_row, col)
        spec = FIELDS_BY_ID.get(key.strip()) if isinstance(key, str) else None
        if spec is None and isinstance(label, str) and label.strip():
            spec = field_by_label(label)
        if spec is not None:
            columns.append((col, spec))
        elif isinstance(key, str) and IDENT.match(key.strip()):
            unknown[col] = key.strip()
    return Header(id_at, label_at, tuple(columns), unknown)
