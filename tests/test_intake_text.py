"""The intake's limits, one by one: text policy, numbers, JSON shape, the sheet-size guard,
DTDs and places.  (tests/test_hostile_intake.py runs the same through the CLI.)"""

from __future__ import annotations

import json
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest

from assess.catalog import Message
from assess.errors import InputError
from assess.fields import FIELDS, FIELDS_BY_ID, TEXT_MAX_LENGTH, FieldType
from assess.intake.firm import MAX_JSON_DEPTH, firm_from_mapping, read_mapping
from assess.intake.guard import declares_dtd, sheet_box
from assess.intake.places import cell_name, cell_place, col_index, col_letter, place
from assess.intake.values import _FORMAT_CHARS, ValueProblem, parse_value, shown

NAME = FIELDS_BY_ID["name"]
CITY = FIELDS_BY_ID["city"]
REVENUE = FIELDS_BY_ID["revenue"]
EMPLOYEES = FIELDS_BY_ID["employees"]


def problem(spec: object, raw: object) -> str:
    with pytest.raises(ValueProblem) as caught:
        parse_value(spec, raw)  # type: ignore[arg-type]
    return str(caught.value)


# ---- text --------------------------------------------------------------------------------


def test_every_format_character_is_removed_and_nothing_else() -> None:
    format_chars = {
        chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"
    }
    removed = {chr(c) for c in range(sys.maxunicode + 1) if _FORMAT_CHARS.match(chr(c))}
    assert format_chars <= removed
    # Beyond this Python's Unicode tables, only code points that later versions made Cf.
    assert all(unicodedata.category(c) in ("Cf", "Cn") for c in removed - format_chars)


def test_format_characters_are_removed_with_a_note() -> None:
    notes: list[Message] = []
    assert parse_value(NAME, "\u202e某某\u200b科技\ufeff", notes) == "某某科技"
    assert [n.text() for n in notes] == [
        "企业名称中的 3 个不可见格式字符（U+200B、U+202E、U+FEFF）已删除"
    ]
    assert notes[0].code == "intake.warn.format_chars"
    notes.clear()
    assert parse_value(NAME, "\u200b", notes) is None  # nothing left: blank
    assert notes


@pytest.mark.parametrize(
    ("raw", "char", "at", "kind"),
    [
        ("湖南\x00精密", "U+0000", 3, "控制字符"),
        ("\x1b[31m红色", "U+001B", 1, "控制字符"),
        ("a\x85b", "U+0085", 2, "控制字符"),
        ("湖南\ud800", "U+D800", 3, "不成对的代理项"),
    ],
)
def test_controls_and_lone_surrogates_are_refused_at_their_position(
    raw: str, char: str, at: int, kind: str
) -> None:
    message = problem(NAME, raw)
    assert message.startswith(f"企业名称的第 {at} 个字符是 {char}（{kind}")
    assert "请删除它" in message


def test_tab_and_line_breaks_are_text() -> None:
    assert parse_value(NAME, "第一行\n第二行\r\n\t第三行") == "第一行\n第二行\r\n\t第三行"
    assert parse_value(NAME, "\t=1+1") == "=1+1"  # kept as text, outer spaces trimmed


def test_text_length_is_limited_per_field() -> None:
    assert parse_value(NAME, "测" * TEXT_MAX_LENGTH) == "测" * TEXT_MAX_LENGTH
    assert problem(NAME, "测" * (TEXT_MAX_LENGTH + 1)) == (
        f"企业名称过长（{TEXT_MAX_LENGTH + 1} 个字符）：请填写不超过 {TEXT_MAX_LENGTH} 个字符"
    )
    assert CITY.text_limit == 50
    assert "所在市州过长（51 个字符）" in problem(CITY, "市" * 51)
    # The limit counts what is kept: spaces around it and removed characters do not count.
    assert parse_value(CITY, "  " + "\u200b" * 10 + "市" * 50 + "  ") == "市" * 50


def test_every_text_field_has_a_limit() -> None:
    for spec in FIELDS:
        if spec.type is FieldType.TEXT:
            assert 18 <= spec.text_limit <= TEXT_MAX_LENGTH, spec.id


def test_shown_values_are_short_and_printable() -> None:
    assert shown("x" * 100_000) == f"“{'x' * 40}…（共 100,000 个字符）"
    assert shown(10**5000).startswith("一个约 5,0")
    assert shown([[[]]]) == "一个列表 […]" and shown({"a": 1}) == "一个对象 {…}"
    assert shown("\u202e\x00") == "“\\u202e\\x00”"


# ---- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (1e15, "超出可处理的范围：绝对值应小于 10^15 万元"),
        (-1e300, "超出可处理的范围"),
        (10**15, "超出可处理的范围"),
        pytest.param(10**5000, "一个约 5,001 位的整数 超出可处理的范围", id="10**5000"),
        ("1e400", "“1e400” 超出可处理的范围"),
        ("1e999999999", "超出可处理的范围"),
        ("1e-31", "过小（不足 10^-30）"),
        ("1e-999999999", "过小"),
        (float("nan"), "nan 不是一个数（非数值 NaN 或无穷大）：请填写数字，单位万元"),
        (float("-inf"), "-inf 不是一个数"),
        (Decimal("sNaN"), "不是一个数"),
        ("9" * 41, "请填写不超过 40 个字符的数字"),
    ],
)
def test_numbers_beyond_the_limits_are_refused(raw: object, says: str) -> None:
    assert says in problem(REVENUE, raw)


def test_numbers_at_the_limits_are_read_exactly() -> None:
    top = Decimal(10**15 - 1)
    assert parse_value(REVENUE, 10**15 - 1) == top
    assert parse_value(REVENUE, "999,999,999,999,999") == top
    assert parse_value(REVENUE, 1e-30) == Decimal("1e-30")
    assert parse_value(REVENUE, "0E-50") == 0  # zero, however written
    # 元 converts to 万元 after the check: 10^18 元 is 10^14 万元.
    assert parse_value(REVENUE, "1000000000000000000元") == Decimal(10**14)
    assert parse_value(EMPLOYEES, 120.0) == 120 and parse_value(EMPLOYEES, "1e3") == 1000


# ---- JSON --------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "firm.json"
    path.write_text(text, "utf-8")
    return path


def refused(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        read_mapping(path)
    return str(caught.value)


def test_json_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "name": "甲",\n  "revenue": 1,\n  "name": "乙"\n}')
    assert refused(path) == (
        f"{path}:4 name: 字段 “name” 出现了两次（第 2 行和第 4 行）："
        "不知道该用哪一个值，请只保留一个"
    )
    # Inside a nested object too (the object is then refused as a value anyway).
    assert "字段 “a” 出现了两次" in refused(write(tmp_path, '{"x": {"a": 1, "a": 2}}'))


def test_json_depth_is_bounded_before_parsing(tmp_path: Path) -> None:
    ok = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    data, _ = read_mapping(write(tmp_path, '{"x": ' + ok + "}"))
    assert "x" in data
    deep = '{"name": "甲",\n "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert refused(write(tmp_path, deep)) == (
        f"{tmp_path / 'firm.json'}:2:{7 + MAX_JSON_DEPTH - 1}: JSON 嵌套超过 {MAX_JSON_DEPTH} 层："
        '企业数据应是一层“字段ID: 值”的对象，如 {"name": "某某科技有限公司", "revenue": 12000}'
    )
    # Brackets inside strings are text, not nesting.
    data, _ = read_mapping(write(tmp_path, json.dumps({"name": "[" * 1000 + "{" * 1000})))
    assert data["name"].startswith("[[[")


def test_json_numbers_of_any_length_reach_the_field_check(tmp_path: Path) -> None:
    data, _ = read_mapping(write(tmp_path, '{"revenue": ' + "9" * 5000 + ', "employees": 12}'))
    assert data["employees"] == 12 and isinstance(data["revenue"], Decimal)
    with pytest.raises(InputError) as caught:
        firm_from_mapping(data, "firm.json")
    (only,) = caught.value.problems
    assert only.where == "firm.json" and only.path == "revenue"
    assert "超出可处理的范围" in only.message


def test_oversized_firm_file_is_refused_unread(tmp_path: Path) -> None:
    path = write(tmp_path, '{"name": "' + "x" * (9 * 2**20) + '"}')
    assert "文件过大（9.0 MB）：一家企业的数据不超过 8 MB" in refused(path)


def test_unknown_huge_key_is_a_short_warning() -> None:
    firm = firm_from_mapping({"name": "甲", "k" * 100_000: 1}, "firm.json")
    (warning,) = firm.warnings
    assert warning.startswith("未知的项目 “kkkk") and len(warning) < 200


# ---- the sheet-size guard ----------------------------------------------------------------


def sheet(cells: str) -> bytes:
    return f'<worksheet><sheetData><row r="1">{cells}</row></sheetData></worksheet>'.encode()


@pytest.mark.parametrize(
    "cells",
    [
        '<c r="XFD1048576"><v>1</v></c>',
        "<c r='XFD1048576'><v>1</v></c>",
        '<c\tr\n=\n"XFD1048576"><v>1</v></c>',
        '<c t="n"r="XFD1048576"><v>1</v></c>',
        '<c r="A1" r="XFD1048576"><v>1</v></c>',
        '<c r="xfd1048576"><v>1</v></c>',
        '<x:c r="XFD1048576"><x:v>1</x:v></x:c>',
        '<c r="XFD1048576" t="inlineStr"><is><t></t></is></c>',
    ],
)
def test_a_far_filled_cell_is_measured_however_it_is_written(cells: str) -> None:
    assert sheet_box(sheet('<c r="A1"><v>1</v></c>' + cells)) == (1_048_576, 16_384)


def test_the_box_ignores_what_calamine_ignores() -> None:
    assert sheet_box(sheet('<c r="A1"><v>1</v></c><c r="CZ99999"><v>1</v></c>')) is None
    empty = sheet('<c r="A1"><v>1</v></c><c r="XFD1048576" s="3"/>')
    assert sheet_box(empty) == (1, 1)  # a formatted, empty cell holds nothing
    dimension = b'<worksheet><dimension ref="A1:XFD1048576"/><sheetData/></worksheet>'
    assert sheet_box(dimension) is None


def test_cells_without_an_address_count_by_their_row() -> None:
    xml = b'<sheetData><row r="1048576"><c><v>1</v></c><c><v>2</v></c></row></sheetData>'
    assert sheet_box(xml) == (1_048_576, 2)


# ---- DTDs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "dtd"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', True),
        (b"\xef\xbb\xbf<?xml?>\n<!--" + b" " * 10_000 + b"-->\n<?pi x?><!DOCTYPE x><x/>", True),
        ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><x/>'.encode("utf-16-le"), True),
        (b'<?xml version="1.0"?><!-- <!DOCTYPE x> --><x/>', False),
        (b"<x><!-- not a prolog --><![CDATA[<!DOCTYPE>]]></x>", False),
        (b"<?xml never closed", False),
    ],
)
def test_a_dtd_is_found_anywhere_in_the_prolog(xml: bytes, dtd: bool) -> None:
    assert declares_dtd(xml) is dtd


# ---- places --------------------------------------------------------------------------------


def test_places_are_written_one_way() -> None:
    assert [col_letter(i) for i in (0, 25, 26, 701, 702, 16_383)] == [
        "A",
        "Z",
        "AA",
        "ZZ",
        "AAA",
        "XFD",
    ]
    assert all(col_index(col_letter(i)) == i for i in range(20_000))
    assert cell_name(13, 3) == "D14"
    assert place("f.json") == "f.json"
    assert place("a.xlsx", "问卷") == "a.xlsx › 问卷"
    assert place("a.xlsx", "批量", 7) == "a.xlsx › 批量!7:7"
    assert cell_place("a.xlsx", "问卷", 13, 3) == "a.xlsx › 问卷!D14"
