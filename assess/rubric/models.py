"""What a rubric file declares, as strict, immutable pydantic models.

Extra keys are forbidden (a misspelt key is an error, not a silent default), and each
scoring operator checks its own meaning when it loads: band tables that overlap or leave a
hole, points that do not reach the stated maximum, enum maps that miss a value.  Checks
that need the whole rubric (class maxima, names used in formulas) live in `loader`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assess.rubric.expr import Expr, ExprError

SCHEMA_VERSION = 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def _parse_expr(value: Any) -> Expr:
    if isinstance(value, Expr):
        return value
    if not isinstance(value, str | int | Decimal | bool):
        raise ValueError("expected a formula as text")
    try:
        return Expr.parse(value)
    except ExprError as exc:
        raise ValueError(str(exc)) from None


class _ExprField:
    """Pydantic hook: a field given as text, parsed into an `Expr` when the rubric loads."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            _parse_expr, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        return {
            "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
            "description": "a formula: names, numbers, + - * /, comparisons, and/or/not, "
            "in [...], min/max/abs/mean",
        }


ExprText = Annotated[Expr, _ExprField]
Points = Annotated[Decimal, Field(ge=0)]


class Text(Strict):
    zh: str
    en: str = ""


MetricUnit = Literal["percent", "wan_yuan", "years", "count", "persons", "score", "number"]
UNIT_SUFFIX: dict[str, str] = {
    "percent": "%",
    "wan_yuan": " 万元",
    "years": " 年",
    "count": " 件",
    "persons": " 人",
    "score": " 分",
    "number": "",
}


class Metric(Strict):
    """A figure computed from fields, e.g. R&D share = rd_expense / revenue * 100."""

    id: str
    title: Text
    unit: MetricUnit
    expr: ExprText
    lever: str | None = None  # the field a firm changes to move this metric
    note: str = ""


# ---- scoring operators -------------------------------------------------------------------


class Band(Strict):
    min: Decimal | None = None  # None: no lower end
    max: Decimal | None = None  # None: no upper end
    points: Points
    label: str = ""
    advice: str = ""

    @cached_property
    def lo(self) -> Fraction | None:
        """min as an exact fraction, converted once (scoring compares it often)."""
        return None if self.min is None else Fraction(self.min)

    @cached_property
    def hi(self) -> Fraction | None:
        return None if self.max is None else Fraction(self.max)

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


EdgeRule = Literal["better_band", "lower_band", "upper_band"]


class BandsScore(Strict):
    """Points by the band a metric falls in; on a shared edge the edge rule decides."""

    operator: Literal["bands"]
    metric: str
    direction: Literal["higher", "lower"]
    edge: EdgeRule | None = None  # None: the rubric's edge_rule
    bands: list[Band] = Field(min_length=1)

    @model_validator(mode="after")
    def _tile(self) -> BandsScore:
        # "[at bands[i]]" lets the loader point at the band itself, not the whole table.
        problems: list[str] = []
        order = sorted(
            range(len(self.bands)),
            key=lambda i: (self.bands[i].min is not None, self.bands[i].min or 0),
        )
        ranked = [self.bands[i] for i in order]
        if ranked[0].min is not None:
            problems.append(
                f"nothing covers values below {ranked[0].min}: the lowest band needs no min"
            )
        if ranked[-1].max is not None:
            problems.append(
                f"nothing covers values above {ranked[-1].max}: the highest band needs no max"
            )
        for (ia, a), (ib, b) in zip(
            zip(order, ranked, strict=True), zip(order[1:], ranked[1:], strict=True), strict=False
        ):
            first, second = sorted((ia, ib))
            if a.max is None or (b.min is not None and a.max > b.min):
                problems.append(
                    f"[at bands[{second}]] bands[{first}] and bands[{second}] "
                    f"overlap ({_span(self.bands[first])} and "
                    f"{_span(self.bands[second])})"
                )
            elif b.min is not None and a.max < b.min:
                problems.append(
                    f"[at bands[{second}]] hole between bands[{first}] and "
                    f"bands[{second}]: values from {a.max} to {b.min} match no band"
                )
        if not problems:
            points = [band.points for band in ranked]
            rising = self.direction == "higher"
            if any((p2 < p1) if rising else (p2 > p1) for p1, p2 in pairwise(points)):
                problems.append(
                    f"points must {'rise' if rising else 'fall'} as the metric "
                    f"rises (direction: {self.direction})"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def max_points(self) -> Decimal:
        return max(b.points for b in self.bands)


def _span(band: Band) -> str:
    lo = "−∞" if band.min is None else str(band.min)
    hi = "+∞" if band.max is None else str(band.max)
    return f"{lo}..{hi}"


class Tier(Strict):
    when: ExprText
    points: Points
    label: str
    advice: str = ""


class Otherwise(Strict):
    points: Points = Decimal(0)
    label: str
    advice: str = ""


class TiersScore(Strict):
    """The first tier whose condition holds gives the points."""

    operator: Literal["tiers"]
    tiers: list[Tier] = Field(min_length=1)
    otherwise: Otherwise

    @property
    def max_points(self) -> Decimal:
        return max([t.points for t in self.tiers] + [self.otherwise.points])


class EnumScore(Strict):
    """An enum field's value maps to points; every value must be mapped."""

    operator: Literal["enum"]
    field: str
    points: dict[str, Points]
    advice: dict[str, str] = {}

    @property
    def max_points(self) -> Decimal:
        return max(self.points.values())


class Item(Strict):
    id: str
    when: ExprText
    label: str


class ItemsScore(Strict):
    """A fixed number of points per item held, capped."""

    operator: Literal["items"]
    items: list[Item] = Field(min_length=1)
    points_each: Points
    cap: Points
    advice: str = ""

    @property
    def max_points(self) -> Decimal:
        return min(self.cap, self.points_each * len(self.items))


class SteppedScore(Strict):
    """points_per_step for each full step of the metric, capped (1 per full 2 years, ≤ 5)."""

    operator: Literal["stepped"]
    metric: str
    step: Annotated[Decimal, Field(gt=0)]
    points_per_step: Points
    cap: Points
    advice: str = ""

    @property
    def max_points(self) -> Decimal:
        return self.cap


class BestOfScore(Strict):
    """The better of several band tables (R&D amount band OR ratio band)."""

    operator: Literal["best_of"]
    options: list[BandsScore] = Field(min_length=2)

    @property
    def max_points(self) -> Decimal:
        return max(o.max_points for o in self.options)


class LocalPart(Strict):
    id: str
    title: Text
    max: Points
    score: Annotated[
        TiersScore | EnumScore | ItemsScore | BandsScore | SteppedScore,
        Field(discriminator="operator"),
    ]
    source: str = ""
    evidence: list[str] = []
    advice: str = ""


class LocalBlock(Strict):
    province: str
    status: Literal["official", "provisional"] = "official"
    source: str
    note: str = ""
    parts: list[LocalPart] = Field(min_length=1)


class LocalScore(Strict):
    """A provincial block chosen by a field (province); points given directly win."""

    operator: Literal["local"]
    selector: str
    override: str | None = None
    blocks: list[LocalBlock] = []

    @property
    def max_points(self) -> Decimal:
        return Decimal(0)  # checked against each block in the loader


Score = Annotated[
    BandsScore | TiersScore | EnumScore | ItemsScore | SteppedScore | BestOfScore | LocalScore,
    Field(discriminator="operator"),
]
OPERATORS = ("bands", "tiers", "enum", "items", "stepped", "best_of", "local")


class Indicator(Strict):
    id: str
    title: Text
    class_: str = Field(alias="class")
    max: Points
    score: Score
    source: str
    rationale: str
    evidence: list[str] = Field(min_length=1)
    advice: str = ""
    effort: Annotated[Decimal, Field(gt=0)] = Decimal(1)  # relative cost of improving it
    status: Literal["official", "provisional"] | None = None  # None: the rubric's

    @model_validator(mode="after")
    def _max_reached(self) -> Indicator:
        if not isinstance(self.score, LocalScore) and self.score.max_points != self.max:
            raise ValueError(
                f"the best outcome gives {self.score.max_points} points but max is {self.max}"
            )
        return self


class ScoreClass(Strict):
    id: str
    title: Text
    max: Points


class Check(Strict):
    when: ExprText
    label: str


class Condition(Strict):
    """A yes/no requirement: an eligibility gate, a basic condition, or a direct route."""

    id: str
    title: Text
    role: Literal["eligibility", "basic", "requirement", "direct"]
    group: str = ""  # a dimension, e.g. 专业化, for reports
    require: list[Check] = Field(min_length=1)  # all must hold
    source: str = ""
    advice: str = ""
    evidence: list[str] = []
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

    label: str
    en: str = ""
    min_percent: Annotated[Decimal, Field(ge=0, le=100)]
    description: str = ""


class Rule(Strict):
    """A pass rule: exactly one of the keys below."""

    all: list[Rule] | None = None
    any: list[Rule] | None = None
    not_: Rule | None = Field(default=None, alias="not")
    total_at_least: Decimal | None = None
    class_at_least: dict[str, Decimal] | None = None
    condition: str | None = None  # a condition id
    conditions: Literal["eligibility", "basic", "requirement", "direct"] | None = None
    label: str = ""

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
            raise ValueError(
                "a rule needs exactly one of all, any, not, total_at_least, "
                f"class_at_least, condition, conditions (got {keys or 'none'})"
            )
        return self


class Rubric(Strict):
    schema_version: Literal[1]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: Text
    version: str
    tier: Literal["innovative", "srdi", "little_giant", "readiness"]
    document: str
    issued_by: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    # official: the numbers of an official document; provisional: from secondary sources,
    # unverified; advisory: the project's own guidance rubric, not an official standard.
    status: Literal["official", "provisional", "advisory"]
    source_notes: list[str] = []
    edge_rule: EdgeRule
    size_standard: str | None = None
    inputs: list[str]
    metrics: list[Metric] = []
    classes: list[ScoreClass] = []
    indicators: list[Indicator] = []
    conditions: list[Condition] = []
    pass_rule: Rule = Field(alias="pass")
    pass_mark: Decimal | None = None  # the headline score to reach, for reports and plans
    max_total: Points = Decimal(0)
    maturity: list[MaturityLevel] = []
    extends: str | None = None  # resolved by the loader; kept to show where it came from

    @field_validator("maturity")
    @classmethod
    def _levels_rise(cls, levels: list[MaturityLevel]) -> list[MaturityLevel]:
        if levels:
            if levels[0].min_percent != 0:
                raise ValueError("the first maturity level must start at min_percent 0")
            cuts = [lv.min_percent for lv in levels]
            if any(b <= a for a, b in pairwise(cuts)):
                raise ValueError("maturity levels must rise strictly in min_percent")
        return levels

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)
