"""The Excel questionnaire, by its former single-module name.

The work is done in rooms of one job each: `template` (write the questionnaire),
`labels` (which field a header names), `guard` (refuse what must not reach a parser),
`cells` (what calamine cannot tell about a cell), `form` (the 问卷 sheet), `batch_sheet`
(the 批量 sheet) and `workbook` (`read_workbook`).  The names below stay importable from
here for the modules and tests that still import them from this one.
"""

from __future__ import annotations

from assess.intake.cells import percent_rows, scan_bad_cells
from assess.intake.guard import MAX_ENTRIES, MAX_RATIO, MAX_TOTAL_BYTES, RATIO_CHECK_FROM
from assess.intake.labels import field_by_label
from assess.intake.labels import header_label as _header_label
from assess.intake.layout import (
    BATCH_FIRST_ROW,
    BATCH_ID_ROW,
    BATCH_LABEL_ROW,
    BATCH_ROWS,
    FORM_HEADER,
    FORM_ID_COL,
    FORM_LABEL_COL,
    FORM_VALUE_COL,
    SHEET_BATCH,
    SHEET_FORM,
    SHEET_GUIDE,
    SHEET_LISTS,
)
from assess.intake.places import col_letter
from assess.intake.template import (
    BASIC_FIELDS,
    GUIDE_EXAMPLES,
    _Lists,
    cell_value,
    template_fields,
    write_template,
)
from assess.intake.uses import field_uses
from assess.intake.workbook import read_workbook

__all__ = [
    "BASIC_FIELDS",
    "BATCH_FIRST_ROW",
    "BATCH_ID_ROW",
    "BATCH_LABEL_ROW",
    "BATCH_ROWS",
    "FORM_HEADER",
    "FORM_ID_COL",
    "FORM_LABEL_COL",
    "FORM_VALUE_COL",
    "GUIDE_EXAMPLES",
    "MAX_ENTRIES",
    "MAX_RATIO",
    "MAX_TOTAL_BYTES",
    "RATIO_CHECK_FROM",
    "SHEET_BATCH",
    "SHEET_FORM",
    "SHEET_GUIDE",
    "SHEET_LISTS",
    "_Lists",
    "_header_label",
    "cell_value",
    "col_letter",
    "field_by_label",
    "field_uses",
    "percent_rows",
    "read_workbook",
    "scan_bad_cells",
    "template_fields",
    "write_template",
]
