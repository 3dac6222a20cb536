"""Scoring operators: one class each, found through one registry.

A toy operator defined in this file, registered through the public registry, is loaded
from YAML, scored, planned, named to the questionnaire and documented, without any other
module knowing it exists.  An operator that leaves out a part is refused when its class is
made.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, get_args

import pytest
import yaml

from assess.engine import evaluate
from assess.errors import Problem, RubricError
from assess.intake.firm import firm_from_mapping
from assess.numbers import fmt, fmt_unit, to_decimal
from assess.report.rubric_doc import markdown
from assess.results import IndicatorResult, Level
from assess.rubric import models as m
from assess.rubric.loader import builtin_rubrics, load_rubric
from assess.rubric.operators import (
    OPERATORS,
    REQUIRED_PARTS,
    Checker,
    Doc,
    Operator,
    Outcome,
    Scope,
    ScoreModel,
    move_lever,
    names_read,
    next_step,
    registered,
    unknown,
)
from assess.rubric.schema import schema_text
from assess.yamlsrc import Loc

ROOT = Path(__file__).resolve().parent.parent

# ---- the toy: all points once a metric reaches a threshold, none below -------------------


class AtLeastScore(ScoreModel):
    operator: Literal["at_least"]
    metric: str
    min: Decimal
    points: Decimal

    @property
    def max_points(self) -> Decimal:
        return self.points


def _rung(score: AtLeastScore, scope: Scope) -> Level | None:
    move = move_lever(scope, score.metric, Fraction(score.min), inclusive=True)
    text = f"{scope.label(score.metric)} 达到 {fmt_unit(score.min, scope.unit(score.metric))}"
    if move is None:
        return Level(score.points, f"≥ {fmt(score.min)}", text)
    text += f"（{scope.label(move.lever)}调整到 {fmt(move.goal)}）"
    return Level(
        score.points, f"≥ {fmt(score.min)}", text, move.lever, to_decimal(move.start), move.goal
    )


class AtLeast(Operator):
    name = "at_least"
    model = AtLeastScore

    @classmethod
    def score(cls, score: AtLeastScore, scope: Scope, maximum: Decimal) -> Outcome:
        value = scope.number(score.metric)
        if not isinstance(value, Fraction):
            return unknown(value)
        reached = value >= score.min
        points = score.points if reached else Decimal(0)
        rung = None if reached else _rung(score, scope)
        nxt = next_step(rung, points, score.min) if rung is not None else None
        figure = scope.figure(score.metric)
        return Outcome(points, "ok", "reached" if reached else "short", {}, figure, value, "", nxt)

    @classmethod
    def bounds(
        cls, score: AtLeastScore, scope: Scope, maximum: Decimal, outcome: Outcome
    ) -> tuple[Decimal, Decimal]:
        if outcome.status != "unknown":
            return outcome.points, outcome.points
        return Decimal(0), score.points  # the blank may put the metric on either side

    @classmethod
    def explain(cls, score: AtLeastScore, outcome: Outcome) -> str:
        word = "达到" if outcome.code == "reached" else "未达到"
        return f"{outcome.figure}，{word} {fmt(score.min)}，得 {fmt(outcome.points)} 分"

    @classmethod
    def rungs(cls, score: AtLeastScore, result: IndicatorResult, scope: Scope) -> list[Level]:
        rung = _rung(score, scope) if result.points < score.points else None
        return [rung] if rung is not None else []

    @classmethod
    def names_read(cls, score: AtLeastScore) -> set[str]:
        return {score.metric}

    @classmethod
    def check(
        cls, score: AtLeastScore, loc: Loc, maximum: Decimal, checker: Checker
    ) -> Iterator[Problem]:
        yield from checker.numeric((*loc, "metric"), score.metric)

    @classmethod
    def document(cls, score: AtLeastScore, doc: Doc) -> Iterator[str]:
        yield f"`{score.metric}` 达到 {fmt(score.min)} 得 {fmt(score.points)} 分，否则 0 分"


def _toy_rubric(tmp_path: Path) -> Path:
    doc: dict[str, Any] = {
        "schema_version": 1,
        "id": "toy",
        "title": {"zh": "玩具标准"},
        "version": "1",
        "tier": "innovative",
        "document": "测试",
        "issued_by": "测试",
        "effective_from": "2022-01-01",
        "status": "official",
        "edge_rule": "better_band",
        "pass_mark": 10,
        "max_total": 10,
        "inputs": ["rd_expense", "revenue"],
        "metrics": [
            {
                "id": "rd_share",
                "title": {"zh": "研发费用占比"},
                "unit": "percent",
                "expr": "rd_expense / revenue * 100",
                "lever": "rd_expense",
            }
        ],
        "classes": [{"id": "c", "title": {"zh": "类"}, "max": 10}],
        "indicators": [
            {
                "id": "T1",
                "title": {"zh": "研发强度门槛"},
                "class": "c",
                "max": 10,
                "source": "测试",
                "rationale": "测试",
                "evidence": ["研发费用明细"],
                "score": {"operator": "at_least", "metric": "rd_share", "min": 3, "points": 10},
            }
        ],
        "pass": {"total_at_least": 10},
    }
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def toy() -> Iterator[type[Operator]]:
    with registered(AtLeast) as op:
        yield op


def test_a_new_operator_is_scored_planned_read_and_documented(
    toy: type[Operator], tmp_path: Path
) -> None:
    rubric = load_rubric(_toy_rubric(tmp_path))
    firm = firm_from_mapping({"name": "测试企业", "rd_expense": 20, "revenue": 1000}, "test")
    a = evaluate(rubric, firm)
    (t1,) = a.indicators
    # Scored and worded by the toy, with its next step.
    assert (t1.points, t1.status, t1.code) == (0, "ok", "short")
    assert t1.reason == "2%（上年度研发费用 20 万元，上年度营业收入 1,000 万元），未达到 3，得 0 分"
    assert t1.next is not None and t1.next.lever_to == Decimal(30)
    # Planned: the plan's one step is the toy's rung, and carrying it out passes.
    p = a.plan
    assert p is not None and p.reachable
    assert [(s.indicator, s.points_to) for s in p.steps] == [("T1", Decimal(10))]
    done = firm_from_mapping({"name": "测试企业", "rd_expense": 30, "revenue": 1000}, "test")
    assert evaluate(rubric, done).passed
    # Bounded: a blank gives the toy's range, and the verdict stays open across it.
    blank = evaluate(rubric, firm_from_mapping({"name": "测试企业", "revenue": 1000}, "test"))
    (t1,) = blank.indicators
    assert (t1.status, t1.points, t1.high) == ("unknown", 0, 10)
    assert "至少 0 分；补充 上年度研发费用 后最多 10 分" in t1.reason
    assert (blank.total, blank.at_most, blank.pass_status) == (0, 10, "undetermined")
    # Read: the questionnaire asks for what the toy reads.
    assert names_read(rubric.indicators[0].score) == {"rd_share"}
    # Documented on the rubric's reference page.
    assert "`rd_share` 达到 3 得 10 分，否则 0 分" in markdown(rubric)
    # And a local block's part may use it.
    part = m.LocalPart.model_validate(
        {
            "id": "P",
            "title": {"zh": "部分"},
            "max": 10,
            "score": {"operator": "at_least", "metric": "rd_share", "min": 3, "points": 10},
        }
    )
    assert isinstance(part.score, AtLeastScore)


def test_the_registry_forgets_an_operator_it_no_longer_holds(tmp_path: Path) -> None:
    path = _toy_rubric(tmp_path)
    with registered(AtLeast):
        assert "at_least" in OPERATORS
        load_rubric(path)
        assert "at_least" in schema_text()
    assert "at_least" not in OPERATORS
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    # Worded by the loader's catalog, in either language: the name and the valid ones.
    assert "'at_least'" in str(caught.value) and "bands, tiers" in str(caught.value)
    # The JSON schema is the committed one again.
    committed = json.loads((ROOT / "docs" / "rubric.schema.json").read_text(encoding="utf-8"))
    assert json.loads(schema_text()) == committed


def test_every_operator_has_every_part() -> None:
    assert list(OPERATORS) == ["bands", "tiers", "enum", "items", "stepped", "best_of", "local"]
    for op in OPERATORS.values():
        for part in REQUIRED_PARTS:
            assert part in vars(op), (op.name, part)
        assert get_args(op.model.model_fields["operator"].annotation) == (op.name,)


@pytest.mark.parametrize("missing", REQUIRED_PARTS)
def test_an_operator_without_a_part_is_refused(missing: str) -> None:
    parts = {name: classmethod(lambda cls, *args: None) for name in REQUIRED_PARTS}
    del parts[missing]
    with pytest.raises(TypeError, match=f"lacks {missing}"):
        type("Half", (Operator,), {"name": "at_least", "model": AtLeastScore, **parts})


def test_an_operator_must_own_its_model_tag() -> None:
    parts = {name: classmethod(lambda cls, *args: None) for name in REQUIRED_PARTS}
    with pytest.raises(TypeError, match=r"operator must be Literal\['other'\]"):
        type("Wrong", (Operator,), {"name": "other", "model": AtLeastScore, **parts})
    with pytest.raises(TypeError, match="lacks model"):
        type("NoModel", (Operator,), {"name": "other", **parts})


def test_a_name_is_registered_once() -> None:
    class Twin(AtLeast):
        name = "bands"
        model = m.BandsScore
        score = AtLeast.score
        bounds = AtLeast.bounds
        explain = AtLeast.explain
        rungs = AtLeast.rungs
        names_read = AtLeast.names_read
        check = AtLeast.check
        document = AtLeast.document

    with pytest.raises(ValueError, match="already registered"), registered(Twin):
        pass  # pragma: no cover - register refuses first
    assert OPERATORS["bands"].__name__ == "Bands"


@pytest.mark.parametrize("rubric_id", sorted(builtin_rubrics()))
def test_names_read_are_inputs_or_metrics(rubric_id: str) -> None:
    """What each block says it reads is what the rubric declares: the questionnaire asks
    for exactly these."""
    rubric = builtin_rubrics()[rubric_id]
    known = set(rubric.inputs) | {x.id for x in rubric.metrics} | {"size_class"}
    for ind in rubric.indicators:
        scores = [ind.score]
        op = OPERATORS[ind.score.operator]
        scores += [score for _, score, _ in op.parts(ind.score)]
        for score in scores:
            read = names_read(score)
            assert read, ind.id
            assert read <= known, (ind.id, read - known)


# ---- layers: imports flow one way ------------------------------------------------------


def _imports(path: Path) -> set[str]:
    """The assess modules a file imports, at any depth of its code."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n for n in names if n == "assess" or n.startswith("assess.")}
    return found


@pytest.mark.parametrize(
    "files,forbidden",
    [
        # The rubric layer (models, loader, operators) knows nothing of what uses it.
        ("assess/rubric/**/*.py", ("assess.engine", "assess.plan", "assess.report", "assess.cli")),
        # The engine and the plan never word a report or run a batch.
        ("assess/engine.py", ("assess.report", "assess.cli", "assess.batch")),
        ("assess/plan.py", ("assess.report", "assess.cli", "assess.batch")),
        # Numbers and results are the bottom: they import nothing that could import them.
        ("assess/numbers.py", ("assess.",)),
        ("assess/results.py", ("assess.engine", "assess.rubric", "assess.report")),
    ],
)
def test_imports_flow_one_way(files: str, forbidden: tuple[str, ...]) -> None:
    for path in sorted(ROOT.glob(files)):
        bad = {n for n in _imports(path) if n.startswith(forbidden)}
        assert not bad, (path.relative_to(ROOT).as_posix(), sorted(bad))
