"""Consistency checks across fields: warnings, never errors.

A figure that contradicts another (主营业务收入 above 营业收入, a credit code whose check
character is wrong, revenue that grew seven-fold in a year) is usually a typo or a unit
slip, but it can be true, so the firm is still assessed and the warning is shown beside
the result.  Each rule names both fields, in Chinese, with the field ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from assess.fields import FIELDS_BY_ID
from assess.intake.values import FieldValue

# (smaller, larger, why): `smaller` above `larger` is suspicious.
NOT_ABOVE: tuple[tuple[str, str, str], ...] = (
    ("main_revenue", "revenue", "主营业务收入是营业收入的一部分"),
    ("main_revenue_prev", "revenue_prev", "主营业务收入是营业收入的一部分"),
    ("main_revenue_prev2", "revenue_prev2", "主营业务收入是营业收入的一部分"),
    ("rd_staff", "employees", "研发人员包含在从业人员之中"),
    ("rd_expense", "revenue", "研发费用通常不超过营业收入，请核对单位是否都是万元"),
    ("rd_expense_prev", "revenue_prev", "研发费用通常不超过营业收入，请核对单位是否都是万元"),
    ("ip_class1_self", "ip_class1", "自主研发的Ⅰ类知识产权包含在Ⅰ类知识产权之中"),
    ("ip_class1_high_value", "ip_class1", "高价值Ⅰ类知识产权包含在Ⅰ类知识产权之中"),
    ("ip_class1_applied", "ip_class1", "已应用的Ⅰ类知识产权包含在Ⅰ类知识产权之中"),
    ("equity_financing_2y", "equity_financing_3y", "近3年的股权融资包含近2年的"),
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


def credit_code_warning(code: str) -> str | None:
    """Why `code` is not a valid 统一社会信用代码, in Chinese, or None."""
    label = f"{FIELDS_BY_ID['credit_code'].label}(credit_code) {code}"
    text = code.strip().upper()
    if len(text) != 18:
        return f"{label} 应为 18 位，实际 {len(text)} 位，请核对"
    bad = sorted({c for c in text if c not in CREDIT_CODE_CHARSET})
    if bad:
        return (
            f"{label} 含有不允许的字符 {''.join(bad)}"
            "（只能是数字和除 I、O、Z、S、V 以外的大写字母），请核对"
        )
    want = credit_code_check_char(text[:17])
    if text[17] != want:
        return f"{label} 的校验位应为 {want}，实际为 {text[17]}（GB 32100-2015），请核对是否抄错"
    return None


def _number(value: FieldValue | None) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return None
    return Decimal(value)


def _show(field_id: str, value: Decimal) -> str:
    spec = FIELDS_BY_ID[field_id]
    unit = f" {spec.unit}" if spec.unit else ""
    text = f"{value.normalize():,f}" if value == value.to_integral_value() else f"{value:,f}"
    return f"{spec.label}({field_id}) {text}{unit}"


def consistency_warnings(values: Mapping[str, FieldValue]) -> list[str]:
    """Every suspicious combination of figures in `values`, as Chinese sentences."""
    out: list[str] = []
    for small, large, why in NOT_ABOVE:
        a, b = _number(values.get(small)), _number(values.get(large))
        if a is not None and b is not None and a > b:
            out.append(f"{_show(small, a)} 大于 {_show(large, b)}：{why}，请核对")
    for this, before in GROWTH_PAIRS:
        a, b = _number(values.get(this)), _number(values.get(before))
        if a is None or b is None or b <= 0:
            continue
        growth = (a / b - 1) * 100
        if growth > MAX_GROWTH_PERCENT:
            out.append(
                f"{_show(this, a)} 比 {_show(before, b)} 增长 {growth:.0f}%，"
                f"超过 {MAX_GROWTH_PERCENT}%：请核对两年的单位是否都是万元"
            )
    code = values.get("credit_code")
    if isinstance(code, str) and code.strip():
        warning = credit_code_warning(code)
        if warning:
            out.append(warning)
    return out
