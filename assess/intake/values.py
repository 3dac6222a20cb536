"""Turn what people type into typed field values, or say exactly why not.

Shared by every intake path (JSON, YAML, Excel).  Tolerant of how figures are really
written: "1,234.5", full-width digits, "12%" in a percent field, "300万元" in a 万元 field,
"3,000,000元" (converted to 万元), an accountant's "(35.2)" for -35.2, a count written
"5项" or "5 件", "无" for none (0) in a count or an amount, 是/否, Y/N, TRUE/FALSE, 1/0, a
dropdown's Chinese label, an industry named as in GB/T 4754 ("制造业" is 工业, with a
warning).  "—", "/", "不适用", "N/A" mean "not known": the value is blank and the firm is
told so, since zero and unknown score differently.

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
from typing import Any

from assess.catalog import Message, t
from assess.fields import (
    MAX_NUMBER_DIGITS,
    MAX_NUMBER_TEXT,
    MIN_NUMBER_EXPONENT,
    Field,
    FieldType,
)
from assess.firm import FieldValue as FieldValue

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
        return t("intake.shown.object")
    if isinstance(got, list | tuple | set):
        return t("intake.shown.list")
    if isinstance(got, int) and got.bit_length() > 4 * _SHOWN:  # repr() of 10**5000 fails
        return t("intake.shown.long_int", digits=f"{int(got.bit_length() * 0.30103) + 1:,}")
    if isinstance(got, dt.date | dt.time):
        return got.isoformat()
    if isinstance(got, str):
        if not got.strip():
            return t("intake.shown.blank")
        head = repr(got[:_SHOWN])[1:-1]  # escapes what a terminal cannot show
        if len(got) > _SHOWN:
            return t("intake.shown.cut", head=f"“{head}", length=f"{len(got):,}")
        return f"“{head}”"
    text = str(got) if isinstance(got, Decimal) else repr(got)
    if len(text) <= 2 * _SHOWN:
        return text
    return t("intake.shown.cut", head=text[:_SHOWN], length=f"{len(text):,}")


class ValueProblem(ValueError):
    """Why a value was refused, as a catalog code and its parameters; the caller adds the
    place.  The message (worded now, in the language in force) names the field by its
    label and says what to write instead."""

    def __init__(self, code: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(t(code, **params))


def want(spec: Field) -> str:
    """What a field expects, worded for a person: `数字，单位万元，如 1234.5`."""
    match spec.type:
        case FieldType.MONEY:
            return t("intake.want.money_signed" if spec.negative_ok else "intake.want.money")
        case FieldType.PERCENT:
            return t("intake.want.percent")
        case FieldType.INT:
            if spec.unit:
                return t("intake.want.whole_unit", unit=spec.unit)
            return t("intake.want.whole")
        case FieldType.NUMBER:
            if spec.unit:
                return t("intake.want.number_unit", unit=spec.unit)
            return t("intake.want.number")
        case FieldType.BOOL:
            return t("intake.want.bool")
        case FieldType.ENUM:
            return t("intake.want.choice", choices="".join(f"“{x}”" for _, x in spec.choices))
    return t("intake.want.text")


def _wrong(spec: Field, raw: object) -> ValueProblem:
    return ValueProblem("intake.value.wrong", label=spec.label, got=shown(raw), want=want(spec))


# Written for "not applicable" or "not known": read as blank, and the firm is told so.
BLANK_MARKERS = frozenset(
    {"—", "——", "–", "―", "-", "--", "/", "\\", "不适用", "n/a", "na", "#n/a", "不详", "未知"}
)
# Written for "none" in a count or an amount: zero.
NONE_WORDS = frozenset({"无", "没有", "暂无"})
# A count may carry its measure word: "5项", "5 件".
_COUNT_WORDS = ("项", "件", "家", "人", "名", "个", "篇", "次", "份")


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


def parse_value(spec: Field, raw: object, notes: list[Message] | None = None) -> FieldValue | None:
    """The typed value, None for blank, or `ValueProblem`.

    `notes` receives, as coded messages, what was changed on the way (invisible
    characters removed, "—" read as blank, an industry named by its GB/T 4754 name), for
    the caller to show with the value's place.
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        text = _normalise(raw)
        if not text:
            return None
        if text.lower() in BLANK_MARKERS:
            if notes is not None:
                notes.append(
                    Message("intake.warn.blank_marker", {"label": spec.label, "got": text})
                )
            return None
    match spec.type:
        case FieldType.TEXT:
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)
            return _text(spec, _string(spec, raw), notes)
        case FieldType.BOOL:
            return _parse_bool(spec, raw)
        case FieldType.ENUM:
            return _parse_enum(spec, raw, notes)
    return _parse_number(spec, raw)


def _string(spec: Field, raw: object) -> str:
    """A value as text, for the paths that read it so; JSON nesting is never a value (and
    str() of 100,000 nested lists would recurse past the limit)."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict | list | tuple | set):
        raise _wrong(spec, raw)
    return str(raw)


def _text(spec: Field, text: str, notes: list[Message] | None) -> str | None:
    if not text.isprintable():  # a C-speed test that passes nearly all text untouched
        text = _clean(spec, text, notes)
    text = text.strip()
    if len(text) > spec.text_limit:
        raise ValueProblem(
            "intake.value.too_long",
            label=spec.label,
            length=f"{len(text):,}",
            limit=spec.text_limit,
        )
    return text or None


def _clean(spec: Field, text: str, notes: list[Message] | None) -> str:
    """`text` without its format characters; `ValueProblem` for a control or surrogate."""
    bad = _REFUSED_CHARS.search(text)
    if bad is not None:
        char = bad.group()
        code = (
            "intake.value.surrogate"
            if "\ud800" <= char <= "\udfff"
            else "intake.value.control_char"
        )
        raise ValueProblem(
            code, label=spec.label, position=f"{bad.start() + 1:,}", char=f"U+{ord(char):04X}"
        )
    if _FORMAT_CHARS.search(text) is not None:
        removed = sorted({f"U+{ord(c):04X}" for c in _FORMAT_CHARS.findall(text)})
        count = len(_FORMAT_CHARS.findall(text))
        text = _FORMAT_CHARS.sub("", text)
        if notes is not None:
            notes.append(
                Message(
                    "intake.warn.format_chars",
                    {"label": spec.label, "count": count, "chars": "、".join(removed[:5])},
                )
            )
    return text


def _parse_bool(spec: Field, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float | Decimal):
        if isinstance(raw, Decimal) and not raw.is_finite():
            raise _wrong(spec, raw)  # comparing a signalling NaN raises
        if raw in (0, 1):
            return bool(raw)
    text = _normalise(_string(spec, raw)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _wrong(spec, raw)


@functools.cache
def _enum_lookup(spec: Field) -> tuple[dict[str, str], dict[str, str]]:
    """(normalised label → value, value → value) for a dropdown field: its labels in
    either language, so a cell written in English (`Field.choice_label`) reads back too."""
    english = zip(spec.choice_values, spec.choices_en, strict=False)
    return (
        {_normalise(label): value for value, label in (*english, *spec.choices)},
        {value: value for value, _ in spec.choices},
    )


def _parse_enum(spec: Field, raw: object, notes: list[Message] | None) -> str:
    text = _normalise(_string(spec, raw))
    labels, values = _enum_lookup(spec)
    found = values.get(text.lower()) or labels.get(text)
    if found is not None:
        return found
    if spec.id == "industry":
        from assess.intake.industry import industry_rows

        rows = industry_rows(text)
        if len(rows) == 1:
            if notes is not None:
                row = spec.choice_label(rows[0])
                notes.append(
                    Message(
                        "intake.warn.industry_synonym",
                        {"label": spec.label, "got": text, "row": row},
                    )
                )
            return rows[0]
        if rows:
            raise ValueProblem(
                "intake.value.industry_ambiguous",
                label=spec.label,
                got=text,
                rows="".join(f"“{spec.choice_label(r)}”" for r in rows),
            )
    raise _wrong(spec, raw)


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
        raise ValueProblem(
            "intake.value.negative", label=spec.label, got=shown(raw), want=want(spec)
        )
    if spec.type is FieldType.INT:
        if number != number.to_integral_value():
            raise ValueProblem(
                "intake.value.not_whole", label=spec.label, got=shown(raw), want=want(spec)
            )
        number = Decimal(int(number))
    if spec.minimum is not None and number < spec.minimum:
        raise ValueProblem(
            "intake.value.below_min",
            label=spec.label,
            got=shown(raw),
            minimum=spec.minimum,
            want=want(spec),
        )
    if spec.maximum is not None and number > spec.maximum:
        raise ValueProblem(
            "intake.value.above_max",
            label=spec.label,
            got=shown(raw),
            maximum=spec.maximum,
            want=want(spec),
        )
    return int(number) if spec.type is FieldType.INT else number


_INT_LIMIT = 10**MAX_NUMBER_DIGITS
_FLOAT_LIMIT = float(_INT_LIMIT)
_FLOAT_SMALL = float(f"1e{MIN_NUMBER_EXPONENT}")


def _exact_number(spec: Field, raw: object) -> Decimal:
    if isinstance(raw, bool | dt.date | dt.time):  # a datetime is a date
        raise _wrong(spec, raw)
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
            "intake.value.too_small",
            label=spec.label,
            got=shown(raw),
            exponent=MIN_NUMBER_EXPONENT,
        )


def _not_finite(spec: Field, raw: object) -> ValueProblem:
    return ValueProblem(
        "intake.value.not_finite", label=spec.label, got=shown(raw), want=want(spec)
    )


def _too_large(spec: Field, raw: object) -> ValueProblem:
    return ValueProblem(
        "intake.value.too_large",
        label=spec.label,
        got=shown(raw),
        digits=MAX_NUMBER_DIGITS,
        unit=f" {spec.unit}" if spec.unit else "",
    )


def _parse_number_text(spec: Field, raw: str) -> Decimal:
    text = _normalise(raw)
    if len(text) > MAX_NUMBER_TEXT:
        raise ValueProblem(
            "intake.value.number_too_long",
            label=spec.label,
            got=shown(raw),
            length=f"{len(text):,}",
            limit=MAX_NUMBER_TEXT,
        )
    if text in NONE_WORDS and (spec.minimum is None or spec.minimum <= 0):
        return Decimal(0)  # "无": none, a value; "不清楚" is a blank cell
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
    elif spec.type is FieldType.INT and text.endswith(_COUNT_WORDS):
        text = text[:-1]
    if len(text) > 2 and text[0] == "(" and text[-1] == ")":
        text = "-" + text[1:-1]  # an accountant's negative: (35.2) is -35.2
    number = _decimal(text)
    if number is None:
        raise _wrong(spec, raw)
    if not number.is_finite():
        raise _not_finite(spec, raw)
    if not -1000 < number.adjusted() < 1000 and number:
        _check_magnitude(spec, number, raw)  # before arithmetic: 1e9999999 × 1 overflows
    return number * scale
