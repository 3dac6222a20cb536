"""The compiled decider (`assess.compiled`) against the engine (`engine.evaluate`): on
thousands of seeded random firms over every bundled rubric and every sample rubric file,
on band edges, zero against missing, exact ratios, and on hypothesis' firms, the two give
the same points, statuses, bounds, class totals and verdicts.  What the compiled form
hands to the engine is counted, and the default rubric set is compiled whole."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assess import compiled
from assess.engine import evaluate
from assess.fields import FIELDS_BY_ID, FieldType
from assess.firm import Firm
from assess.intake.firm import firm_from_mapping
from assess.rubric import models as m
from assess.rubric.expr import ExprError
from assess.rubric.loader import builtin_rubrics, load_rubric
from assess.rubric.operators import Operator, registered
from assess.rubric.selection import default_rubrics
from tests.test_fast_path import EDGES, SEED, random_firm
from tests.test_operators import AtLeast, _toy_rubric

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = builtin_rubrics()
SAMPLES = {p.stem: load_rubric(p) for p in sorted((ROOT / "samples" / "extends").glob("*.yaml"))}
EVERY: dict[str, m.Rubric] = {**BUNDLED, **{f"samples/{k}": r for k, r in SAMPLES.items()}}
INPUTS = sorted({n for r in EVERY.values() for n in r.inputs if n in FIELDS_BY_ID})
FIRMS = 2000


def _same(rubric: m.Rubric, firm: Firm) -> compiled.Decision:
    """The compiled decision, checked against the engine's; returned for the caller."""
    want = compiled.from_assessment(evaluate(rubric, firm))
    got = compiled.decide(rubric, firm)
    assert got._replace(compiled=False) == want, (rubric.id, dict(firm.values))
    return got


def test_every_bundled_and_sample_rubric_is_compiled() -> None:
    assert [rid for rid, r in EVERY.items() if compiled.compiled(r) is None] == []
    operators = {i.score.operator for r in EVERY.values() for i in r.indicators}  # type: ignore[attr-defined]
    assert operators == {"bands", "tiers", "enum", "items", "stepped", "best_of", "local"}


def test_the_default_set_is_compiled_whole() -> None:
    rng = random.Random(SEED)
    firms = [firm_from_mapping(random_firm(rng), f"firm {n}") for n in range(200)]
    before = dict(compiled.FALLBACKS)
    seen = set()
    for firm in firms:
        for rubric in default_rubrics(firm):
            seen.add(rubric.id)
            assert compiled.compiled(rubric) is not None, rubric.id
    assert {"miit-2026-srdi", "srdi-readiness"} <= seen
    assert compiled.FALLBACKS.get("rubric", 0) == before.get("rubric", 0)


@pytest.mark.parametrize("part", range(4))
def test_compiled_agrees_with_evaluate_on_random_firms(part: int) -> None:
    rng = random.Random(SEED + 100 + part)
    made = unknown = undecided = 0
    verdicts: set[str] = set()
    for n in range(FIRMS // 4):
        firm = firm_from_mapping(random_firm(rng), f"firm {part}/{n}")
        for rubric in EVERY.values():
            got = _same(rubric, firm)
            made += got.compiled
            unknown += sum(i.status == "unknown" for i in got.indicators)
            undecided += sum(c.ok is None for c in got.conditions)
            verdicts.add(got.pass_status)
    # The firms reach the paths worth comparing, and the compiled form made most of them.
    compared = FIRMS // 4 * len(EVERY)
    assert made > compared * 0.98
    assert unknown > compared // 10 and undecided > compared // 10
    assert {"pass", "fail", "undetermined"} <= verdicts


def _base() -> dict[str, Any]:
    """A firm with every figure the rubrics read, in the middle of their ranges."""
    rng = random.Random(SEED)
    while True:
        data = random_firm(rng)
        if all(n in data for n in INPUTS):
            return data


def test_values_exactly_on_band_edges() -> None:
    """Each band bound of every rubric, and a cent on either side, as the metric itself
    when it is a field, and as a ratio of two figures (rd_expense / revenue * 100) when
    the metric is a share: 500 / 10000 is exactly 5%."""
    base = _base()
    for rubric in EVERY.values():
        for ind in rubric.indicators:
            blocks = [ind.score, *getattr(ind.score, "options", [])]
            for block in blocks:
                metric = getattr(block, "metric", None)
                for edge in sorted(
                    {
                        b
                        for band in getattr(block, "bands", [])
                        for b in (band.min, band.max)
                        if b is not None
                    }
                ):
                    for value in (edge - Decimal("0.01"), edge, edge + Decimal("0.01")):
                        data = dict(base)
                        if metric in FIELDS_BY_ID:
                            data[metric] = value
                        elif metric == "rd_share":
                            data["revenue"], data["rd_expense"] = Decimal(10000), value * 100
                        elif metric == "main_share":
                            data["revenue"], data["main_revenue"] = Decimal(10000), value * 100
                        else:
                            continue
                        _same(rubric, Firm(data, "edge"))


def test_a_ratio_of_500_to_10000_is_five_percent_on_the_edge() -> None:
    data = {**_base(), "rd_expense": Decimal(500), "revenue": Decimal(10000)}
    for key, rubric in EVERY.items():
        got = _same(rubric, Firm(data, "ratio"))
        assert got.compiled, key


@pytest.mark.parametrize("name", ["revenue", "employees", "rd_expense", "main_revenue"])
def test_zero_is_a_value_and_missing_is_a_range(name: str) -> None:
    base = _base()
    zero = {**base, name: 0 if FIELDS_BY_ID[name].type is FieldType.INT else Decimal(0)}
    missing = {k: v for k, v in base.items() if k != name}
    differ = 0
    for rubric in EVERY.values():
        with_zero = _same(rubric, Firm(zero, "zero"))
        without = _same(rubric, Firm(missing, "missing"))
        differ += (with_zero.indicators, with_zero.conditions) != (
            without.indicators,
            without.conditions,
        )
    # Told apart somewhere (and each is the engine's); no headcount leaves its ratio open
    # with other bounds than a zero one, nor changes the size class the revenue decides.
    assert differ or name == "employees"


def test_a_firm_with_nothing_and_a_firm_with_everything_at_zero() -> None:
    nothing = Firm({"name": "空"}, "empty")
    zeros = {
        n: (
            False
            if FIELDS_BY_ID[n].type is FieldType.BOOL
            else FIELDS_BY_ID[n].choice_values[0]
            if FIELDS_BY_ID[n].type is FieldType.ENUM
            else "甲"
            if FIELDS_BY_ID[n].type is FieldType.TEXT
            else 0
            if FIELDS_BY_ID[n].type is FieldType.INT
            else Decimal(0)
        )
        for n in INPUTS
    }
    for rubric in EVERY.values():
        _same(rubric, nothing)
        _same(rubric, Firm(zeros, "zeros"))


def test_a_verdict_waiting_for_the_platform_score_is_the_engines() -> None:
    """The engine finds the development score that would pass: such a firm is its."""
    rng = random.Random(SEED + 7)
    rubric = BUNDLED["miit-2026-srdi"]
    found = 0
    for n in range(400):
        data = random_firm(rng)
        data.pop("platform_score", None)
        firm = firm_from_mapping(data, f"firm {n}")
        got = _same(rubric, firm)
        if got.pass_status == "platform_pending":
            found += 1
            assert not got.compiled
    assert found


def test_a_value_of_the_wrong_kind_is_left_to_the_engine() -> None:
    """Text where a figure belongs: the engine says what is wrong, and so does the
    compiled form, by handing the firm over."""
    rubric = BUNDLED["srdi-readiness"]
    firm = Firm({**_base(), "rd_expense": "很多"}, "odd")
    with pytest.raises(ExprError):
        evaluate(rubric, firm)
    before = compiled.FALLBACKS["firm"]
    with pytest.raises(ExprError):
        compiled.decide(rubric, firm)
    assert compiled.FALLBACKS["firm"] == before + 1


@pytest.fixture
def toy() -> Iterator[type[Operator]]:
    with registered(AtLeast) as op:
        yield op


def test_an_operator_the_compiler_does_not_know_is_scored_by_the_engine(
    toy: type[Operator], tmp_path: Path
) -> None:
    rubric = load_rubric(_toy_rubric(tmp_path))
    assert compiled.compiled(rubric) is None
    before = compiled.FALLBACKS["rubric"]
    for data in ({"rd_expense": 20, "revenue": 1000}, {"rd_expense": 30, "revenue": 1000}, {}):
        got = _same(rubric, firm_from_mapping({"name": "测试企业", **data}, "toy"))
        assert not got.compiled
    assert compiled.FALLBACKS["rubric"] == before + 3


def _value(field_id: str) -> st.SearchStrategy[Any]:
    spec = FIELDS_BY_ID[field_id]
    if spec.type is FieldType.BOOL:
        return st.booleans()
    if spec.type is FieldType.ENUM:
        return st.sampled_from(spec.choice_values)
    if spec.type is FieldType.TEXT:
        return st.sampled_from(["山东省", "甲公司"])
    low = spec.minimum if spec.minimum is not None else (-500 if spec.negative_ok else 0)
    high = spec.maximum if spec.maximum is not None else 20000
    if spec.type is FieldType.INT:
        return st.integers(int(low), int(high))
    edges = [e for e in EDGES if low <= e <= high]
    cents = st.integers(int(low * 100), int(high * 100)).map(lambda c: Decimal(c) / 100)
    return st.one_of(st.sampled_from(edges), cents) if edges else cents


_FIRMS = st.fixed_dictionaries({}, optional={n: _value(n) for n in INPUTS})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_FIRMS, which=st.sampled_from(sorted(EVERY)))
def test_compiled_agrees_with_evaluate_on_hypothesis_firms(
    data: dict[str, Any], which: str
) -> None:
    _same(EVERY[which], firm_from_mapping({"name": "假设企业", **data}, "hypothesis"))


def test_a_tier_between_two_grid_points_is_reached_by_both_forms() -> None:
    """The compiled form searches where each comparison of a tier changes as the engine
    does (`engine.crossings`): RDY-RD-03 with last-but-one year's R&D blank reaches 6
    points only for 168 ≤ x < 170 here."""
    rubric = EVERY["srdi-readiness"]
    data = {"name": "甲", "rd_expense": 170, "revenue": 5600, "revenue_prev": 5600}
    got = _same(rubric, firm_from_mapping(data, "t"))
    row = next(i for i in got.indicators if i.id == "RDY-RD-03")
    assert got.compiled and (row.status, row.points, row.high) == ("unknown", 0, 6)
