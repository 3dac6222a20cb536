"""Messages that say what to do: synonyms, blanks, counts and negatives as people write
them, every intake message coded and worded in the language in force."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from assess import catalog as c
from assess.catalog import Message, using
from assess.errors import InputError
from assess.fields import FIELDS_BY_ID, INDUSTRIES
from assess.intake.firm import firm_from_mapping
from assess.intake.industry import SYNONYMS, industry_rows
from assess.intake.values import ValueProblem, parse_value

ROOT = Path(__file__).resolve().parents[1]
INDUSTRY = FIELDS_BY_ID["industry"]
ROWS = {value for value, _ in INDUSTRIES}


@pytest.mark.parametrize(
    ("written", "row"),
    [
        ("制造业", "industry"),
        ("采矿业", "industry"),
        ("专用设备制造业", "industry"),
        ("计算机、通信和其他电子设备制造业", "industry"),
        ("电力、热力、燃气及水生产和供应业", "industry"),
        ("农业", "agriculture"),
        ("房屋建筑业", "construction"),
        ("道路运输业", "transport"),
        ("装卸搬运和仓储业", "warehousing"),
        ("互联网和相关服务", "telecom"),
        ("软件业", "software"),
        ("商务服务业", "leasing_business"),
        ("科学研究和技术服务业", "other"),
    ],
)
def test_an_industry_named_as_in_gbt_4754_is_its_size_row_with_a_warning(
    written: str, row: str
) -> None:
    notes: list[Message] = []
    assert parse_value(INDUSTRY, written, notes) == row
    (note,) = notes
    assert note.code == "intake.warn.industry_synonym"
    label = INDUSTRY.choice_label(row)
    assert note.text() == (
        f"所属行业(划型)：“{written}”属于“{label}”，已按“{label}”划型；请在问卷中直接选择“{label}”"
    )


@pytest.mark.parametrize(
    ("written", "rows"),
    [
        ("批发和零售业", "“批发业”“零售业”"),
        ("住宿和餐饮业", "“住宿业”“餐饮业”"),
        ("交通运输、仓储和邮政业", "“交通运输业”“仓储业”“邮政业”"),
        ("信息传输、软件和信息技术服务业", "“信息传输业”“软件和信息技术服务业”"),
    ],
)
def test_a_section_over_several_rows_asks_the_firm_to_choose(written: str, rows: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_value(INDUSTRY, written)
    assert caught.value.code == "intake.value.industry_ambiguous"
    assert str(caught.value) == f"所属行业(划型)：“{written}”包括{rows}，请选择其中一项"


def test_every_synonym_names_known_rows_and_no_row_label_is_shadowed() -> None:
    assert all(rows and set(rows) <= ROWS for rows in SYNONYMS.values())
    for value, label in INDUSTRIES:
        assert parse_value(INDUSTRY, label) == value  # the label itself, no warning
    assert industry_rows("金融业") == ()  # outside the size standard: refused as written


@pytest.mark.parametrize(
    ("field_id", "written", "value"),
    [
        ("ip_class1", "5项", 5),
        ("ip_class1", "5 件", 5),
        ("univ_partners", "3家", 3),
        ("ip_class2", "无", 0),
        ("tech_upgrade_expense", "无", Decimal(0)),
        ("net_profit", "(35.2)", Decimal("-35.2")),
        ("net_profit", "（35.2）万元", Decimal("-35.2")),
    ],
)
def test_counts_none_and_accounting_negatives(field_id: str, written: str, value: object) -> None:
    assert parse_value(FIELDS_BY_ID[field_id], written) == value


def test_an_accounting_negative_where_none_is_allowed_says_so() -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_value(FIELDS_BY_ID["revenue"], "(35.2)")
    assert caught.value.code == "intake.value.negative"
    assert "不能为负数" in str(caught.value)


@pytest.mark.parametrize("written", ["—", "/", "不适用", "N/A", "n/a", "－", "／"])
def test_not_applicable_marks_are_blank_and_the_firm_is_told(written: str) -> None:
    notes: list[Message] = []
    assert parse_value(FIELDS_BY_ID["rd_expense"], written, notes) is None
    (note,) = notes
    assert note.code == "intake.warn.blank_marker"
    assert "按未填处理" in note.text() and "如果是没有，请填 0" in note.text()
    firm = firm_from_mapping({"name": "甲", "rd_expense": written}, "firm.json")
    assert "rd_expense" not in firm.values
    assert [n.path for n in firm.notices] == ["rd_expense"]


def test_market_rank_none_is_not_zero() -> None:
    with pytest.raises(ValueProblem):  # a rank starts at 1: "无" is not a rank
        parse_value(FIELDS_BY_ID["market_rank"], "无")


def test_a_problem_carries_code_field_and_place_and_follows_the_language() -> None:
    with pytest.raises(InputError) as caught:
        firm_from_mapping({"name": "甲", "revenue": "约300"}, "firm.json")
    (problem,) = caught.value.problems
    record = problem.record()
    assert record["code"] == "intake.value.wrong" and record["path"] == "revenue"
    assert record["where"] == "firm.json" and record["params"]["got"] == "“约300”"
    assert "revenue" not in problem.message and "上年度营业收入" in problem.message
    with using("en"), pytest.raises(InputError) as caught:
        firm_from_mapping({"name": "甲", "revenue": "约300"}, "firm.json")
    message = caught.value.problems[0].message
    assert "write a number of 10k yuan" in message
    assert not re.search(
        r"[\u4e00-\u9fff]", message.replace("上年度营业收入", "").replace("约", "")
    )


def _literal_intake_keys() -> set[str]:
    keys: set[str] = set()
    for path in (ROOT / "assess" / "intake").rglob("*.py"):
        keys |= set(re.findall(r"""["'](intake\.[a-z_.]+[a-z_])["']""", path.read_text("utf-8")))
    return keys


def test_every_intake_key_the_code_names_is_in_the_catalog() -> None:
    keys = _literal_intake_keys()
    assert len(keys) > 50
    missing = sorted(k for k in keys if not c.has(k))
    assert not missing, missing
