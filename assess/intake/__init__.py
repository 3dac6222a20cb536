"""Firm data in: JSON, YAML and Excel workbooks become `Record`s of checked `Firm`s.

`load_records(path)` is the one entry point for the CLI: a file it cannot read at all
raises `InputError` with one line naming the file; a firm whose values are wrong becomes a
`Record` with its problems, so one bad row of a 批量 sheet never sinks the others.
The Excel side is imported on demand, so that scoring JSON does not pay for loading
openpyxl or calamine; each module does one job:

* `values` (what a typed value may be, for every path), `firm` (JSON/YAML files, `Firm`,
  `Record`), `checks` (cross-field warnings), `places` (how a place is written);
* `template` (write the questionnaire), `uses` (which rubric part reads which field, for
  the template), `labels` (which field a header names; `find_header` for a 批量 sheet),
  `layout` (sheet names, rows and columns of the questionnaire);
* `guard` (refuse, before any parser, what is not a sound .xlsx: zip bombs, DTDs, a
  sheet whose box would exhaust memory), `cells` (what calamine cannot tell about a
  cell), `sheet`, `form`, `batch_sheet` (the readers) and `workbook` (`read_workbook`).

`excel` re-exports the names other modules imported from it when it held all of these.
"""

from __future__ import annotations

from pathlib import Path

from assess.errors import InputError
from assess.intake.firm import Firm, Record, firm_from_mapping, load_firm_file, read_mapping

__all__ = ["EXCEL_SUFFIXES", "Firm", "Record", "load_firm_file", "load_records"]

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")
# Read by the workbook reader only to refuse them with a clear reason.
REFUSED_SUFFIXES = (".xls", ".csv", ".et", ".ods", ".numbers")


def load_records(path: Path) -> list[Record]:
    """Every firm in `path` (.json/.yaml: one; .xlsx: one per 问卷 sheet or 批量 row)."""
    suffix = path.suffix.lower()
    if suffix in (".json", ".yaml", ".yml"):
        data, where = read_mapping(path)
        try:
            firm = firm_from_mapping(data, str(path), where)
        except InputError as exc:
            return [Record(str(path), problems=tuple(exc.problems))]
        return [Record(str(path), firm=firm)]
    if suffix in EXCEL_SUFFIXES or suffix in REFUSED_SUFFIXES:
        from assess.intake.workbook import read_workbook

        return read_workbook(path)
    from assess.intake.firm import wrong_suffix

    raise wrong_suffix(str(path), suffix)
