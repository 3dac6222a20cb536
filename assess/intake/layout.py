"""The questionnaire workbook's layout, shared by the template writer and the readers."""

from __future__ import annotations

from collections.abc import Iterable

from assess.intake.labels import norm

SHEET_GUIDE = "填写说明"
SHEET_FORM = "问卷"
SHEET_BATCH = "批量"
SHEET_LISTS = "选项"  # hidden; only for dropdown lists too long to write inline
FORM_HEADER = ("字段ID", "项目", "单位", "填写值", "说明")
FORM_ID_COL, FORM_LABEL_COL, FORM_VALUE_COL = 0, 1, 3  # A, B, D
BATCH_LABEL_ROW, BATCH_ID_ROW, BATCH_FIRST_ROW = 1, 2, 3
BATCH_ROWS = 5000  # rows of the 批量 sheet that carry validation


def find_sheet(names: Iterable[str], wanted: str) -> str | None:
    """The sheet called `wanted` (ignoring width and spaces: `问 卷`, full-width), or None."""
    for name in names:
        if norm(name) == wanted:
            return name
    return None
