"""Properties of the scoring maths that must hold for any firm, not just the cases."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assess.engine import evaluate
from assess.fields import FIELDS_BY_ID, FieldType, next_year_values
from assess.intake.firm import Firm, firm_from_mapping
from assess.numbers import fmt
from assess.rubric.loader import builtin_rubrics

RUBRICS = builtin_rubrics()
ALL_INPUTS = sorted({name for r in RUBRICS.values() for name in r.inputs})


def _value(field_id: str) -> st.SearchStrategy[Any]:
    spec = FIELDS_BY_ID[field_id]
    if spec.type is FieldType.BOOL:
        return st.booleans()
    if spec.type is FieldType.ENUM:
        return st.sampled_from(spec.choice_values)
    if spec.type is FieldType.TEXT:
        return st.sampled_from(["山东省", "四川省", "湖南省", "甲公司"])
    low = spec.minimum if spec.minimum is not None else (-5000 if spec.negative_ok else 0)
    high = spec.maximum if spec.maximum is not None else 60000
    if spec.type is FieldType.INT:
        return st.integers(min_value=low, max_value=min(high, 3000))
    if spec.type is FieldType.PERCENT:
        return st.decimals(min_value=0, max_value=100, places=2)
    return st.decimals(min_value=low, max_value=high, places=2)


@st.composite
def firms(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "性质测试企业"}
    for name in ALL_INPUTS:
        # Mostly present, sometimes missing: missing must never crash or score.
        if draw(st.integers(0, 9)) > 0:
            data[name] = draw(_value(name))
    return data


PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROFILE
@given(firms())
def test_scores_stay_within_zero_and_max(data: dict[str, Any]) -> None:
    firm = firm_from_mapping(data, "generated")
    for rubric in RUBRICS.values():
        result = evaluate(rubric, firm)
        assert Decimal(0) <= result.total <= result.max
        for ind in result.indicators:
            assert Decimal(0) <= ind.points <= ind.at_most <= ind.max, ind
            if ind.status == "unknown":
                assert ind.high is not None and ind.reason
            else:
                assert ind.high is None
        for cls in result.classes:
            assert Decimal(0) <= cls.points <= cls.points + cls.unknown_max <= cls.max
        assert result.total <= result.at_most <= result.max
        assert result.pass_status in ("pass", "fail", "undetermined", "platform_pending")
        if result.pass_status == "pass":
            assert all(c.ok for c in result.gates if c.role == "eligibility")


# (rubric, indicator, field, +1 when more of the field is better, -1 when less is)
MONOTONE = [
    ("miit-2022-innovative", "INN-01", "ip_class1_high_value", 1),
    ("miit-2022-innovative", "INN-01", "ip_class2", 1),
    ("miit-2022-innovative", "INN-02", "rd_expense", 1),
    ("miit-2022-innovative", "INN-03", "main_revenue", 1),
    ("miit-2022-innovative", "INN-04", "total_liabilities", -1),
    ("miit-2022-innovative", "INN-04", "total_assets", 1),
    ("miit-2022-srdi", "SRDI-03", "niche_years", 1),
    ("miit-2022-srdi", "SRDI-07", "net_profit", 1),
    ("miit-2022-srdi", "SRDI-08", "total_liabilities", -1),
    ("miit-2022-srdi", "SRDI-10", "ip_class1_self", 1),
    ("miit-2022-srdi", "SRDI-11", "rd_expense", 1),
    ("miit-2022-srdi", "SRDI-12", "rd_staff", 1),
]
MONOTONE = [m for m in MONOTONE if m[0] in RUBRICS]


@PROFILE
@given(firms(), st.sampled_from(MONOTONE), st.decimals(min_value=0, max_value=5000, places=1))
def test_improving_a_figure_never_lowers_a_monotone_indicator(
    data: dict[str, Any], case: tuple[str, str, str, int], step: Decimal
) -> None:
    rubric_id, indicator, field, sign = case
    spec = FIELDS_BY_ID[field]
    if data.get(field) is None:
        return
    better = dict(data)
    delta = step if spec.type is not FieldType.INT else int(step)
    better[field] = data[field] + sign * delta
    if better[field] < 0 and not spec.negative_ok:
        return
    rubric = RUBRICS[rubric_id]
    before = {i.id: i for i in evaluate(rubric, firm_from_mapping(data, "a")).indicators}
    after = {i.id: i for i in evaluate(rubric, firm_from_mapping(better, "b")).indicators}
    if before[indicator].status == "ok" and after[indicator].status == "ok":
        assert after[indicator].points >= before[indicator].points, (
            field,
            data[field],
            better[field],
        )


@settings(max_examples=40, deadline=None)
@given(firms(), st.integers(0, 10_000))
def test_indicator_order_never_changes_the_total(data: dict[str, Any], seed: int) -> None:
    firm = firm_from_mapping(data, "generated")
    for rubric in RUBRICS.values():
        shuffled = list(rubric.indicators)
        random.Random(seed).shuffle(shuffled)
        other = rubric.model_copy(update={"indicators": shuffled})
        a, b = evaluate(rubric, firm), evaluate(other, firm)
        assert a.total == b.total and a.pass_status == b.pass_status
        assert {i.id: i.points for i in a.indicators} == {i.id: i.points for i in b.indicators}


@PROFILE
@given(firms())
def test_a_printed_lever_figure_reaches_the_next_band(data: dict[str, Any]) -> None:
    """Whatever the firm, the lever figure a next step prints, typed back in, scores the
    points the step promises (the figure is rounded towards the band, never away)."""
    firm = firm_from_mapping(data, "generated")
    for rubric in RUBRICS.values():
        for ind in evaluate(rubric, firm).indicators:
            step = ind.next
            if ind.status != "ok" or step is None or step.lever is None:
                continue
            # The step prints its target once, as the figure typed back in below.
            assert step.lever_to is not None
            printed = re.findall(r"(?:不少于|不超过|满) (-?[\d,]+(?:\.\d+)?)", step.text)
            assert printed == [fmt(step.lever_to)], step.text
            values = dict(firm.values)
            if step.next_year:  # a growth rate for next year: last year's figures move back
                values = next_year_values(values, step.lever, step.lever_to)
            else:
                values[step.lever] = step.lever_to
            typed = Firm(values, firm.source)
            after = next(i for i in evaluate(rubric, typed).indicators if i.id == ind.id)
            assert after.points >= ind.points + step.gain, (ind.id, step.text)
