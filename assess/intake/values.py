"""Turn what people type into typed field values, or say exactly why not.

Shared by every intake path (JSON, YAML, Excel).  Tolerant of how figures are really
written: "1,234.5", full-width digits, "12%" in a percent field, "300万元" in a 万元 field,
"3,000,000元" (converted to 万元), 是/否, Y/N, TRUE/FALSE, 1/0, a dropdown's Chinese label.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from assess.fields import Field, FieldType

FieldValue = Decimal | int | bool | str

_TRUE = {"是", "y", "yes", "true", "1", "有", "✓", "√", "t"}
_FALSE = {"否", "n", "no", "false", "0", "无", "没有", "✗", "×", "f"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


class ValueProblem(ValueError):
    """Expected what, got what: the caller adds the place."""

    def __init__(self, expected: str, got: object):
        self.expected, self.got = expected, got
        super().__init__(f"expected {expected}, got {got!r}")


def expected(spec: Field) -> str:
    match spec.type:
        case FieldType.MONEY:
            return "a number of 万元"  # a negative one says "(not negative)" when refused
        case FieldType.PERCENT:
            return "a percentage such as 12.5 or 12.5%"
        case FieldType.INT:
            return "a whole number" + (f" {spec.unit}" if spec.unit else "")
        case FieldType.NUMBER:
            return "a number" + (f" of {spec.unit}" if spec.unit else "")
        case FieldType.BOOL:
            return "是 or 否"
        case FieldType.ENUM:
            return "one of " + ", ".join(f"{label} ({v})" for v, label in spec.choices)
    return "text"


def _normalise(text: str) -> str:
    # NFKC folds full-width digits, letters and punctuation: "１２３，４" -> "123,4".
    return unicodedata.normalize("NFKC", text).strip().replace(" ", "").replace("\u00a0", "")


def _decimal(text: str) -> Decimal | None:
    t = text
    if _GROUPED.match(t):
        t = t.replace(",", "")
    if not _NUMBER.match(t):
        return None
    try:
        return Decimal(t)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes these
        return None


def parse_value(spec: Field, raw: object) -> FieldValue | None:
    """The typed value, None for blank, or `ValueProblem`."""
    if raw is None:
        return None
    if isinstance(raw, str) and not _normalise(raw):
        return None
    match spec.type:
        case FieldType.TEXT:
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)
            return str(raw).strip()
        case FieldType.BOOL:
            return _parse_bool(spec, raw)
        case FieldType.ENUM:
            return _parse_enum(spec, raw)
    return _parse_number(spec, raw)


def _parse_bool(spec: Field, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float | Decimal) and raw in (0, 1):
        return bool(raw)
    text = _normalise(str(raw)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueProblem(expected(spec), raw)


@functools.cache
def _enum_lookup(spec: Field) -> tuple[dict[str, str], dict[str, str]]:
    """(normalised label → value, value → value) for a dropdown field."""
    return (
        {_normalise(label): value for value, label in spec.choices},
        {value: value for value, _ in spec.choices},
    )


def _parse_enum(spec: Field, raw: object) -> str:
    text = _normalise(str(raw))
    labels, values = _enum_lookup(spec)
    found = values.get(text.lower()) or labels.get(text)
    if found is None:
        raise ValueProblem(expected(spec), raw)
    return found


def _parse_number(spec: Field, raw: object) -> Decimal | int:
    if isinstance(raw, bool | dt.date | dt.time):  # a datetime is a date
        raise ValueProblem(expected(spec), raw)
    if isinstance(raw, int):
        number = Decimal(raw)
    elif isinstance(raw, float):
        # repr gives the shortest text that reads back as the same float: 0.1 -> "0.1"
        number = Decimal(repr(raw))
    elif isinstance(raw, Decimal):
        number = raw
    else:
        number = _parse_number_text(spec, str(raw))
    if not number.is_finite():
        raise ValueProblem(expected(spec), raw)
    if number < 0 and not spec.negative_ok:
        raise ValueProblem(expected(spec) + " (not negative)", raw)
    if spec.type is FieldType.INT:
        if number != number.to_integral_value():
            raise ValueProblem(expected(spec), raw)
        number = Decimal(int(number))
    if spec.minimum is not None and number < spec.minimum:
        raise ValueProblem(f"{expected(spec)} of at least {spec.minimum}", raw)
    if spec.maximum is not None and number > spec.maximum:
        raise ValueProblem(f"{expected(spec)} of at most {spec.maximum}", raw)
    return int(number) if spec.type is FieldType.INT else number


def _parse_number_text(spec: Field, raw: str) -> Decimal:
    text = _normalise(raw)
    scale = Decimal(1)
    if spec.type is FieldType.PERCENT and text.endswith("%"):
        text = text[:-1]
    elif spec.type is FieldType.MONEY:
        if text.endswith("万元"):
            text = text[:-2]
        elif text.endswith("万"):
            text = text[:-1]
        elif text.endswith("元"):
            text, scale = text[:-1], Decimal("0.0001")  # yuan -> 万元
    elif spec.unit and text.endswith(spec.unit):
        text = text[: -len(spec.unit)]
    number = _decimal(text)
    if number is None:
        raise ValueProblem(expected(spec), raw)
    return number * scale
