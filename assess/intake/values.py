"""Turn what people type into typed field values, or say exactly why not.

Shared by every intake path (JSON, YAML, Excel).  Tolerant of how figures are really
written: "1,234.5", full-width digits, "12%" in a percent field, "300万元" in a 万元 field,
"3,000,000元" (converted to 万元), 是/否, Y/N, TRUE/FALSE, 1/0, a dropdown's Chinese label.

Strict about what no one means to type, so that nothing downstream (reports, the summary
workbook, file names) meets it:

* text longer than its field's limit (`Field.text_limit`) is refused;
* control characters other than tab, line feed and carriage return (NUL among them, which
  no XML output can hold) and lone surrogates (half of a UTF-16 pair, which no UTF-8
  output can encode) are refused, naming the character and its position;
* invisible format characters (Unicode category Cf: the bidirectional overrides and
  isolates such as U+202E, zero-width spaces and joiners, the byte-order mark, the soft
  hyphen) are removed from text, with a warning.  They are removed rather than refused
  because they mostly arrive unseen, copied from a web page or a Word file, and what the
  user sees and meant is the text without them; kept, a right-to-left override would make
  a name display differently from its characters (`‮fdp.exe` shows as `exe.pdf`) in every
  report and summary line, and two names that look the same would differ;
* numbers must be finite, below 10^15 in magnitude (`fields.MAX_NUMBER_DIGITS`), not
  below 10^-30 unless zero, and at most 40 characters when typed as text, so that exact
  arithmetic on them stays small and fast.

Text that looks like a formula (`=HYPERLINK(…)`, `+`, `-`, `@`) or like HTML is kept as it
is: it is data here, and each output neutralises it in its own way.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from assess.fields import (
    MAX_NUMBER_DIGITS,
    MAX_NUMBER_TEXT,
    MIN_NUMBER_EXPONENT,
    Field,
    FieldType,
)

FieldValue = Decimal | int | bool | str

_TRUE = {"是", "y", "yes", "true", "1", "有", "✓", "√", "t"}
_FALSE = {"否", "n", "no", "false", "0", "无", "没有", "✗", "×", "f"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


# Refused in text: C0 and C1 controls except tab, LF and CR; lone surrogates.
_REFUSED_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Removed from text: every format character (Unicode 15 category Cf).
_FORMAT_CHARS = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f]"
)
_SHOWN = 40  # characters of a refused value repeated in its message


def shown(got: object) -> str:
    """A refused value as a message repeats it: quoted, escaped, and short."""
    if isinstance(got, dict):
        return "一个对象 {…}"
    if isinstance(got, list | tuple | set):
        return "一个列表 […]"
    if isinstance(got, int) and got.bit_length() > 4 * _SHOWN:  # repr() of 10**5000 fails
        return f"一个约 {int(got.bit_length() * 0.30103) + 1:,} 位的整数"
    if isinstance(got, str) and len(got) > _SHOWN:
        return f"{got[:_SHOWN]!r}…（共 {len(got):,} 个字符）"
    text = str(got) if isinstance(got, Decimal) else repr(got)
    return text if len(text) <= 2 * _SHOWN else f"{text[:_SHOWN]}…（共 {len(text):,} 个字符）"


class ValueProblem(ValueError):
    """Expected what, got what (or a whole sentence, in `message`): the caller adds the
    place.  `labelled` says the message already names the field."""

    def __init__(self, expected: str, got: object, message: str | None = None):
        self.expected, self.got = expected, got
        self.labelled = message is not None
        super().__init__(message or f"expected {expected}, got {shown(got)}")


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


def parse_value(spec: Field, raw: object, notes: list[str] | None = None) -> FieldValue | None:
    """The typed value, None for blank, or `ValueProblem`.

    `notes` receives what was changed on the way (invisible characters removed), in
    Chinese, for the caller to show with the value's place.
    """
    if raw is None:
        return None
    if isinstance(raw, str) and not _normalise(raw):
        return None
    match spec.type:
        case FieldType.TEXT:
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)
            return _text(spec, _string(spec, raw), notes)
        case FieldType.BOOL:
            return _parse_bool(spec, raw)
        case FieldType.ENUM:
            return _parse_enum(spec, raw)
    return _parse_number(spec, raw)


def _string(spec: Field, raw: object) -> str:
    """A value as text, for the paths that read it so; JSON nesting is never a value (and
    str() of 100,000 nested lists would recurse past the limit)."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict | list | tuple | set):
        raise ValueProblem(expected(spec), raw)
    return str(raw)


def _text(spec: Field, text: str, notes: list[str] | None) -> str | None:
    if not text.isprintable():  # a C-speed test that passes nearly all text untouched
        text = _clean(spec, text, notes)
    text = text.strip()
    if len(text) > spec.text_limit:
        raise ValueProblem(
            "text",
            text,
            f"{spec.label}过长（{len(text):,} 个字符）：请填写不超过 {spec.text_limit} 个字符",
        )
    return text or None


def _clean(spec: Field, text: str, notes: list[str] | None) -> str:
    """`text` without its format characters; `ValueProblem` for a control or surrogate."""
    bad = _REFUSED_CHARS.search(text)
    if bad is not None:
        char = bad.group()
        kind = "不成对的代理项，不是有效的字符" if "\ud800" <= char <= "\udfff" else "控制字符"
        raise ValueProblem(
            "text",
            text,
            f"{spec.label}的第 {bad.start() + 1:,} 个字符是 U+{ord(char):04X}（{kind}）："
            "请删除它，或重新输入这段文字",
        )
    if _FORMAT_CHARS.search(text) is not None:
        removed = sorted({f"U+{ord(c):04X}" for c in _FORMAT_CHARS.findall(text)})
        count = len(_FORMAT_CHARS.findall(text))
        text = _FORMAT_CHARS.sub("", text)
        if notes is not None:
            notes.append(
                f"{spec.label}中的 {count} 个不可见格式字符（{'、'.join(removed[:5])}）已删除"
            )
    return text


def _parse_bool(spec: Field, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float | Decimal):
        if isinstance(raw, Decimal) and not raw.is_finite():
            raise ValueProblem(expected(spec), raw)  # comparing a signalling NaN raises
        if raw in (0, 1):
            return bool(raw)
    text = _normalise(_string(spec, raw)).lower()
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
    text = _normalise(_string(spec, raw))
    labels, values = _enum_lookup(spec)
    found = values.get(text.lower()) or labels.get(text)
    if found is None:
        raise ValueProblem(expected(spec), raw)
    return found


def _parse_number(spec: Field, raw: object) -> Decimal | int:
    if type(raw) is float:  # every number a workbook holds: the fast path
        # repr gives the shortest text that reads back as the same float: 0.1 -> "0.1"
        number = Decimal(repr(raw))
        if not -_FLOAT_LIMIT < raw < _FLOAT_LIMIT or (-_FLOAT_SMALL < raw < _FLOAT_SMALL and raw):
            _check_number(spec, number, raw)  # NaN fails every comparison, so it comes here
    else:
        number = _exact_number(spec, raw)
        _check_number(spec, number, raw)
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


_INT_LIMIT = 10**MAX_NUMBER_DIGITS
_FLOAT_LIMIT = float(_INT_LIMIT)
_FLOAT_SMALL = float(f"1e{MIN_NUMBER_EXPONENT}")


def _exact_number(spec: Field, raw: object) -> Decimal:
    if isinstance(raw, bool | dt.date | dt.time):  # a datetime is a date
        raise ValueProblem(expected(spec), raw)
    if isinstance(raw, int):
        if not -_INT_LIMIT < raw < _INT_LIMIT:  # before Decimal(), slow on 10**5000
            raise _too_large(spec, raw)
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    if isinstance(raw, Decimal):
        return raw
    return _parse_number_text(spec, _string(spec, raw))


def _check_number(spec: Field, number: Decimal, raw: object) -> None:
    """`ValueProblem` for NaN, an infinity, or a magnitude beyond the fields' limits."""
    if not number.is_finite():
        raise _not_finite(spec, raw)
    _check_magnitude(spec, number, raw)


def _check_magnitude(spec: Field, number: Decimal, raw: object) -> None:
    if not number:
        return
    magnitude = number.adjusted()  # the exponent of the leading digit
    if magnitude >= MAX_NUMBER_DIGITS:
        raise _too_large(spec, raw)
    if magnitude < MIN_NUMBER_EXPONENT:
        raise ValueProblem(
            expected(spec),
            raw,
            f"{spec.label} {shown(raw)} 过小（不足 10^{MIN_NUMBER_EXPONENT}）："
            "请填写 0，或核对数值和单位",
        )


def _not_finite(spec: Field, raw: object) -> ValueProblem:
    return ValueProblem(
        expected(spec),
        raw,
        f"{spec.label} {shown(raw)} 不是一个数（非数值 NaN 或无穷大）：请填写{expected_zh(spec)}",
    )


def expected_zh(spec: Field) -> str:
    unit = f"（单位：{spec.unit}）" if spec.unit else ""
    return ("整数" if spec.type is FieldType.INT else "数字") + unit


def _too_large(spec: Field, raw: object) -> ValueProblem:
    unit = f" {spec.unit}" if spec.unit else ""
    return ValueProblem(
        expected(spec),
        raw,
        f"{spec.label} {shown(raw)} 超出可处理的范围：绝对值应小于 10^{MAX_NUMBER_DIGITS}"
        f"{unit}，请核对数值和单位",
    )


def _parse_number_text(spec: Field, raw: str) -> Decimal:
    text = _normalise(raw)
    if len(text) > MAX_NUMBER_TEXT:
        raise ValueProblem(
            expected(spec),
            raw,
            f"{spec.label} {shown(raw)} 不是一个可用的数字（{len(text):,} 个字符）："
            f"请填写不超过 {MAX_NUMBER_TEXT} 个字符的数字",
        )
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
    if not number.is_finite():
        raise _not_finite(spec, raw)
    if not -1000 < number.adjusted() < 1000 and number:
        _check_magnitude(spec, number, raw)  # before arithmetic: 1e9999999 × 1 overflows
    return number * scale
