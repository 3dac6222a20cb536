"""The 2011 SME size standard, industry by industry, at its edges."""

from __future__ import annotations

from fractions import Fraction

import pytest

from assess.engine import evaluate
from assess.fields import INDUSTRIES
from assess.intake.firm import firm_from_mapping
from assess.rubric.loader import builtin_rubrics, load_size_standard
from assess.rubric.size import classify

STANDARD = load_size_standard("sme-size-2011")

# industry: (ceiling figures, medium lower bounds, small lower bounds), from the standard.
TABLE = {
    "agriculture": ({"revenue": 20000}, {"revenue": 500}, {"revenue": 50}),
    "industry": (
        {"employees": 1000, "revenue": 40000},
        {"employees": 300, "revenue": 2000},
        {"employees": 20, "revenue": 300},
    ),
    "construction": (
        {"revenue": 80000, "total_assets": 80000},
        {"revenue": 6000, "total_assets": 5000},
        {"revenue": 300, "total_assets": 300},
    ),
    "wholesale": (
        {"employees": 200, "revenue": 40000},
        {"employees": 20, "revenue": 5000},
        {"employees": 5, "revenue": 1000},
    ),
    "retail": (
        {"employees": 300, "revenue": 20000},
        {"employees": 50, "revenue": 500},
        {"employees": 10, "revenue": 100},
    ),
    "transport": (
        {"employees": 1000, "revenue": 30000},
        {"employees": 300, "revenue": 3000},
        {"employees": 20, "revenue": 200},
    ),
    "warehousing": (
        {"employees": 200, "revenue": 30000},
        {"employees": 100, "revenue": 1000},
        {"employees": 20, "revenue": 100},
    ),
    "postal": (
        {"employees": 1000, "revenue": 30000},
        {"employees": 300, "revenue": 2000},
        {"employees": 20, "revenue": 100},
    ),
    "hotel": (
        {"employees": 300, "revenue": 10000},
        {"employees": 100, "revenue": 2000},
        {"employees": 10, "revenue": 100},
    ),
    "catering": (
        {"employees": 300, "revenue": 10000},
        {"employees": 100, "revenue": 2000},
        {"employees": 10, "revenue": 100},
    ),
    "telecom": (
        {"employees": 2000, "revenue": 100000},
        {"employees": 100, "revenue": 1000},
        {"employees": 10, "revenue": 100},
    ),
    "software": (
        {"employees": 300, "revenue": 10000},
        {"employees": 100, "revenue": 1000},
        {"employees": 10, "revenue": 50},
    ),
    "real_estate": (
        {"revenue": 200000, "total_assets": 10000},
        {"revenue": 1000, "total_assets": 5000},
        {"revenue": 100, "total_assets": 2000},
    ),
    "property_management": (
        {"employees": 1000, "revenue": 5000},
        {"employees": 300, "revenue": 1000},
        {"employees": 100, "revenue": 500},
    ),
    "leasing_business": (
        {"employees": 300, "total_assets": 120000},
        {"employees": 100, "total_assets": 8000},
        {"employees": 10, "total_assets": 100},
    ),
    "other": ({"employees": 300}, {"employees": 100}, {"employees": 10}),
}


def size(industry: str, **figures: int) -> str | None:
    values = {k: Fraction(v) for k, v in figures.items()}
    return classify(STANDARD, industry, values).size_class  # type: ignore[arg-type]


def test_every_industry_of_the_questionnaire_is_in_the_standard() -> None:
    assert set(STANDARD.industries) == {v for v, _ in INDUSTRIES} == set(TABLE)


@pytest.mark.parametrize("industry", sorted(TABLE))
def test_edges(industry: str) -> None:
    ceiling, medium, small = TABLE[industry]
    # Exactly the medium bounds (and under every ceiling) is medium; one below any is small.
    at_medium = {k: medium.get(k, small.get(k, 0)) for k in {*medium, *small}}
    assert size(industry, **at_medium) == "medium"
    for key in medium:
        assert size(industry, **{**at_medium, key: medium[key] - 1}) == "small", key
    # Exactly the small bounds is small; one below either is micro.
    at_small = {k: small.get(k, 0) for k in {*medium, *small}}
    assert size(industry, **at_small) == "small"
    for key in small:
        assert size(industry, **{**at_small, key: small[key] - 1}) == "micro", key
    # At or above every ceiling: large; one figure under its ceiling keeps it an SME.
    above = {k: max(ceiling.get(k, 0), medium.get(k, 0)) for k in {*ceiling, *medium, *small}}
    above.update(ceiling)
    assert size(industry, **above) == "large"
    for key in ceiling:
        assert size(industry, **{**above, key: ceiling[key] - 1}) == "medium", key


def test_missing_figure_or_industry_is_unknown_with_reason() -> None:
    result = classify(STANDARD, "industry", {"employees": Fraction(50)})
    assert result.size_class is None and "revenue" in result.reason
    assert classify(STANDARD, None, {}).size_class is None


def test_one_known_figure_under_its_ceiling_makes_an_sme_whatever_the_other() -> None:
    # Revenue far below the ceiling, headcount unknown: an SME, its class open.
    r = classify(STANDARD, "industry", {"revenue": Fraction(3000)})
    assert r.size_class is None and r.candidates == ("medium", "small", "micro")
    assert r.missing == ("employees",) and "属于中小企业" in r.reason and "从业人员" in r.reason
    # Under the medium revenue bound: medium is out; small or micro by the headcount.
    r = classify(STANDARD, "industry", {"revenue": Fraction(1999)})
    assert r.candidates == ("small", "micro") and r.missing == ("employees",)
    # Under the small bound: micro whatever the headcount.
    assert classify(STANDARD, "industry", {"revenue": Fraction(299)}).size_class == "micro"
    assert classify(STANDARD, "industry", {"employees": Fraction(19)}).size_class == "micro"
    # On the ceiling: the unknown headcount decides whether it is an SME at all.
    r = classify(STANDARD, "industry", {"revenue": Fraction(40000)})
    assert r.size_class is None and r.candidates == ("large", "medium", "small", "micro")
    assert r.missing == ("employees",)
    # Known both: unchanged.
    assert (
        classify(
            STANDARD, "industry", {"revenue": Fraction(3000), "employees": Fraction(300)}
        ).size_class
        == "medium"
    )
    assert (
        classify(
            STANDARD, "industry", {"revenue": Fraction(40000), "employees": Fraction(1000)}
        ).size_class
        == "large"
    )


def test_an_sme_gate_holds_for_an_sme_whose_class_is_open() -> None:
    rubric = builtin_rubrics()["miit-2022-innovative"]
    firm = firm_from_mapping({"name": "甲", "industry": "industry", "revenue": 3000}, "t")
    a = evaluate(rubric, firm)
    gate = next(c for c in a.conditions if "size_class" in c.reason or "规模" in c.reason)
    assert gate.ok is True and "中小企业" in gate.reason
    assert a.size_class is None and "从业人员" in a.size_reason
    big = firm_from_mapping({"name": "乙", "industry": "industry", "revenue": 40000}, "t")
    gate = next(c for c in evaluate(rubric, big).conditions if c.id == gate.id)
    assert gate.ok is None and "employees" in gate.missing


def test_the_size_standard_is_resolved_when_the_rubric_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Scoring reads no file: the rubric arrives with its size table, and a firm is sized
    with the loader's file reading switched off."""
    import builtins
    import io
    from pathlib import Path

    import assess.rubric.loader as loader
    from assess.engine import evaluate
    from assess.intake.firm import load_firm_file

    rubric = loader.get_rubric("miit-2022-srdi")
    assert rubric.size_standard == "sme-size-2011"
    assert rubric.size_table == STANDARD
    samples = Path(__file__).resolve().parent.parent / "samples"
    firm = load_firm_file(samples / "weak.json")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("scoring read a file")

    # Even a cold cache must not be filled from disk while scoring.
    loader.load_size_standard.cache_clear()
    monkeypatch.setattr(loader, "load_file", refuse)
    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    a = evaluate(rubric, firm)
    assert a.size_class == "small" and "小型企业" in a.size_reason
