"""Cross-field consistency: warnings in Chinese naming both fields, never errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from assess.intake.checks import (
    CREDIT_CODE_CHARSET,
    consistency_warnings,
    credit_code_check_char,
    credit_code_warning,
)
from assess.intake.firm import firm_from_mapping
from assess.intake.workbook import read_workbook

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

GOOD: dict[str, Any] = {
    "name": "甲",
    "credit_code": "91370100MA3C4X5Y6W",
    "employees": 100,
    "rd_staff": 20,
    "revenue": 5000,
    "revenue_prev": 4500,
    "revenue_prev2": 4000,
    "main_revenue": 4000,
    "main_revenue_prev": 3600,
    "main_revenue_prev2": 3200,
    "rd_expense": 300,
    "rd_expense_prev": 250,
    "ip_class1": 5,
    "ip_class1_self": 4,
    "ip_class1_high_value": 1,
    "ip_class1_applied": 3,
    "equity_financing_2y": 1000,
    "equity_financing_3y": 1500,
}


def warnings_for(**changes: Any) -> tuple[str, ...]:
    return firm_from_mapping({**GOOD, **changes}, "firm.json").warnings


def test_consistent_firm_has_no_warnings() -> None:
    assert warnings_for() == ()


@pytest.mark.parametrize("stem", ["strong", "borderline", "weak"])
def test_samples_are_consistent(stem: str) -> None:
    data = json.loads((SAMPLES / f"{stem}.json").read_text(encoding="utf-8"))
    assert firm_from_mapping(data, stem).warnings == ()


@pytest.mark.parametrize(
    ("changes", "fields", "words"),
    [
        ({"main_revenue": 5001}, ("main_revenue", "revenue"), ("上年度主营业务收入", "大于")),
        ({"main_revenue_prev2": 4100}, ("main_revenue_prev2", "revenue_prev2"), ("大前年",)),
        ({"rd_staff": 101}, ("rd_staff", "employees"), ("研发人员数", "从业人员数")),
        (
            {"rd_expense": 6000, "rd_expense_prev": 1500},
            ("rd_expense", "revenue"),
            ("上年度研发费用", "万元"),
        ),
        ({"ip_class1_self": 6}, ("ip_class1_self", "ip_class1"), ("自主研发Ⅰ类知识产权数",)),
        ({"ip_class1_high_value": 6}, ("ip_class1_high_value", "ip_class1"), ("高价值",)),
        (
            {"equity_financing_3y": 900},
            ("equity_financing_2y", "equity_financing_3y"),
            ("近3年", "近2年"),
        ),
    ],
)
def test_figure_above_the_figure_that_contains_it(
    changes: dict[str, Any], fields: tuple[str, ...], words: tuple[str, ...]
) -> None:
    (warning,) = warnings_for(**changes)
    for text in (*(f"({f})" for f in fields), *words):
        assert text in warning, warning


def test_equal_figures_are_fine() -> None:
    assert warnings_for(main_revenue=5000, rd_staff=100, equity_financing_3y=1000) == ()


@pytest.mark.parametrize(
    ("this", "before"),
    [
        ("revenue", "revenue_prev"),
        ("revenue_prev", "revenue_prev2"),
        ("main_revenue", "main_revenue_prev"),
        ("rd_expense", "rd_expense_prev"),
    ],
)
def test_growth_above_500_percent(this: str, before: str) -> None:
    big = {this: GOOD[before] * 7}
    if this.startswith("main_revenue"):
        big["revenue"] = big[this] + 1  # keep main ≤ total
    warnings = [w for w in warnings_for(**big) if "增长" in w]
    assert len(warnings) == 1, warnings_for(**big)
    assert f"({this})" in warnings[0] and f"({before})" in warnings[0]
    assert "600%" in warnings[0] and "超过 500%" in warnings[0]


def test_growth_of_exactly_500_percent_and_from_zero_are_fine() -> None:
    assert warnings_for(rd_expense=1500, rd_expense_prev=250) == ()  # +500%
    assert warnings_for(rd_expense_prev=0) == ()  # no base year: not a growth rate


@pytest.mark.parametrize(
    "code", ["914403001922038216", "9144030071526726XG", "91110000600037341L", "91370100MA3C4X5Y6W"]
)
def test_real_credit_codes_validate(code: str) -> None:
    assert credit_code_warning(code) is None
    assert credit_code_check_char(code[:17]) == code[17]


def test_check_character_rules() -> None:
    assert len(CREDIT_CODE_CHARSET) == 31 and not set("IOZSV") & set(CREDIT_CODE_CHARSET)
    # Σ mod 31 == 0 gives 31 − 0 = 31, written as 0.
    assert credit_code_check_char("0" * 17) == "0"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("914403001922038217", ("校验位应为 6", "实际为 7", "GB 32100-2015")),
        ("91440300192203821", ("应为 18 位", "17 位")),
        ("91440300192203821I", ("不允许的字符 I",)),
    ],
)
def test_bad_credit_codes(code: str, words: tuple[str, ...]) -> None:
    (warning,) = warnings_for(credit_code=code)
    assert "统一社会信用代码(credit_code)" in warning
    for text in words:
        assert text in warning, warning


def test_warnings_are_not_errors_and_reach_excel(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "问卷"
    ws.append(["字段ID", "项目", "单位", "填写值"])
    for key, value in {**GOOD, "main_revenue": 9000, "credit_code": "914403001922038217"}.items():
        ws.append([key, "", "", value])
    wb.save(tmp_path / "f.xlsx")
    (record,) = read_workbook(tmp_path / "f.xlsx")
    assert record.ok
    assert len(record.warnings) == 2
    assert any("(main_revenue)" in w for w in record.warnings)
    assert any("(credit_code)" in w for w in record.warnings)


def test_consistency_warnings_ignore_missing_and_non_numbers() -> None:
    assert consistency_warnings({"main_revenue": 5}) == []
    assert consistency_warnings({"main_revenue": 5, "revenue": True}) == []
