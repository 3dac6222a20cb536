"""Where a value sits: column letters and the one way places are written.

Every message about firm data names its place the same way: `firm.json`,
`申报表.xlsx › 问卷`, `申报表.xlsx › 批量!7:7` (a whole row: one applicant) or
`申报表.xlsx › 问卷!D14` (one cell).  Rows and columns passed in are counted from 0, as
the readers hold them; what is written is what Excel shows.
"""

from __future__ import annotations


def col_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26 (the inverse of `col_letter`)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def cell_name(row: int, col: int) -> str:
    """(13, 3) → `D14`."""
    return f"{col_letter(col)}{row + 1}"


def place(source: str, sheet: str | None = None, row: int | None = None) -> str:
    """`申报表.xlsx › 批量!7:7`, `申报表.xlsx › 问卷` or `firm.json`: where an applicant is.

    `row` is the sheet's row number as Excel shows it (from 1): a 批量 applicant's row.
    """
    if sheet is None:
        return source
    if row is None:
        return f"{source} › {sheet}"
    return f"{source} › {sheet}!{row}:{row}"


def cell_place(source: str, sheet: str, row: int, col: int) -> str:
    """`申报表.xlsx › 问卷!D14` for the cell at (row, col) from 0."""
    return f"{source} › {sheet}!{cell_name(row, col)}"
