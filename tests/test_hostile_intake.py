"""Hostile and broken input files, through `assess score` in a bounded child process.

Every case written by tests/hostile/make_intake.py ends in what it must: a located Chinese
(or, for the file-level refusals that predate them, English) one-line error with exit 2,
or a correct score; never a traceback, a native abort or a runaway, within seconds and a
few hundred MB.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from assess.intake import load_records
from assess.intake.workbook import read_workbook
from tests.hostile.harness import Ran, has_traceback, run_assess
from tests.hostile.make_intake import FIRM, INJECTIONS, MARKUP, TEXT_FIELDS, write_all

SECONDS = 10.0  # each case takes about a second on a loaded 2-core machine
PEAK_MB = 400  # each stays under 100 MB; calamine's 512 GB box would not
AS_LIMIT_MB = 2048


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("intake-corpus")
    files = write_all(directory)
    assert len(files) == len({f.name for f in files})  # no case overwrites another
    return directory


def score(path: Path, *extra: str) -> Ran:
    ran = run_assess(
        ["score", path, "--format", "json", *extra], timeout=60, as_limit_mb=AS_LIMIT_MB
    )
    assert not has_traceback(ran), ran.describe()
    assert not ran.timed_out and ran.seconds < SECONDS, ran.describe()
    assert ran.peak_mb < PEAK_MB, ran.describe()
    return ran


def refused(path: Path, pattern: str) -> str:
    """Exit 2 with one line naming the file (and cell or key) and saying what is wrong."""
    ran = score(path)
    assert ran.code == 2, ran.describe()
    assert ran.stdout == "", ran.describe()
    # The CLI's prefix is in the language in force: 错误： (Chinese, the default) or error:.
    errors = [line for line in ran.stderr.splitlines() if line.startswith(("错误：", "error: "))]
    assert len(errors) >= 1, ran.describe()
    assert str(path) in errors[0], ran.describe()
    assert re.search(pattern, ran.stderr), ran.describe()
    return ran.stderr


def scored(path: Path) -> list[dict[str, object]]:
    ran = score(path)
    assert ran.code == 0, ran.describe()
    records: list[dict[str, object]] = json.loads(ran.stdout)
    assert records and all(r["total"] is not None for r in records)
    return records


# ---- files that are not workbooks, or are broken ---------------------------------------------

FILE_REFUSALS = {
    "renamed_csv.xlsx": r"是文本文件，不是 Excel 工作簿",
    "renamed_pdf.xlsx": r"是 PDF 文件，不是 Excel 工作簿",
    "renamed_xls.xlsx": r"旧版 Excel 97-2003 格式（\.xls）",
    "encrypted.xlsx": r"工作簿设有密码",
    "truncated_half.xlsx": r"文件已损坏",
    "truncated_end.xlsx": r"文件已损坏",
    "zero_byte.xlsx": r"文件已损坏，或不是 Excel 工作簿",
    "zip_bomb_2gb.xlsx": r"已拒绝：xl/media/image1\.bin 解压后放大 \d+ 倍，达 2048 MB",
    "zip_bomb_50mb.xlsx": r"已拒绝：xl/media/image1\.bin 解压后放大 \d+ 倍，达 52 MB",
    "billion_laughs.xlsx": r"已拒绝：xl/worksheets/sheet1\.xml 声明了 XML 实体",
    "billion_laughs_shared.xlsx": r"已拒绝：xl/sharedStrings\.xml 声明了 XML 实体",
    "external_entity.xlsx": r"已拒绝：xl/worksheets/sheet1\.xml 声明了 XML 实体",
    "dtd_content_types.xlsx": r"已拒绝：\[Content_Types\]\.xml 声明了 XML 实体",
    "dtd_after_comment.xlsx": r"已拒绝：xl/worksheets/sheet1\.xml 声明了 XML 实体",
    "far_cell.xlsx": r"批量 工作表的数据延伸到第 1,048,576 行，超过每个工作表 100,000 行的上限",
    "far_empty_string.xlsx": r"批量 工作表的数据延伸到第 1,048,576 行",
    "far_cell_other_case.xlsx": r"批量 工作表的数据延伸到第 1,048,576 行",
    "shared_strings_claim.xlsx": r"已拒绝：xl/sharedStrings\.xml 声称有 4,294,967,295 个"
    r"共享字符串，实际只有 1 个",
    "sheet_part_missing.xlsx": r"文件已损坏（找不到 批量 工作表的内容）",
    "batch_200k.xlsx": r"批量 工作表的数据延伸到第 200,001 行.*100,000 行的上限",
}


@pytest.mark.parametrize("name", sorted(FILE_REFUSALS))
def test_file_is_refused_in_one_line(corpus: Path, name: str) -> None:
    stderr = refused(corpus / name, FILE_REFUSALS[name])
    assert "root:" not in stderr  # no entity was resolved against /etc/passwd


@pytest.mark.parametrize(
    "name",
    ["dimension_claim.xlsx", "far_styled_empty.xlsx", "empty_rows_1m.xlsx", "shared_strings.xlsx"],
)
def test_sheet_that_only_claims_to_be_huge_is_scored(corpus: Path, name: str) -> None:
    """A <dimension> claim, a formatted empty cell at XFD1048576 or a million empty rows
    cost calamine nothing: the firm in the sheet is scored."""
    records = scored(corpus / name)
    assert {r["firm"] for r in records} == {FIRM["name"]}


# ---- values ----------------------------------------------------------------------------------

VALUE_REFUSALS = {
    "long_name.xlsx": r"批量!A2 name: 企业名称过长（100,000 个字符）：请填写不超过 200 个字符",
    "long_name.json": r"long_name\.json name: 企业名称过长（100,000 个字符）",
    "nul_escape.xlsx": r"批量!A2 name: 企业名称的第 3 个字符是 U\+0000（控制字符）",
    "control_escape.xlsx": r"批量!D2 city: 所在市州的第 3 个字符是 U\+001B",
    "nul.json": r"nul\.json name: 企业名称的第 3 个字符是 U\+0000",
    "surrogate.json": r"surrogate\.json name: 企业名称的第 3 个字符是 U\+D800（不成对的代理项",
    "money_nan.xlsx": r"批量!K2 revenue: 上年度营业收入 nan 不是一个数",
    "money_inf.xlsx": r"批量!K2 revenue: 上年度营业收入 inf 不是一个数",
    "money_1e400.xlsx": r"批量!K2 revenue: 上年度营业收入 inf 不是一个数",
    "money_1e300.xlsx": r"批量!K2 revenue: .* 超出可处理的范围：绝对值应小于 10\^15 万元",
    "money_text_1e400.xlsx": r"revenue: 上年度营业收入 “1e400” 超出可处理的范围",
    "money_text_5000_digits.xlsx": r"revenue: .*请填写不超过 40 个字符的数字",
    "employees_1e300.xlsx": r"employees: 从业人员数 1e\+300 超出可处理的范围.*10\^15 人",
    "nan.json": r"nan\.json revenue: 上年度营业收入 nan 不是一个数",
    "infinity.json": r"infinity\.json revenue: 上年度营业收入 -inf 不是一个数",
    "e400.json": r"e400\.json revenue: 上年度营业收入 “1e400” 超出可处理的范围",
    "employees_1e300.json": r"employees: 从业人员数 “1e300” 超出可处理的范围",
    "digits_5000.json": r"revenue: 上年度营业收入 9{40}…（共 5,000 个字符） 超出可处理的范围",
    "deep_100k.json": r"deep_100k\.json:1:\d+: JSON 嵌套超过 32 层",
    "deep_object_100k.json": r"deep_object_100k\.json:1:\d+: JSON 嵌套超过 32 层",
    "duplicate_key.json": r"duplicate_key\.json:13 revenue: 字段 “revenue” 出现了两次"
    r"（第 9 行和第 13 行）",
}


@pytest.mark.parametrize("name", sorted(VALUE_REFUSALS))
def test_bad_value_is_a_located_error(corpus: Path, name: str) -> None:
    stderr = refused(corpus / name, VALUE_REFUSALS[name])
    assert len(stderr) < 2000  # the 100,000-character name is not repeated back


def test_format_characters_are_removed_with_a_warning(corpus: Path) -> None:
    for name in ("rtl_override.xlsx", "rtl_override.json"):
        records = scored(corpus / name)
        assert all("\u202e" not in str(r["firm"]) for r in records)
        assert str(records[0]["firm"]).startswith("湖南精密传感科技有限公司")
        warnings = [w for r in records for w in r["warnings"]]  # type: ignore[attr-defined]
        assert any("不可见格式字符（U+202E）已删除" in w for w in warnings), warnings


def test_escape_that_names_no_character_stays_text(corpus: Path) -> None:
    # calamine leaves "_xD800_" (half of a surrogate pair) as written: it is plain text.
    records = scored(corpus / "surrogate_escape.xlsx")
    assert records[0]["firm"] == "湖南_xD800_精密"


# ---- formula injection and markup: kept as text by intake --------------------------------


def test_formula_injection_is_kept_as_text_in_every_field(corpus: Path) -> None:
    for i, payload in enumerate(INJECTIONS):
        (record,) = read_workbook(corpus / f"injection_{i}.xlsx")
        assert record.firm is not None, record.problems
        for field in TEXT_FIELDS:
            assert record.firm.values[field] == payload.strip(), (payload, field)


@pytest.mark.parametrize(
    "index", [i for i, p in enumerate(INJECTIONS) if p.startswith(("=HYPERLINK", "=cmd"))]
)
def test_formula_injection_scores(corpus: Path, index: int) -> None:
    records = scored(corpus / f"injection_{index}.xlsx")
    assert records[0]["firm"] == INJECTIONS[index].strip()


@pytest.mark.parametrize("index", range(len(MARKUP)))
def test_markup_in_names_is_kept_as_text(corpus: Path, index: int) -> None:
    (record,) = load_records(corpus / f"markup_{index}.json")
    assert record.firm is not None and record.firm.name == MARKUP[index]
    records = scored(corpus / f"markup_{index}.xlsx")
    assert records[0]["firm"] == MARKUP[index]


def test_markup_in_names_is_printed_as_written_by_the_text_output(corpus: Path) -> None:
    for index in (0, len(MARKUP) - 1):
        ran = run_assess(
            ["score", corpus / f"markup_{index}.xlsx"], timeout=60, as_limit_mb=AS_LIMIT_MB
        )
        assert ran.code == 0 and not has_traceback(ran), ran.describe()
        # The console wraps long lines at spaces: compare with spaces evened out.
        shown_words, name_words = " ".join(ran.stdout.split()), " ".join(MARKUP[index].split())
        assert shown_words.startswith(name_words), ran.describe()


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_firm_file_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    """A pipe used to make `score` wait for a writer for ever, and a link to /dev/zero to read
    until the memory ran out; now each is refused at once, in one located line."""
    target = tmp_path / f"{kind}.json"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
    else:
        target.mkdir()
    ran = run_assess(["score", str(target)], timeout=20)
    assert not ran.timed_out and not has_traceback(ran), ran.describe()
    assert ran.code == 2 and "不是普通文件" in ran.stderr and str(target) in ran.stderr
    assert ran.seconds < 10 and ran.peak_mb < 200, ran.describe()


def test_a_zip_that_asks_for_a_newer_zip_version_is_a_damaged_file(tmp_path: Path) -> None:
    """Found by fuzzing: Python's zipfile refuses such a directory with NotImplementedError,
    which escaped the guard as a crash (exit 3)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(buffer.getvalue())
    at = data.index(b"PK\x01\x02")  # the central directory entry
    data[at + 6 : at + 8] = (169).to_bytes(2, "little")  # "version needed to extract": 16.9
    path = tmp_path / "newer.xlsx"
    path.write_bytes(bytes(data))
    ran = run_assess(["score", str(path)], timeout=20)
    assert not has_traceback(ran), ran.describe()
    assert ran.code == 2 and str(path) in ran.stderr, ran.describe()
