"""`engine.decide` (what a batch round scores every applicant with) against `engine.evaluate`
(what a report is made from): on 1,000 random firms over every bundled rubric, the
two agree on every point, status, bound, reason and verdict; only the next band is left
out.  The firms come from a seeded generator, so a failure names a firm that fails again.
Numbers are drawn partly from the rubrics' own band edges, where an off-by-one shows."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from assess.engine import decide, evaluate
from assess.fields import FIELDS_BY_ID, FieldType
from assess.intake.firm import firm_from_mapping
from assess.results import Assessment, IndicatorResult
from assess.rubric.loader import builtin_rubrics
from assess.rubric.selection import REFERENCE_RUBRIC

RUBRICS = builtin_rubrics()
REFERENCE = RUBRICS.get(REFERENCE_RUBRIC)
INPUTS = sorted({name for r in RUBRICS.values() for name in r.inputs if name in FIELDS_BY_ID})
FIRMS = 1000
SEED = 20261130


def _edges() -> list[Decimal]:
    """Every band bound written in a bundled rubric, and its neighbours a cent away."""
    out: set[Decimal] = set()
    for rubric in RUBRICS.values():
        for ind in rubric.indicators:
            blocks = [ind.score, *getattr(ind.score, "options", [])]
            for block in blocks:
                for band in getattr(block, "bands", []):
                    for bound in (band.min, band.max):
                        if bound is not None:
                            out |= {bound, bound - Decimal("0.01"), bound + Decimal("0.01")}
    return sorted(out)


EDGES = _edges()


def _number(rng: random.Random, spec_type: FieldType, low: int, high: int) -> Any:
    if spec_type is FieldType.INT:
        top = min(high, 3000)
        return rng.randint(low, top) if rng.random() < 0.8 else rng.randint(low, min(top, 12))
    pick = rng.random()
    if pick < 0.3:
        value = rng.choice(EDGES)
    elif pick < 0.5:
        value = Decimal(rng.randint(0, 10_000)) / 100
    else:
        value = Decimal(rng.randint(low * 100, high * 100)) / 100
    return min(max(value, Decimal(low)), Decimal(high))


def _value(rng: random.Random, field_id: str) -> Any:
    spec = FIELDS_BY_ID[field_id]
    if spec.type is FieldType.BOOL:
        return rng.random() < 0.5
    if spec.type is FieldType.ENUM:
        return rng.choice(spec.choice_values)
    if spec.type is FieldType.TEXT:
        return rng.choice(["山东省", "四川省", "湖南省", "甲公司"])
    low = spec.minimum if spec.minimum is not None else (-5000 if spec.negative_ok else 0)
    high = spec.maximum if spec.maximum is not None else 60000
    if spec.type is FieldType.PERCENT:
        high = min(high, 100)
    return _number(rng, spec.type, low, high)


def random_firm(rng: random.Random) -> dict[str, Any]:
    """A firm with most figures given: a few blanks (bounds), sometimes many."""
    present = rng.choice((0.97, 0.9, 0.7))
    data: dict[str, Any] = {"name": "快路径测试企业"}
    for name in INPUTS:
        if rng.random() < present:
            data[name] = _value(rng, name)
    return data


def _indicator(i: IndicatorResult) -> tuple[Any, ...]:
    return (
        i.id,
        i.points,
        i.high,
        i.max,
        i.status,
        i.reason,
        i.figure,
        i.value,
        i.band,
        i.missing,
        i.provisional,
        tuple(_indicator(p) for p in i.parts),
    )


def _decided(a: Assessment) -> tuple[Any, ...]:
    """Everything of an assessment but the next band (and the plan made from it)."""
    return (
        a.total,
        a.at_most,
        a.pass_status,
        a.size_class,
        a.size_reason,
        tuple((c.id, c.points, c.unknown_max, c.maturity) for c in a.classes),
        tuple(_indicator(i) for i in a.indicators),
        tuple((c.id, c.ok, c.reason, c.missing) for c in a.conditions),
        a.explanation,
        a.notes,
        a.maturity,
        a.reference,
        a.platform_need,
    )


@pytest.mark.parametrize("part", range(4))
def test_decide_agrees_with_evaluate(part: int) -> None:
    rng = random.Random(SEED + part)
    compared = unknown = 0
    for n in range(FIRMS // 4):
        data = random_firm(rng)
        firm = firm_from_mapping(data, f"firm {part}/{n}")
        for rubric in RUBRICS.values():
            full, fast = evaluate(rubric, firm, REFERENCE), decide(rubric, firm, REFERENCE)
            assert _decided(fast) == _decided(full), (rubric.id, data)
            assert all(i.next is None for i in fast.indicators)
            compared += 1
            unknown += sum(i.status == "unknown" for i in full.indicators)
    # The firms reach the paths worth comparing: blanks (bounds) as well as figures.
    assert compared == FIRMS // 4 * len(RUBRICS)
    assert unknown > compared // 10


def test_random_firms_reach_every_status_and_verdict() -> None:
    """The generator is worth its name: every indicator status and verdict occurs."""
    rng = random.Random(SEED)
    statuses: set[str] = set()
    verdicts: set[str] = set()
    for n in range(300):
        firm = firm_from_mapping(random_firm(rng), f"firm {n}")
        for rubric in RUBRICS.values():
            a = decide(rubric, firm, REFERENCE)
            statuses |= {i.status for i in a.indicators}
            verdicts.add(a.pass_status)
    assert {"ok", "unknown"} <= statuses
    assert {"pass", "fail", "undetermined"} <= verdicts
