"""Properties of intake: whatever a cell or a key holds, the reader gives the right value
or a located error, and never raises anything else.

* `parse_value`: any str, number, bool, date, time, container or None, for any field,
  gives a value of the field's type within its limits, None for blank, or `ValueProblem`
  with a short message.
* A 批量 workbook with that content in a field's cell: the firm holds exactly what
  `parse_value` makes of the cell, or the record's problems name that cell and field.
* JSON/YAML firm data with that value under a field id: a `Firm` with that value, or an
  `InputError` whose problem names the file and the field.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assess.errors import InputError
from assess.fields import (
    FIELDS,
    MAX_NUMBER_DIGITS,
    MIN_NUMBER_EXPONENT,
    NUMERIC_TYPES,
    Field,
    FieldType,
)
from assess.intake.firm import firm_from_mapping
from assess.intake.places import col_letter
from assess.intake.values import ValueProblem, parse_value
from assess.intake.workbook import read_workbook
from tests.hostile.make_intake import row, sheet_xml, write_xlsx

# Text as people (and hostile files) type it, with the things the reader must decide on.
_TRICKY = "=+-@\t\r\n \u00a0\u3000,.%万元０１２３是否\u202e\u200b\ufeff\x00\x1b\x7f<>&\"'_"
texts = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(_TRICKY + "0123456789eE"), max_size=30),
    st.from_regex(r"\A[+-]?\d{1,40}(\.\d{0,20})?([eE][+-]?\d{1,7})?(%|万元|万|元|人)?\Z"),
    st.integers(-(10**50), 10**50).map(lambda n: f"{n:,}"),
    st.sampled_from(["", " ", "1e400", "-1e-400", "NaN", "inf", "1" * 5000, "测" * 300]),
)
numbers = st.one_of(
    st.integers(),
    st.integers(-(10**1000), 10**1000),  # hypothesis cannot print 10**5000 itself
    st.floats(),
    st.decimals(),
)
cell_contents = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    texts,
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
fields = st.sampled_from(FIELDS)

_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def check_value(spec: Field, value: object) -> None:
    """A parsed value has the field's type and stays within the field's limits."""
    if spec.type is FieldType.TEXT:
        assert isinstance(value, str) and value == value.strip() and value
        assert len(value) <= spec.text_limit and not _REFUSED.search(value)
        assert "\u202e" not in value and "\ufeff" not in value and "\u200b" not in value
    elif spec.type is FieldType.BOOL:
        assert isinstance(value, bool)
    elif spec.type is FieldType.ENUM:
        assert value in spec.choice_values
    elif spec.type is FieldType.INT:
        assert type(value) is int and abs(value) < 10**MAX_NUMBER_DIGITS
    else:
        assert isinstance(value, Decimal) and value.is_finite()
        assert abs(value) < Decimal(10) ** MAX_NUMBER_DIGITS
        assert value == 0 or abs(value) >= Decimal(10) ** MIN_NUMBER_EXPONENT
    if spec.type in NUMERIC_TYPES:
        assert isinstance(value, int | Decimal)
        assert spec.negative_ok or value >= 0
        assert spec.minimum is None or value >= spec.minimum
        assert spec.maximum is None or value <= spec.maximum


@settings(max_examples=1500, deadline=None)
@given(fields, cell_contents)
def test_parse_value_gives_a_checked_value_or_a_value_problem(spec: Field, raw: Any) -> None:
    try:
        value = parse_value(spec, raw, notes := [])
    except ValueProblem as exc:
        message = str(exc)
        assert message and len(message) < 1000  # a 5,000-digit value is not echoed back
        assert not _REFUSED.search(message)  # printable on any terminal, in any XML
        return
    if value is None:
        assert raw is None or isinstance(raw, str) or notes
        return
    check_value(spec, value)
    assert all(n.text() for n in notes)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([f for f in FIELDS if f.type in NUMERIC_TYPES]), st.data())
def test_numbers_within_the_limits_read_exactly(spec: Field, data: st.DataObject) -> None:
    low = spec.minimum if spec.minimum is not None else (-(10**14) if spec.negative_ok else 0)
    high = spec.maximum if spec.maximum is not None else 10**14
    if spec.type is FieldType.INT:
        n = data.draw(st.integers(low, high))
        assert parse_value(spec, n) == n
        assert parse_value(spec, f"{n:,}") == n
        return
    d = data.draw(st.decimals(low, high, places=4, allow_nan=False, allow_infinity=False))
    assert parse_value(spec, d) == d
    assert parse_value(spec, str(d)) == d
    if spec.type is FieldType.MONEY and d >= 0:
        assert parse_value(spec, f"{d}万元") == d
        assert parse_value(spec, f"{d * 10000}元") == d


# ---- through a workbook -----------------------------------------------------------------------


def _xml_text(text: str) -> str:
    """Text as an .xlsx holds it: characters XML cannot carry as `_xHHHH_`, and an
    underscore that would start such an escape as `_x005F_`."""
    text = re.sub(r"_(?=x[0-9A-Fa-f]{4}_)", "_x005F_", text)
    return re.sub(
        "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", lambda m: f"_x{ord(m.group()):04X}_", text
    )


# What a cell can hold: text (no lone surrogates: an .xlsx cannot), numbers Excel keeps
# exactly (floats; integers within 2^53), booleans, and nothing.
workbook_contents = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.integers(-(2**53), 2**53),
    texts.filter(lambda t: not re.search("[\ud800-\udfff]", t)),
)


def _cell(ref: str, raw: object) -> str:
    if isinstance(raw, bool):
        return f'<c r="{ref}" t="b"><v>{int(raw)}</v></c>'
    if isinstance(raw, float) and math.isinf(raw):
        return f'<c r="{ref}"><v>{"-" if raw < 0 else ""}INF</v></c>'
    if isinstance(raw, int | float):
        return f'<c r="{ref}"><v>{raw!r}</v></c>'
    from xml.sax.saxutils import escape

    text = escape(_xml_text(str(raw)), {"\t": "&#9;", "\r": "&#13;", "\n": "&#10;"})
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fields, workbook_contents)
def test_any_cell_gives_its_value_or_a_problem_naming_the_cell(
    tmp_path: Path, spec: Field, raw: Any
) -> None:
    ids = ["name"] if spec.id == "name" else ["name", spec.id]
    col = ids.index(spec.id)
    cells = "" if raw is None else _cell(f"{col_letter(col)}2", raw)
    name = "" if spec.id == "name" else _cell("A2", "湖南精密传感科技有限公司")
    assume(cells or name)
    path = write_xlsx(
        tmp_path / "cell.xlsx", sheet_xml([row(1, ids), f'<row r="2">{name}{cells}</row>'])
    )
    try:
        (record,) = read_workbook(path)
    except InputError as exc:  # the only firm's only cell was blank
        assert "没有企业数据" in str(exc) and spec.id == "name"
        return
    where = f"批量!{col_letter(col)}2"
    # What the reader should make of the cell: calamine gives every number as a float.
    given_raw = float(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    try:
        want = parse_value(spec, given_raw)
    except ValueProblem:
        assert record.firm is None
        assert any(p.where.endswith(where) and p.path == spec.id for p in record.problems)
        return
    if want is None and spec.required:
        assert record.firm is None
        assert [p.where.rsplit(" › ", 1)[-1] for p in record.problems] == [where]
        return
    assert record.firm is not None, record.problems
    assert record.firm.values.get(spec.id) == want


# ---- through JSON-like firm data ------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(fields, cell_contents)
def test_any_firm_value_gives_a_firm_or_a_problem_naming_the_key(spec: Field, raw: Any) -> None:
    data = {"name": "湖南精密传感科技有限公司", spec.id: raw}
    try:
        firm = firm_from_mapping(data, "firm.json")
    except InputError as exc:
        assert [(p.where, p.path) for p in exc.problems] == [("firm.json", spec.id)]
        return
    value = firm.values.get(spec.id)
    if value is not None:
        check_value(spec, value)


def test_time_and_date_are_not_numbers() -> None:
    revenue = next(f for f in FIELDS if f.id == "revenue")
    for raw in (dt.date(2025, 1, 1), dt.datetime(2025, 1, 1, 8), dt.time(8, 30)):
        try:
            parse_value(revenue, raw)
        except ValueProblem as exc:
            assert "请填写数字，单位万元" in str(exc)
        else:
            raise AssertionError(raw)
