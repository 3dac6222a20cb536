"""What a rubric file declares, as strict, immutable pydantic models.

Extra keys are forbidden (a misspelt key is an error, not a silent default), and each
scoring operator checks its own meaning when it loads: band tables that overlap or leave a
hole, points that do not reach the stated maximum, enum maps that miss a value.  Checks
that need the whole rubric (class maxima, names used in formulas) live in `loader`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from functools import cached_property
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from assess.catalog import t
from assess.fields import FIELDS_BY_ID, FieldType
from assess.numbers import UNIT_SUFFIX as _UNIT_SUFFIX
from assess.rubric.common import NO_TEXT, EdgeRule, ExprText, MetricUnit, Points, Strict, Text
from assess.rubric.local_fields import LocalField
from assess.rubric.operators import OPERATORS, on_change
from assess.rubric.operators.bands import Band, BandsScore
from assess.rubric.operators.best_of import BestOfScore
from assess.rubric.operators.enum import EnumScore
from assess.rubric.operators.items import Item, ItemsScore
from assess.rubric.operators.local import LocalBlock, LocalPart, LocalScore
from assess.rubric.operators.registry import ScoreBlock
from assess.rubric.operators.stepped import SteppedScore
from assess.rubric.operators.tiers import Otherwise, Tier, TiersScore
from assess.rubric.size import SIZE_FACTS, SizeStandard

SCHEMA_VERSION = 1
_FIELD_UNITS = {FieldType.MONEY: "wan_yuan", FieldType.PERCENT: "percent"}

__all__ = [
    "OPERATORS",
    "SCHEMA_VERSION",
    "UNIT_SUFFIX",
    "Band",
    "BandsScore",
    "BestOfScore",
    "Check",
    "Condition",
    "EdgeRule",
    "EnumScore",
    "ExprText",
    "Indicator",
    "Item",
    "ItemsScore",
    "LocalBlock",
    "LocalPart",
    "LocalScore",
    "MaturityLevel",
    "Metric",
    "MetricUnit",
    "Otherwise",
    "Points",
    "Rubric",
    "Rule",
    "Score",
    "ScoreClass",
    "SteppedScore",
    "Strict",
    "Text",
    "Tier",
    "TiersScore",
]


UNIT_SUFFIX = _UNIT_SUFFIX  # kept here for callers that found it here first


class Metric(Strict):
    """A figure computed from fields, e.g. R&D share = rd_expense / revenue * 100."""

    id: str
    title: Text
    unit: MetricUnit
    expr: ExprText
    lever: str | None = None  # the field a firm changes to move this metric
    note: Text = NO_TEXT


# ---- scoring operators: their models live with them in `assess.rubric.operators` --------

# The model of every registered operator, tagged by `operator` (read from the registry when
# the models holding it build; `_rebuild` rebuilds them when the registry changes).
Score = ScoreBlock


class Indicator(Strict):
    id: str
    title: Text
    class_: str = Field(alias="class")
    max: Points
    score: Score
    source: Text
    rationale: Text
    evidence: list[Text] = Field(min_length=1)
    advice: Text = NO_TEXT
    effort: Annotated[Decimal, Field(gt=0)] = Decimal(1)  # relative cost of improving it
    status: Literal["official", "provisional"] | None = None  # None: the rubric's

    @model_validator(mode="after")
    def _max_reached(self) -> Indicator:
        problem = self.score.max_problem(self.max)
        if problem is not None:
            raise ValueError(problem)
        return self


class ScoreClass(Strict):
    id: str
    title: Text
    max: Points


class Check(Strict):
    when: ExprText
    label: Text


class Condition(Strict):
    """A yes/no requirement: an eligibility gate, a basic condition, or a direct route."""

    id: str
    title: Text
    role: Literal["eligibility", "basic", "requirement", "direct"]
    group: Text = NO_TEXT  # a dimension, e.g. 专业化, for reports
    require: list[Check] = Field(min_length=1)  # all must hold
    source: Text = NO_TEXT
    advice: Text = NO_TEXT
    evidence: list[Text] = Field(default=[])
    status: Literal["official", "provisional"] | None = None

    @field_validator("require", mode="before")
    @classmethod
    def _single(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [{"when": value, "label": value}]
        return value


class MaturityLevel(Strict):
    """A named level reached when a class (dimension) scores at least min_percent of its
    maximum: 起步 / 成长 / 成熟 / 领先."""

    label: Text
    min_percent: Annotated[Decimal, Field(ge=0, le=100)]
    description: Text = NO_TEXT

    @model_validator(mode="before")
    @classmethod
    def _english_beside(cls, value: Any) -> Any:
        # The first format wrote the English beside the label (`label: 起步, en: Starting`):
        # still read, as the label's English.
        if isinstance(value, dict) and "en" in value and isinstance(value.get("label"), str):
            value = dict(value)
            value["label"] = {"zh": value["label"], "en": value.pop("en")}
        return value


class Rule(Strict):
    """A pass rule: exactly one of the keys below."""

    all: list[Rule] | None = None
    any: list[Rule] | None = None
    not_: Rule | None = Field(default=None, alias="not")
    total_at_least: Decimal | None = None
    class_at_least: dict[str, Decimal] | None = None
    condition: str | None = None  # a condition id
    conditions: Literal["eligibility", "basic", "requirement", "direct"] | None = None
    label: Text = NO_TEXT

    @model_validator(mode="after")
    def _one(self) -> Rule:
        keys = [
            k
            for k in (
                "all",
                "any",
                "not_",
                "total_at_least",
                "class_at_least",
                "condition",
                "conditions",
            )
            if getattr(self, k) is not None
        ]
        if len(keys) != 1:
            shown = ", ".join(keys) if keys else t("rubric.model.rule_none")
            raise ValueError(t("rubric.model.rule_keys", keys=shown))
        return self


class Rubric(Strict):
    schema_version: Literal[1]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: Text
    version: str
    tier: Literal["innovative", "srdi", "little_giant", "readiness"]
    document: Text
    issued_by: Text
    effective_from: dt.date
    effective_to: dt.date | None = None
    # official: the numbers of an official document; provisional: from secondary sources,
    # unverified; advisory: the project's own guidance rubric, not an official standard.
    # local: a province's or a park's own rubric (地方/园区), often built with `extends:`.
    status: Literal["official", "provisional", "advisory", "local"]
    source_notes: list[Text] = Field(default=[])
    edge_rule: EdgeRule
    size_standard: str | None = None
    inputs: list[str]
    # Fields this rubric brings with it (assess.rubric.local_fields); inputs of it too.
    fields: list[LocalField] = Field(default=[])
    metrics: list[Metric] = Field(default=[])
    classes: list[ScoreClass] = Field(default=[])
    indicators: list[Indicator] = Field(default=[])
    conditions: list[Condition] = Field(default=[])
    pass_rule: Rule = Field(alias="pass")
    pass_mark: Decimal | None = None  # the headline score to reach, for reports and plans
    max_total: Points = Decimal(0)
    maturity: list[MaturityLevel] = Field(default=[])
    extends: str | None = None  # resolved by the loader; kept to show where it came from
    # The table `size_standard` names, resolved by the loader so that scoring reads no file.
    _size_table: SizeStandard | None = PrivateAttr(default=None)

    @property
    def size_table(self) -> SizeStandard | None:
        return self._size_table

    def with_size_table(self, table: SizeStandard) -> Rubric:
        """This rubric with its size standard resolved (the loader's last step)."""
        self._size_table = table
        return self

    @field_validator("maturity")
    @classmethod
    def _levels_rise(cls, levels: list[MaturityLevel]) -> list[MaturityLevel]:
        if levels:
            if levels[0].min_percent != 0:
                raise ValueError(t("rubric.model.maturity_start"))
            cuts = [lv.min_percent for lv in levels]
            if any(b <= a for a, b in pairwise(cuts)):
                raise ValueError(t("rubric.model.maturity_rise"))
        return levels

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)

    @cached_property
    def metrics_by_id(self) -> dict[str, Metric]:
        return {x.id: x for x in self.metrics}

    def inputs_of(self, name: str) -> list[str]:
        """The fields a metric is computed from, in order of first use (a field: itself);
        what a reason quotes and a blank is looked for in."""
        metrics = self.metrics_by_id
        if name not in metrics:
            return [name]
        out: list[str] = []
        for n in sorted(metrics[name].expr.names):
            for leaf in self.inputs_of(n):
                if leaf not in out:
                    out.append(leaf)
        return out

    def values_read(self, names: Iterable[str]) -> frozenset[str]:
        """The firm's values that `names` (fields, metrics, `size_class`) are computed
        from: each metric followed to the fields of its formula, the size class to the
        figures and industry it is classified by (`size.SIZE_FACTS`).  The engine keys its
        wording by them; the questionnaire lists what each indicator asks for."""
        metrics = self.metrics_by_id
        out: set[str] = set()
        todo = list(names)
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in metrics:
                todo.extend(metrics[name].expr.names)
            elif name == "size_class":
                out |= SIZE_FACTS
            else:
                out.add(name)
        return frozenset(out)

    def label_of(self, name: str) -> str:
        """The name of a metric or field in the language in force: 研发费用占营业收入比重,
        上年度研发费用 (R&D expense / operating revenue, R&D expense (last year))."""
        metric = self.metrics_by_id.get(name)
        if metric is not None:
            return str(metric.title)
        spec = FIELDS_BY_ID.get(name)
        return spec.label if spec else name

    def unit_of(self, name: str) -> str:
        """The unit a metric or field is shown in (a `MetricUnit`): the one home of it for
        the engine, the plan and the reference page."""
        metric = self.metrics_by_id.get(name)
        if metric is not None:
            return metric.unit
        spec = FIELDS_BY_ID.get(name)
        return _FIELD_UNITS.get(spec.type, "number") if spec is not None else "number"


def _rebuild() -> None:
    """Follow the operator registry: a newly registered operator's blocks load."""
    for model in (Indicator, Rubric):
        model.model_rebuild(force=True)


on_change(_rebuild)
