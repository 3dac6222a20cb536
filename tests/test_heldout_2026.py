"""Held-out firms on every edge of the 2026 conditions, scored against a reference.

The reference below is written from the text of the 2026 measures as recorded in the
project's criteria notes (专精特新: revenue ≥ 1500 万元 or 2-year equity ≥ 2000 万元, main
business ≥ 80%, debt ≤ 80%, R&D ≥ 100 万元 and ≥ 3% in each of the last two years, ≥ 1
applied Class I IP or a waiver, platform score ≥ 50; 小巨人: revenue ≥ 5000 万元, main
business ≥ 90%, 2-year compound revenue growth ≥ 5%, debt ≤ 75%, R&D ≥ 1200 万元 over two
years and ≥ 3% each year, ≥ 4 applied Class I IP or a national award ranked top 3, national
or international niche share ≥ 10% or national top 3, platform score ≥ 60).  It does not
read the rubric files: it works on Decimal figures directly (the compound growth through a
square root), so a wrong number in a rubric shows up here as a disagreement.  None of these
firms is one of the rubric cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

import pytest

from assess.engine import evaluate
from assess.intake.firm import firm_from_mapping
from assess.rubric.loader import get_rubric

D = Decimal
PCT = D(100)


def _d(firm: dict[str, Any], key: str) -> Decimal | None:
    value = firm.get(key)
    return None if value is None else D(str(value))


def _sme(firm: dict[str, Any]) -> bool:
    # 工业: an SME when X < 1000 or Y < 40000 (every firm here is industrial).
    employees, revenue = _d(firm, "employees"), _d(firm, "revenue")
    return bool(
        (employees is not None and employees < 1000) or (revenue is not None and revenue < 40000)
    )


def reference_srdi_2026(firm: dict[str, Any]) -> dict[str, bool]:
    """专精特新中小企业 (2026), condition by condition, for firms with every figure given."""
    revenue, revenue_prev = _d(firm, "revenue"), _d(firm, "revenue_prev")
    rd, rd_prev = _d(firm, "rd_expense"), _d(firm, "rd_expense_prev")
    assert revenue and revenue_prev and rd is not None and rd_prev is not None
    main, equity = _d(firm, "main_revenue"), _d(firm, "equity_financing_2y")
    assets, debt = _d(firm, "total_assets"), _d(firm, "total_liabilities")
    assert main is not None and equity is not None and assets and debt is not None
    return {
        "eligible": _sme(firm)
        and firm["compliance_ok"] is True
        and (firm.get("has_innovative_title") is True or firm.get("tech_sme_title") is True),
        "niche_years": D(str(firm["niche_years"])) >= 3,
        "revenue": revenue >= 1500 or equity >= 2000,
        "main_share": main / revenue * PCT >= 80,
        "debt_ratio": debt / assets * PCT <= 80,
        "rd_expense": all(
            amount >= 100 and amount / income * PCT >= 3
            for amount, income in ((rd, revenue), (rd_prev, revenue_prev))
        ),
        "ip_applied": int(firm["ip_class1_applied"]) >= 1
        or firm["award"] in ("provincial_top3", "national_top3")
        or firm["rd_institution"] in ("provincial", "national"),
        "platform_score": D(str(firm["platform_score"])) >= 50,
    }


def _compound_growth(end: Decimal, start: Decimal) -> Decimal:
    """(end / start)^(1/2) − 1, to 40 digits: exact for the perfect squares on the edge."""
    with localcontext() as ctx:
        ctx.prec = 40
        return (end / start).sqrt() - 1


def reference_little_giant_2026(firm: dict[str, Any], review: bool = False) -> dict[str, bool]:
    """专精特新"小巨人" (2026); with `review`, its review relaxations: growth not examined, the
    platform score met when either of the last two years reaches 60."""
    revenue, revenue_prev = _d(firm, "revenue"), _d(firm, "revenue_prev")
    revenue_prev2 = _d(firm, "revenue_prev2")
    rd, rd_prev = _d(firm, "rd_expense"), _d(firm, "rd_expense_prev")
    assert revenue and revenue_prev and revenue_prev2 and rd is not None and rd_prev is not None
    main = _d(firm, "main_revenue")
    assets, debt = _d(firm, "total_assets"), _d(firm, "total_liabilities")
    assert main is not None and assets and debt is not None
    share, share_intl = _d(firm, "market_share"), _d(firm, "market_share_intl")
    rank = firm.get("market_rank")
    scores = [_d(firm, "platform_score")] + ([_d(firm, "platform_score_prev")] if review else [])
    out = {
        "eligible": _sme(firm)
        and firm["compliance_ok"] is True
        and (review or firm.get("has_srdi_title") is True),
        "niche_years": D(str(firm["niche_years"])) >= 3,
        "main_share": main / revenue * PCT >= 90,
        "revenue": revenue >= 5000,
        "debt_ratio": debt / assets * PCT <= 75,
        "rd_expense": rd + rd_prev >= 1200
        and rd / revenue * PCT >= 3
        and rd_prev / revenue_prev * PCT >= 3,
        "ip_class1": int(firm["ip_class1_applied"]) >= 4 or firm["award"] == "national_top3",
        "market_position": (share is not None and share >= 10)
        or (share_intl is not None and share_intl >= 10)
        or (rank is not None and int(rank) <= 3),
        "product_field": firm["product_field"] in ("six_basics", "key_link"),
        "platform_score": any(s is not None and s >= 60 for s in scores),
    }
    if not review:
        out["revenue_growth"] = _compound_growth(revenue, revenue_prev2) >= D("0.05")
    return out


SRDI_BASE: dict[str, Any] = {
    "name": "留出企业（专精特新）",
    "industry": "industry",
    "employees": 85,
    "compliance_ok": True,
    "has_innovative_title": True,
    "tech_sme_title": False,
    "niche_years": 4,
    "revenue": "3200",
    "revenue_prev": "2900",
    "main_revenue": "2900",  # 90.6%
    "total_assets": "5000",
    "total_liabilities": "1500",  # 30%
    "equity_financing_2y": "0",
    "rd_expense": "160",  # 5%
    "rd_expense_prev": "120",  # 4.14%
    "ip_class1_applied": 1,
    "award": "none",
    "rd_institution": "municipal",
    "platform_score": "57",
}

LG_BASE: dict[str, Any] = {
    "name": "留出企业（小巨人）",
    "industry": "industry",
    "employees": 260,
    "compliance_ok": True,
    "has_srdi_title": True,
    "niche_years": 8,
    "revenue": "9000",
    "revenue_prev": "8200",
    "revenue_prev2": "7800",  # 9000 / 7800 = 1.1538: growth 7.4% a year
    "main_revenue": "8600",  # 95.6%
    "total_assets": "12000",
    "total_liabilities": "6000",  # 50%
    "rd_expense": "700",  # 7.78%
    "rd_expense_prev": "600",  # 7.32%; 1300 over two years
    "ip_class1": 8,
    "ip_class1_applied": 5,
    "award": "none",
    "market_share": "11",
    "market_share_intl": "0",
    "market_rank": 5,
    "product_field": "six_basics",
    "platform_score": "66",
    "platform_score_prev": "52",
}


@dataclass(frozen=True)
class Edge:
    rubric: str
    name: str
    changes: dict[str, Any]
    passes: bool  # what the standard's text says, written out by hand


SRDI = "miit-2026-srdi"
LG = "miit-2026-little-giant"
LG_REVIEW = "miit-2026-little-giant-review"

EDGES = [
    Edge(SRDI, "base", {}, True),
    # revenue 1500: main 1350 = 90%, R&D 100 = 6.67% of 1500
    Edge(
        SRDI,
        "revenue_exactly_1500",
        {"revenue": "1500", "main_revenue": "1350", "rd_expense": "100"},
        True,
    ),
    Edge(
        SRDI,
        "revenue_1499_99",
        {"revenue": "1499.99", "main_revenue": "1350", "rd_expense": "100"},
        False,
    ),
    Edge(
        SRDI,
        "revenue_1499_99_equity_exactly_2000",
        {
            "revenue": "1499.99",
            "main_revenue": "1350",
            "rd_expense": "100",
            "equity_financing_2y": "2000",
        },
        True,
    ),
    Edge(
        SRDI,
        "revenue_1499_99_equity_1999_99",
        {
            "revenue": "1499.99",
            "main_revenue": "1350",
            "rd_expense": "100",
            "equity_financing_2y": "1999.99",
        },
        False,
    ),
    Edge(SRDI, "main_share_exactly_80", {"main_revenue": "2560"}, True),
    Edge(SRDI, "main_share_just_under_80", {"main_revenue": "2559.99"}, False),
    Edge(SRDI, "debt_exactly_80", {"total_liabilities": "4000"}, True),
    Edge(SRDI, "debt_just_over_80", {"total_liabilities": "4000.01"}, False),
    Edge(SRDI, "rd_exactly_100", {"rd_expense": "100"}, True),  # 3.125%
    Edge(SRDI, "rd_99_99", {"rd_expense": "99.99"}, False),
    Edge(SRDI, "rd_prev_exactly_100", {"rd_expense_prev": "100"}, True),  # 3.45%
    Edge(SRDI, "rd_prev_99_99", {"rd_expense_prev": "99.99"}, False),
    # 3% of 5000 is 150 and of 4000 is 120, both above 100 万元
    Edge(
        SRDI,
        "rd_share_exactly_3_both_years",
        {
            "revenue": "5000",
            "main_revenue": "4500",
            "rd_expense": "150",
            "revenue_prev": "4000",
            "rd_expense_prev": "120",
        },
        True,
    ),
    Edge(
        SRDI,
        "rd_share_just_under_3_last_year",
        {
            "revenue": "5000",
            "main_revenue": "4500",
            "rd_expense": "149.99",
            "revenue_prev": "4000",
            "rd_expense_prev": "120",
        },
        False,
    ),
    Edge(
        SRDI,
        "rd_share_just_under_3_the_year_before",
        {
            "revenue": "5000",
            "main_revenue": "4500",
            "rd_expense": "150",
            "revenue_prev": "4000",
            "rd_expense_prev": "119.99",
        },
        False,
    ),
    Edge(SRDI, "applied_ip_exactly_1", {"ip_class1_applied": 1}, True),
    Edge(SRDI, "applied_ip_0_no_waiver", {"ip_class1_applied": 0}, False),
    Edge(
        SRDI,
        "applied_ip_0_provincial_institution",
        {"ip_class1_applied": 0, "rd_institution": "provincial"},
        True,
    ),
    Edge(SRDI, "platform_exactly_50", {"platform_score": "50"}, True),
    Edge(SRDI, "platform_49_99", {"platform_score": "49.99"}, False),
    Edge(SRDI, "niche_exactly_3", {"niche_years": 3}, True),
    Edge(SRDI, "niche_2_99", {"niche_years": "2.99"}, False),
    Edge(
        SRDI, "tech_sme_title_only", {"has_innovative_title": False, "tech_sme_title": True}, True
    ),
    Edge(LG, "base", {}, True),
    # revenue 5000: main 4750 = 95%; 5000 / 4000 = 1.25 ≥ 1.1025
    Edge(
        LG,
        "revenue_exactly_5000",
        {"revenue": "5000", "main_revenue": "4750", "revenue_prev2": "4000"},
        True,
    ),
    Edge(
        LG,
        "revenue_4999_99",
        {"revenue": "4999.99", "main_revenue": "4750", "revenue_prev2": "4000"},
        False,
    ),
    Edge(LG, "main_share_exactly_90", {"main_revenue": "8100"}, True),
    Edge(LG, "main_share_just_under_90", {"main_revenue": "8099.99"}, False),
    # 8820 / 8000 = 1.1025 = 1.05²: compound growth exactly 5%
    Edge(
        LG,
        "growth_exactly_5_compound",
        {"revenue": "8820", "main_revenue": "8400", "revenue_prev2": "8000"},
        True,
    ),
    Edge(
        LG,
        "growth_just_under_5_compound",
        {"revenue": "8819.99", "main_revenue": "8400", "revenue_prev2": "8000"},
        False,
    ),
    # two years of 4.9%: 8000 × 1.049² = 8803.208, short of 8000 × 1.05² = 8820
    Edge(
        LG,
        "growth_4_9_a_year",
        {"revenue": "8803.208", "main_revenue": "8400", "revenue_prev2": "8000"},
        False,
    ),
    Edge(LG, "debt_exactly_75", {"total_liabilities": "9000"}, True),
    Edge(LG, "debt_just_over_75", {"total_liabilities": "9000.01"}, False),
    Edge(LG, "rd_two_years_exactly_1200", {"rd_expense": "600", "rd_expense_prev": "600"}, True),
    Edge(LG, "rd_two_years_1199_99", {"rd_expense": "599.99", "rd_expense_prev": "600"}, False),
    # 3% of 9000 is 270; 3% of 8200 is 246
    Edge(LG, "rd_share_exactly_3_last_year", {"rd_expense": "270", "rd_expense_prev": "940"}, True),
    Edge(
        LG,
        "rd_share_just_under_3_last_year",
        {"rd_expense": "269.99", "rd_expense_prev": "940"},
        False,
    ),
    Edge(
        LG,
        "rd_share_exactly_3_the_year_before",
        {"rd_expense": "960", "rd_expense_prev": "246"},
        True,
    ),
    Edge(
        LG,
        "rd_share_just_under_3_the_year_before",
        {"rd_expense": "960", "rd_expense_prev": "245.99"},
        False,
    ),
    Edge(LG, "applied_ip_exactly_4", {"ip_class1_applied": 4}, True),
    Edge(LG, "applied_ip_3_of_8_owned", {"ip_class1_applied": 3}, False),
    Edge(
        LG,
        "applied_ip_3_national_award_top3",
        {"ip_class1_applied": 3, "award": "national_top3"},
        True,
    ),
    Edge(LG, "market_share_exactly_10", {"market_share": "10"}, True),
    Edge(LG, "market_share_9_99", {"market_share": "9.99"}, False),
    Edge(
        LG,
        "international_share_exactly_10",
        {"market_share": "9.99", "market_share_intl": "10"},
        True,
    ),
    Edge(LG, "national_rank_exactly_3", {"market_share": "9.99", "market_rank": 3}, True),
    Edge(LG, "national_rank_4", {"market_share": "9.99", "market_rank": 4}, False),
    Edge(LG, "platform_exactly_60", {"platform_score": "60"}, True),
    Edge(LG, "platform_59_99", {"platform_score": "59.99"}, False),
    Edge(LG_REVIEW, "review_base", {}, True),
    Edge(LG_REVIEW, "review_growth_not_examined", {"revenue_prev2": "9500"}, True),
    Edge(
        LG_REVIEW,
        "review_platform_59_99_prev_exactly_60",
        {"platform_score": "59.99", "platform_score_prev": "60"},
        True,
    ),
    Edge(
        LG_REVIEW,
        "review_platform_both_years_59_99",
        {"platform_score": "59.99", "platform_score_prev": "59.99"},
        False,
    ),
]


def _firm(edge: Edge) -> dict[str, Any]:
    base = SRDI_BASE if edge.rubric == SRDI else LG_BASE
    return {**base, **edge.changes}


def _reference(edge: Edge) -> dict[str, bool]:
    firm = _firm(edge)
    if edge.rubric == SRDI:
        return reference_srdi_2026(firm)
    return reference_little_giant_2026(firm, review=edge.rubric == LG_REVIEW)


@pytest.mark.parametrize("edge", EDGES, ids=[f"{e.rubric}:{e.name}" for e in EDGES])
def test_the_rubric_agrees_with_the_reference(edge: Edge) -> None:
    reference = _reference(edge)
    assert all(reference.values()) is edge.passes, reference  # the reference, pinned by hand
    result = evaluate(get_rubric(edge.rubric), firm_from_mapping(_firm(edge), edge.name))
    assert result.pass_status == ("pass" if edge.passes else "fail")
    got = {c.id: c.ok for c in result.conditions}
    eligibility = [c.ok for c in result.conditions if c.role == "eligibility"]
    assert all(eligibility) is reference.pop("eligible")
    for condition, ok in reference.items():
        assert got[condition] is ok, (condition, got)
    assert set(got) - {c.id for c in result.conditions if c.role == "eligibility"} == set(
        reference
    ), "the reference and the rubric judge different conditions"


def test_every_listed_edge_is_seen_on_both_sides() -> None:
    """Each number the standard names has a firm exactly on it and one just past it."""
    names = {e.name for e in EDGES}
    for on, off in [
        ("revenue_exactly_1500", "revenue_1499_99"),
        ("revenue_exactly_5000", "revenue_4999_99"),
        ("main_share_exactly_80", "main_share_just_under_80"),
        ("main_share_exactly_90", "main_share_just_under_90"),
        ("debt_exactly_80", "debt_just_over_80"),
        ("debt_exactly_75", "debt_just_over_75"),
        ("rd_exactly_100", "rd_99_99"),
        ("rd_share_exactly_3_both_years", "rd_share_just_under_3_last_year"),
        ("rd_two_years_exactly_1200", "rd_two_years_1199_99"),
        ("growth_exactly_5_compound", "growth_just_under_5_compound"),
        ("applied_ip_exactly_1", "applied_ip_0_no_waiver"),
        ("applied_ip_exactly_4", "applied_ip_3_of_8_owned"),
        ("market_share_exactly_10", "market_share_9_99"),
        ("platform_exactly_50", "platform_49_99"),
        ("platform_exactly_60", "platform_59_99"),
    ]:
        assert on in names and off in names, (on, off)
    passes = {e.name: e.passes for e in EDGES}
    assert passes["growth_exactly_5_compound"] and not passes["growth_just_under_5_compound"]


def test_compound_growth_reference_is_exact_on_the_edge() -> None:
    assert _compound_growth(D("8820"), D("8000")) == D("0.05")
    assert _compound_growth(D("8819.99"), D("8000")) < D("0.05")
