"""Cross-field consistency: warnings in Chinese naming both fields, never errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from assess.catalog import using
from assess.errors import Problem
from assess.fields import FIELDS_BY_ID
from assess.intake.checks import (
    CREDIT_CODE_CHARSET,
    consistency_warnings,
    credit_code_check_char,
    credit_code_message,
    credit_code_valid,
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


def notices_for(**changes: Any) -> tuple[Problem, ...]:
    return firm_from_mapping({**GOOD, **changes}, "firm.json").notices


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
    (notice,) = notices_for(**changes)
    assert notice.code == "intake.check.not_above" and notice.path == fields[0]
    for text in (*(FIELDS_BY_ID[f].label for f in fields), *words):
        assert text in notice.message, notice.message
    assert not any(f in notice.message for f in fields)  # labels, never field ids
    assert notice.message.count("请核对") == 1


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
    found = [n for n in notices_for(**big) if n.code == "intake.check.growth"]
    assert len(found) == 1, warnings_for(**big)
    message = found[0].message
    assert found[0].path == this
    assert FIELDS_BY_ID[this].label in message and FIELDS_BY_ID[before].label in message
    assert "600%" in message and "超过 500%" in message


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
    (notice,) = notices_for(credit_code=code)
    assert notice.path == "credit_code" and notice.code.startswith("intake.check.credit_")
    assert notice.message.startswith(f"统一社会信用代码 {code}")
    for text in words:
        assert text in notice.message, notice.message
    assert not credit_code_valid(code)
    with using("en"):
        message = credit_code_message(code)
        assert message is not None and "credit code" in message.text()


def test_a_bad_credit_code_is_reported_once_in_the_first_run(tmp_path: Path) -> None:
    """Read once, warned once: the firm's warnings hold it a single time."""
    firm = firm_from_mapping({**GOOD, "credit_code": "914403001922038217"}, "firm.json")
    assert sum("统一社会信用代码" in w for w in firm.warnings) == 1


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
    assert record.firm is not None
    assert {n.path for n in record.firm.notices} == {"main_revenue", "credit_code"}
    assert any("上年度主营业务收入" in w for w in record.warnings)
    assert any("统一社会信用代码" in w for w in record.warnings)


def test_consistency_warnings_ignore_missing_and_non_numbers() -> None:
    assert consistency_warnings({"main_revenue": 5}) == []
    assert consistency_warnings({"main_revenue": 5, "revenue": True}) == []
