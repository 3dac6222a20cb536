"""Consistency checks across fields: warnings, never errors.

A figure that contradicts another (主营业务收入 above 营业收入, a credit code whose check
character is wrong, revenue that grew seven-fold in a year) is usually a typo or a unit
slip, but it can be true, so the firm is still assessed and the warning is shown beside
the result.  Each rule is a coded warning naming both fields by their labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from assess.catalog import Message, t
from assess.errors import Problem
from assess.fields import FIELDS_BY_ID
from assess.intake.values import FieldValue

# (smaller, larger, why): `smaller` above `larger` is suspicious; `why` is a catalog key.
NOT_ABOVE: tuple[tuple[str, str, str], ...] = (
    ("main_revenue", "revenue", "intake.check.why.part_of_revenue"),
    ("main_revenue_prev", "revenue_prev", "intake.check.why.part_of_revenue"),
    ("main_revenue_prev2", "revenue_prev2", "intake.check.why.part_of_revenue"),
    ("rd_staff", "employees", "intake.check.why.rd_staff"),
    ("rd_expense", "revenue", "intake.check.why.rd_expense"),
    ("rd_expense_prev", "revenue_prev", "intake.check.why.rd_expense"),
    ("ip_class1_self", "ip_class1", "intake.check.why.ip_self"),
    ("ip_class1_high_value", "ip_class1", "intake.check.why.ip_high_value"),
    ("ip_class1_applied", "ip_class1", "intake.check.why.ip_applied"),
    ("equity_financing_2y", "equity_financing_3y", "intake.check.why.equity"),
)

# (this year, the year before): growth above MAX_GROWTH_PERCENT is suspicious.
GROWTH_PAIRS: tuple[tuple[str, str], ...] = (
    ("revenue", "revenue_prev"),
    ("revenue_prev", "revenue_prev2"),
    ("main_revenue", "main_revenue_prev"),
    ("main_revenue_prev", "main_revenue_prev2"),
    ("rd_expense", "rd_expense_prev"),
)
MAX_GROWTH_PERCENT = Decimal(500)

# GB 32100-2015 统一社会信用代码: 18 characters from this set (no I, O, Z, S, V); the
# last is a check character over the first 17 with weights 3^i mod 31.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a credit code."""
    total = sum(
        CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    check = 31 - total % 31
    return CREDIT_CODE_CHARSET[0 if check == 31 else check]


def credit_code_message(code: str) -> Message | None:
    """Why `code` is not a valid 统一社会信用代码 (GB 32100-2015), as a coded message, or
    None when it is valid.  The report cover asks this to mark a failing code."""
    text = code.strip().upper()
    if len(text) != 18:
        return Message("intake.check.credit_length", {"value": code.strip(), "length": len(text)})
    bad = sorted({c for c in text if c not in CREDIT_CODE_CHARSET})
    if bad:
        return Message("intake.check.credit_chars", {"value": text, "chars": "".join(bad)})
    want = credit_code_check_char(text[:17])
    if text[17] != want:
        return Message(
            "intake.check.credit_check_char", {"value": text, "want": want, "got": text[17]}
        )
    return None


def credit_code_valid(code: str) -> bool:
    """True when `code` is a valid 统一社会信用代码: 18 characters, check character right."""
    return credit_code_message(code) is None


def credit_code_warning(code: str) -> str | None:
    """Why `code` is not a valid 统一社会信用代码, worded in the language in force, or None."""
    message = credit_code_message(code)
    return message.text() if message is not None else None


def _number(value: FieldValue | None) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return None
    return Decimal(value)


def _show(field_id: str, value: Decimal) -> str:
    spec = FIELDS_BY_ID[field_id]
    unit = f" {spec.unit}" if spec.unit else ""
    text = f"{value.normalize():,f}" if value == value.to_integral_value() else f"{value:,f}"
    return f"{text}{unit}"


def consistency_warnings(values: Mapping[str, FieldValue], where: str = "") -> list[Problem]:
    """Every suspicious combination of figures in `values`, as coded warnings about the
    first field of each (the place is the firm's, `where`)."""
    out: list[Problem] = []
    for small, large, why in NOT_ABOVE:
        a, b = _number(values.get(small)), _number(values.get(large))
        if a is not None and b is not None and a > b:
            out.append(
                Problem.coded(
                    where,
                    small,
                    "intake.check.not_above",
                    small=FIELDS_BY_ID[small].label,
                    small_value=_show(small, a),
                    large=FIELDS_BY_ID[large].label,
                    large_value=_show(large, b),
                    why=t(why),
                )
            )
    for this, before in GROWTH_PAIRS:
        a, b = _number(values.get(this)), _number(values.get(before))
        if a is None or b is None or b <= 0:
            continue
        growth = (a / b - 1) * 100
        if growth > MAX_GROWTH_PERCENT:
            out.append(
                Problem.coded(
                    where,
                    this,
                    "intake.check.growth",
                    this=FIELDS_BY_ID[this].label,
                    this_value=_show(this, a),
                    before=FIELDS_BY_ID[before].label,
                    before_value=_show(before, b),
                    growth=f"{growth:.0f}",
                    limit=MAX_GROWTH_PERCENT,
                )
            )
    code = values.get("credit_code")
    if isinstance(code, str) and code.strip():
        message = credit_code_message(code)
        if message is not None:
            out.append(Problem.coded(where, "credit_code", message.code, **message.params))
    return out
