"""summary.xlsx's writer: row heights, cell text, the catalog's words in the language in
force, and a workbook that cannot be written."""

from __future__ import annotations

import io
import math
import threading
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assess.batch.records import ApplicantRow, ClassScore, RubricLine, rank_round
from assess.batch.stats import Cohort
from assess.batch.summary_xlsx import RunInfo, _lines, cell_text, summary_bytes, write_summary
from assess.catalog import using


def lines_by_hand(value: object, width: float) -> int:
    """What `_lines` counts, character by character: a CJK character (U+2E80 up) is two
    wide, every other one."""
    if not isinstance(value, str) or not value:
        return 1
    room = max(width, 1.0)
    return sum(
        max(1, math.ceil(sum(2 if ord(ch) >= 0x2E80 else 1 for ch in part) / room))
        for part in value.split("\n")
    )


TEXT = st.text(
    st.sampled_from(["a", " ", "\n", "·", "–", "≥", "\u2e7f", "\u2e80", "企", "业", "🀄", "%"]),
    max_size=80,
)


@given(TEXT, st.sampled_from([0.5, 5, 7, 8.43, 10, 24, 40, 50]))
def test_lines_counts_wide_characters_twice(text: str, width: float) -> None:
    assert _lines(text, width) == lines_by_hand(text, width)


def test_lines_of_what_is_not_text() -> None:
    assert _lines(None, 5) == _lines(12345678901234, 5) == _lines("", 5) == 1


def _row(index: int, name: str, *, unmet: tuple[str, ...] = (), info: tuple[str, ...] = ()) -> Any:
    line = RubricLine(
        "srdi-readiness",
        "准备度",
        "1",
        "readiness",
        "pass",
        Decimal("62.5"),
        Decimal(100),
        (ClassScore("rd", "研发投入", Decimal("12.5"), Decimal(30)),),
    )
    return ApplicantRow(
        index=index,
        key=f"k{index}",
        source="a.xlsx",
        sheet="批量",
        row=index + 2,
        name=name,
        credit_code=f"9100000000000000{index:02d}",
        size_class="small",
        lines=(line,),
        target="innovative",
        unmet=unmet,
        info=info,
    )


def _workbook(tmp_path: Path, rows: list[ApplicantRow], name: str = "summary.xlsx") -> Any:
    import openpyxl

    cohort = Cohort()
    for r in rows:
        cohort.add(r)
    path = tmp_path / name
    info = RunInfo("2026-05-01", ("a.xlsx",), "x", pdf=False, version="9", official=False)
    write_summary(path, rows, cohort, rank_round(rows, False), info)
    return openpyxl.load_workbook(path)


def test_a_row_is_as_high_as_its_longest_text(tmp_path: Path) -> None:
    rows = [
        _row(1, "企" * 12),  # 24 wide in the 24-wide name column: one line
        _row(2, "企" * 13),  # 26 wide: two
        _row(3, "x" * 24),
        _row(4, "x" * 25 + "\n" + "企"),  # three: 25 narrow, then one
        _row(5, "甲", unmet=("条件" * 30,)),  # the 50-wide 未达条件 column, three lines
    ]
    main = _workbook(tmp_path, rows)["汇总"]
    heights = {main.cell(r, 2).value: main.row_dimensions[r].height for r in range(2, 7)}
    assert heights["企" * 12] == 15 and heights["企" * 13] == 30
    assert heights["x" * 24] == 15 and heights["x" * 25 + "\n" + "企"] == 45
    column = [c.value for c in main[1]].index("未满足的条件") + 1
    text = next(main.cell(r, column).value for r in range(2, 7) if main.cell(r, 2).value == "甲")
    assert main.column_dimensions[main.cell(1, column).column_letter].width == 50
    assert heights["甲"] == 15 * lines_by_hand(text, 50) == 45


def test_cell_text_keeps_printable_and_unprintable_legal_text() -> None:
    # an ideographic space, a line separator and a newline are legal XML: kept
    assert cell_text("北京\u3000精工\u2028x\ny") == "北京\u3000精工\u2028x\ny"
    assert cell_text("a\x01b\ud800c\uffff") == "abc"
    assert cell_text("-1") == "'-1" and cell_text("企业-1") == "企业-1"


def test_the_words_follow_the_language_of_each_workbook(tmp_path: Path) -> None:
    rows = [_row(1, "甲", unmet=("研发投入",), info=("", "", "", "C39", "", ""))]
    with using("en"):
        english = _workbook(tmp_path, rows, "en.xlsx")["Summary"]
    chinese = _workbook(tmp_path, rows, "zh.xlsx")["汇总"]
    header = [c.value for c in english[1]]
    size = header.index("Size") + 1
    assert english.cell(2, size).value == "small"
    assert chinese.cell(2, size).value == "小型"
    unmet = [c.value for c in chinese[1]].index("未满足的条件") + 1
    assert "创新型" in chinese.cell(2, unmet).value
    assert "Innovative" in english.cell(2, header.index("Conditions not met") + 1).value


class Broken(io.BytesIO):
    """A file that takes a few writes, then fails as a full disk would."""

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > 4096:
            raise OSError(28, "No space left on device")
        return super().write(data)


def test_a_workbook_that_cannot_be_written_says_so_and_leaves_no_thread() -> None:
    from assess.batch.summary_xlsx import write_book

    rows = [_row(i, f"企业{i}" * 20) for i in range(1, 400)]
    cohort = Cohort()
    for r in rows:
        cohort.add(r)
    info = RunInfo("2026-05-01", ("a.xlsx",), "x", pdf=False, version="9")
    with pytest.raises(OSError, match="No space"):
        write_book(Broken(), rows, cohort, rank_round(rows, True), info)
    assert not [t for t in threading.enumerate() if t.name.startswith("summary-zip")]


def test_written_file_holds_what_summary_bytes_makes(tmp_path: Path) -> None:
    rows = [_row(i, f"企业{i}") for i in range(1, 30)]
    cohort = Cohort()
    for r in rows:
        cohort.add(r)
    info = RunInfo("2026-05-01", ("a.xlsx",), "x", pdf=False, version="9")
    ranking = rank_round(rows, True)
    write_summary(tmp_path / "s.xlsx", rows, cohort, ranking, info)
    on_disk = zipfile.ZipFile(tmp_path / "s.xlsx")
    in_memory = zipfile.ZipFile(io.BytesIO(summary_bytes(rows, cohort, ranking, info)))
    assert on_disk.namelist() == in_memory.namelist()
    assert on_disk.testzip() is None
    for name in on_disk.namelist():
        assert on_disk.read(name) == in_memory.read(name), name
