"""Reading a filled questionnaire workbook: every firm in it, or one line saying why not.

Built for agencies' large 批量 files and for what people really type.  The file guard
(`guard`) checks the file before any parser sees it; the cell values come from
python-calamine (about six times faster than openpyxl); what calamine cannot tell is read
from the sheet XML (`cells`):

* a formula cell without a saved result, or with an error result (calamine gives "" for
  both), is an error naming the cell;
* a cell formatted as a percentage holds 0.124 for "12.4%": in a percent field it becomes
  12.4, as the user meant.

File-level failures (.xls, .csv, password protection, a damaged file, a zip bomb, no 问卷
or 批量 sheet) raise `InputError` with one line naming the file; a firm's bad values are
`Problem`s on its `Record`, every one of them at once, each naming
`file › sheet!cell (field id)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from assess.catalog import Message, t
from assess.intake import EXCEL_SUFFIXES
from assess.intake.batch_sheet import batch_rows
from assess.intake.cells import NoCellRefs, percent_cells, scan_bad_cells, scan_with_openpyxl
from assess.intake.firm import Record
from assess.intake.form import read_form
from assess.intake.guard import fail, open_zip, sniff
from assess.intake.layout import BATCH_FIRST_ROW, SHEET_BATCH, SHEET_FORM, find_sheet
from assess.intake.sheet import Raw, Read, Sheet, sheet_rows


def read_workbook(path: Path) -> list[Record]:
    """Every firm in a workbook: the 问卷 sheet (one firm) and each 批量 row (one firm each).

    Raises `InputError` (one line naming the file) when the file cannot be read at all.
    """
    return [record for record, _ in iter_workbook(path)]


def iter_workbook(path: Path) -> Iterator[Read]:
    """`read_workbook`'s records one at a time, each refused one with what it was read
    from (`sheet.Raw`), so that a 批量 sheet's rows need not all be held at once.  Every
    reason not to read the file at all (`InputError`) is raised before the first record:
    the guard, both sheets parsed and scanned, the 批量 header read and checked; only "no
    firm in it" is known at the end, when there has been no record."""
    import python_calamine

    path = Path(path)
    source = str(path)
    sniff(path, source)
    book = open_zip(path, source)  # guards before any parser sees the XML
    try:
        if path.suffix.lower() in EXCEL_SUFFIXES:
            workbook = python_calamine.load_workbook(path)
        else:  # an .xlsx saved under another name: calamine picks the reader by content
            with path.open("rb") as fh:
                workbook = python_calamine.CalamineWorkbook.from_filelike(fh)
    except python_calamine.PasswordError:
        raise fail(source, "intake.file.password") from None
    except Exception as exc:  # calamine's own errors: zip, XML, unsupported content
        raise fail(source, "intake.file.damaged", detail=exc) from None
    try:
        names = list(workbook.sheet_names)
        form_name = find_sheet(names, SHEET_FORM)
        batch_name = find_sheet(names, SHEET_BATCH)
        if form_name is None and batch_name is None:
            raise fail(
                source,
                "intake.file.no_sheet",
                sheets="、".join(names) or t("intake.file.no_sheets"),
            )
        wanted = [n for n in (form_name, batch_name) if n is not None]
        first: list[Read] = []
        rows: Iterator[Read] = iter(())
        for name in wanted:
            xml = book.xml.pop(name, None)
            if xml is None:  # never let calamine read a sheet the guard has not measured
                raise fail(source, "intake.file.sheet_missing", sheet=name)
            # What the XML tells is read from it, and the XML let go, before calamine parses
            # the sheet: a 批量 sheet of 20,000 firms is 55 MB of XML, and calamine's parse
            # needs twice its grid (100 MB) on top of whatever is held then.
            try:
                bad: dict[tuple[int, int], Message] | None = scan_bad_cells(xml)
            except NoCellRefs:
                bad = None
            percent = percent_cells(xml, book.percent_xfs)
            del xml
            try:
                data = workbook.get_sheet_by_name(name)  # parses the XML: damage shows here
            except Exception as exc:
                raise fail(source, "intake.file.damaged", detail=f"{name}: {exc}") from None
            if bad is None:
                try:
                    bad = scan_with_openpyxl(path, name)
                except Exception as exc:  # openpyxl's own errors on XML calamine accepted
                    raise fail(source, "intake.file.damaged", detail=f"{name}: {exc}") from None
            sheet = Sheet(source, name, sheet_rows(data), bad, percent)
            if name == form_name:
                grid = list(sheet_rows(data))
                sheet.rows = iter(grid)
                record = read_form(sheet)
                if record is not None:
                    refused = None
                    if record.firm is None:
                        padded: list[list[object]] = [[] for _ in range(grid[0][0])]
                        refused = Raw([*padded, *(row for _, row in grid)])
                    first.append((record, refused))
            else:
                rows = batch_rows(sheet)
        yield from first
        held = bool(first)
        for item in rows:
            held = True
            yield item
    finally:
        workbook.close()
    if not held:
        raise fail(source, "intake.file.empty", row=BATCH_FIRST_ROW)
