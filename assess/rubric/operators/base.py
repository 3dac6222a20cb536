"""What every scoring operator is made of, and what it may ask of the engine.

An operator is one class in one module: the model of its YAML block, how it scores a firm,
the points its known data guarantees and the most the blanks could reach (`bounds`),
how it words the outcome, the plan levers above the band reached, the names it reads (for
the questionnaire), its checks against the whole rubric and its reference-page lines.  The
parts are abstract here and `Operator.__init_subclass__` refuses, at import, an operator
that leaves one out or names a model whose `operator` tag is not its own.

The rubric layer does not import the engine, the plan or the reporters: they hand an
operator a `Scope` (the engine's view of one firm), a `Checker` (the loader's) or a `Doc`
(the reference page's).
"""

from __future__ import annotations

import functools
import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any, ClassVar, Protocol, get_args

from assess.catalog import Lang, language, t, table, using
from assess.errors import Problem
from assess.fields import FIELDS_BY_ID, YEARS
from assess.numbers import fmt
from assess.results import IndicatorResult, IndicatorStatus, Level, NextStep
from assess.rubric.common import Strict
from assess.rubric.expr import Expr, Result, Unknown
from assess.yamlsrc import Loc


class ScoreModel(Strict):
    """The YAML block of one operator: `operator: <name>` and its own keys."""

    @property
    def max_points(self) -> Decimal:  # pragma: no cover - every operator model overrides it
        raise NotImplementedError

    def max_problem(self, maximum: Decimal) -> str | None:
        """Why `maximum` (the indicator's max) does not match the best outcome, if it does
        not.  An operator whose maximum depends on data the loader checks says None."""
        if self.max_points != maximum:
            return t("rubric.model.max_points", points=self.max_points, maximum=maximum)
        return None


# ---- what the engine offers an operator ------------------------------------------------


class Scope(Protocol):
    """One firm's values and metrics for one rubric, as the engine holds them."""

    @property
    def edge_rule(self) -> str: ...

    def value(self, name: str) -> Any:
        """The raw value of a field, metric or engine name (None when absent)."""

    def number(self, name: str) -> Fraction | Unknown: ...

    def eval(self, expr: Expr) -> Result: ...

    def label(self, name: str) -> str: ...

    def unit(self, name: str) -> str: ...

    def places(self, name: str) -> int:
        """The decimals a value of `name` is entered with: 0 for counts, else 2."""

    def inputs_of(self, name: str) -> list[str]:
        """The fields a metric is computed from (a field: itself)."""

    def filled(self, values: dict[str, Any]) -> Scope:
        """This firm with `values` entered and the metrics computed from them again."""

    def describe(self, name: str) -> str: ...

    def show(self, name: str) -> str: ...

    def figure(self, name: str) -> str: ...

    def names_figure(self, names: frozenset[str] | set[str]) -> str: ...

    def solve(self, metric: str, target: Fraction) -> tuple[str, Fraction, Fraction] | None:
        """(lever, its value now, its exact value that brings `metric` to `target`)."""

    def sweep(
        self, name: str, settled: Callable[[Fraction, Fraction], bool] | None = None
    ) -> list[Fraction]:
        """The values a metric (or field) takes while the blanks it is computed from range
        over what may be entered; [] when that cannot be searched (then any value).  With
        `settled`, the search may stop once `settled(least, greatest)` of the values found
        holds: a wider range would not change the caller's answer."""

    def fillings(
        self, names: Iterable[str], conditions: Iterable[Expr] = ()
    ) -> Sequence[Scope] | None:
        """This firm with the blanks `names` read filled in every way worth trying (a
        search, for an operator's bounds), also where any comparison in `conditions` (the
        operator's own) changes; None when that cannot be searched."""

    def score_part(self, score: ScoreModel, maximum: Decimal) -> Outcome:
        """Score a nested operator block (a local part) with its own operator, its bounds
        given (`Outcome.points` the least, `Outcome.high` the most when undecided)."""


class Checker(Protocol):
    """The loader's checks, for an operator checking its block against the whole rubric."""

    inputs: set[str]

    def problem(self, loc: Loc, message: str) -> Problem: ...

    def expr(self, loc: Loc, expr: Expr) -> Iterator[Problem]: ...

    def numeric(self, loc: Loc, name: str) -> Iterator[Problem]: ...

    def score(self, score: ScoreModel, loc: Loc, maximum: Decimal) -> Iterator[Problem]: ...


class Doc(Protocol):
    """The reference page's view of the rubric."""

    @property
    def edge_rule(self) -> str: ...

    def unit(self, name: str) -> str: ...

    def lines(self, score: ScoreModel) -> Iterator[str]: ...


# ---- what an operator decides --------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """An operator's decision: points and status, the code of what decided them and the
    facts its wording needs.  `reason` is empty until the operator's `explain` words it.

    Made once per indicator and never changed (`dataclasses.replace` makes a new one): not
    frozen only because a frozen dataclass is built several times slower, and the engine
    makes one for every indicator of every firm."""

    points: Decimal
    status: IndicatorStatus
    code: str  # "band", "tier", "otherwise", "choice", "items", "steps", ... or "unknown"
    facts: Mapping[str, Any] = field(default_factory=dict)
    figure: str = ""
    value: Fraction | None = None
    band: str = ""
    next: NextStep | None = None
    advice: str = ""
    missing: tuple[str, ...] = ()
    parts: tuple[IndicatorResult, ...] = ()
    provisional: bool = False  # the figures used come from a provisional source
    reason: str = ""
    # For an undecided outcome, once the engine has asked the operator's `bounds`: `points`
    # are the points the known data guarantees and `high` the most the blanks could add up
    # to.  None when decided (the points are the points).
    high: Decimal | None = None


def unknown(why: Unknown | str, missing: tuple[str, ...] = ()) -> Outcome:
    """0 points, undecided, with the reason the figure could not be had."""
    if isinstance(why, Unknown):
        return Outcome(Decimal(0), "unknown", "unknown", {"why": why.reason}, missing=why.missing)
    return Outcome(Decimal(0), "unknown", "unknown", {"why": why}, missing=missing)


def settled(outcome: Outcome) -> tuple[Decimal, Decimal] | None:
    """A decided outcome's bounds (its points, twice); None when it is undecided."""
    if outcome.status == "unknown":
        return None
    return outcome.points, outcome.points


def next_step(level: Level, points: Decimal, metric_target: Decimal | None = None) -> NextStep:
    """The engine's "next band" from the first rung of a ladder."""
    return NextStep(
        level.points - points,
        level.label,
        level.text,
        metric_target,
        level.lever,
        level.lever_from,
        level.lever_to,
        level.next_year,
    )


@dataclass(frozen=True)
class LeverMove:
    """A lever value that brings a metric into a band, as printed: rounded, in the
    direction of the move, to the decimals the field is entered with, so the figure a
    reader types in reaches the band (1,499.74, not 1,499.73)."""

    lever: str
    start: Fraction
    goal: Decimal
    # A figure for next year measured against last year's (a growth rate): this year's
    # questionnaire cannot take it, so the rung names no lever to type back in.
    next_year: bool = False


def next_year(scope: Scope, metric: str, lever: str) -> Scope | None:
    """The firm a year on, when `metric` grows `lever` from its own earlier years (主营业务
    收入增长率): last year's figure becomes the base the next one grows from, the year
    before becomes the one before that.  None when the metric reads no earlier year of the
    lever, or the lever is no figure of last year."""
    chain = next((c for c in YEARS if c[0] == lever), None)
    if chain is None or not is_past(scope, lever):
        return None
    if not set(chain[1:]) & set(scope.inputs_of(metric)):
        return None
    shifted = {later: scope.value(earlier) for earlier, later in pairwise(chain)}
    return scope.filled(shifted)


def move_lever(scope: Scope, metric: str, target: Fraction, inclusive: bool) -> LeverMove | None:
    """The printed lever value that brings `metric` to `target` (or strictly past it when
    the band does not include its bound), or None when the metric has no linear lever.  A
    growth rate of last year's figure is aimed at for next year: solved against last
    year's figure as the base (`next_year`)."""
    solved = scope.solve(metric, target)
    if solved is None:
        return None
    lever, start, goal = solved
    ahead = next_year(scope, metric, lever)
    if ahead is not None:
        solved = ahead.solve(metric, target)
        if solved is None:
            return None
        lever, start, goal = solved
    places = scope.places(lever)
    if ahead is not None and goal < start:
        # A growth rate rises with next year's figure: one at least last year's reaches it.
        goal = start
    scaled = goal * 10**places
    up = goal >= start
    whole = math.ceil(scaled) if up else math.floor(scaled)
    if not inclusive and whole == scaled:
        whole += 1 if up else -1  # the bound itself is outside the band: one unit past it
    goal_printed = Decimal(whole).scaleb(-places) + Decimal(0)
    return LeverMove(lever, start, goal_printed, next_year=ahead is not None)


# A figure of a past year, as the questionnaire labels it: the firm cannot change it, only
# aim for it next year.  "近3年…" counts are rolling windows the firm still adds to.  The
# Chinese labels decide it; the English ones say the year after the name.
_PAST = ("上年度", "上年末")
_PAST_EN = (" (last year)", " (end of last year)", " (to the end of last year)")


def is_past(scope: Scope, name: str) -> bool:
    """Whether `name` (a field or metric) is a figure of last year's accounts."""
    with using("zh"):
        if scope.label(name).startswith(_PAST):
            return True
        return any(scope.label(n).startswith(_PAST) for n in _inputs(scope, name))


def _inputs(scope: Scope, name: str) -> tuple[str, ...]:
    lever = scope.solve(name, Fraction(0))
    return (lever[0],) if lever is not None else ()


def plain_label(scope: Scope, name: str) -> str:
    """A label without its "上年度" / "上年末" / "(截至上年末)" (" (last year)"): the
    figure, whichever year."""
    label = scope.label(name)
    if language() == "en":
        for suffix in _PAST_EN:
            label = label.removesuffix(suffix)
        return label
    label = label.removesuffix("(截至上年末)").removesuffix("（截至上年末）")
    for prefix in _PAST:
        if label.startswith(prefix):
            return label[len(prefix) :]
    return label


def with_unit(value: Fraction | Decimal | int, unit: str) -> str:
    """ "238 万元", "3.5%", "5 年": a value with its unit in the current language."""
    if unit == "percent":
        return f"{fmt(value)}%"
    label = _unit_labels(language()).get(unit)
    return f"{fmt(value)} {label}" if label else fmt(value)


@functools.cache
def _unit_labels(lang: Lang) -> dict[str, str]:
    """The unit label table, built once per language: `catalog.table` walks the whole
    catalog, and scoring one firm words a value with its unit a few dozen times."""
    return table("label.unit", lang)


def _shown(scope: Scope, name: str, value: Fraction | Decimal) -> str:
    """A value with its unit; a count with its own (人, 件), a year count with 年."""
    spec = FIELDS_BY_ID.get(name)
    unit = scope.unit(name)
    if spec is not None and unit == "number" and spec.unit:
        return f"{fmt(value)} {spec.unit}"
    return with_unit(value, unit)


def is_time(name: str) -> bool:
    """A count of years the firm reaches only by waiting (细分市场年限)."""
    spec = FIELDS_BY_ID.get(name)
    return spec is not None and spec.unit_zh == "年" and name != "assessment_year"


def is_rank(name: str) -> bool:
    """A place in a ranking (第 9 名), better as its number falls."""
    spec = FIELDS_BY_ID.get(name)
    return spec is not None and spec.unit_zh == "名"


def lever_words(scope: Scope, move: LeverMove) -> str:
    """What the lever must become, as a target with the gap still to close: "研发费用不少于
    340 万元，还差 102 万元"; for years in a niche, the year they are reached."""
    gap = abs(Fraction(move.goal) - move.start)
    value = _shown(scope, move.lever, move.goal)
    gap_text = _shown(scope, move.lever, gap)
    name = plain_label(scope, move.lever)
    if is_time(move.lever) and Fraction(move.goal) > move.start:
        year = scope.value("assessment_year")
        if isinstance(year, int | Decimal | Fraction) and not isinstance(year, bool):
            wait = math.ceil(gap)
            when = str(int(year) + wait)  # a year, not a quantity: no thousands separator
            return t("operator.lever.time", lever=name, year=when, value=value, gap=gap_text)
        return t("operator.lever.time_no_year", lever=name, value=value, gap=gap_text)
    if gap == 0:  # next year's growth from last year's figure: not to fall below it
        return t("operator.lever.keep", lever=name, value=value)
    if is_rank(move.lever) and Fraction(move.goal) < move.start:
        # A rank rises as its number falls: "进入前 3 名", "reach the top 3".
        number = fmt(move.goal)
        return t("operator.lever.rank", lever=name, value=value, number=number, gap=gap_text)
    key = "operator.lever.more" if Fraction(move.goal) > move.start else "operator.lever.less"
    return t(key, lever=name, value=value, gap=gap_text)


def reach_words(scope: Scope, metric: str, move: LeverMove, now: str, goal: str, gain: str) -> str:
    """One rung in words: the metric's goal and, when a lever moves it, what the lever must
    become (a next-year target for a figure of last year); a metric that is its own lever
    is said once."""
    lever = lever_words(scope, move)
    past = is_past(scope, move.lever)
    if move.lever == metric:
        key = "operator.reach.past_direct" if past else "operator.reach.direct"
        return t(key, lever=lever, now=_shown(scope, metric, move.start), gain=gain)
    key = "operator.reach.past" if past else "operator.reach.now"
    name = plain_label(scope, metric)
    return t(key, metric=name, now=now, goal=goal, gain=gain, lever=lever)


# ---- the operator ------------------------------------------------------------------------

# The parts every operator must define itself (not inherit): a missing one is an error when
# the class is created.
REQUIRED_PARTS = ("score", "bounds", "explain", "rungs", "names_read", "check", "document")


class Operator(ABC):
    """One scoring operator.  Subclasses set `name` and `model` and define every part in
    `REQUIRED_PARTS` themselves (checked when the class is made, not when it is first
    used: operators are stateless and used through the class, never instantiated)."""

    name: ClassVar[str]
    model: ClassVar[type[ScoreModel]]
    # Whether a local block's part may use this operator (a local block inside a local
    # block, or a best-of of parts, is not something a rubric needs).
    in_parts: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        missing = [
            part
            for part in REQUIRED_PARTS
            if part not in own or getattr(own[part], "__isabstractmethod__", False)
        ]
        if not isinstance(cls.__dict__.get("name"), str):
            missing.insert(0, "name")
        model = cls.__dict__.get("model")
        if not (inspect.isclass(model) and issubclass(model, ScoreModel)):
            missing.insert(0, "model")
        if missing:
            raise TypeError(f"operator {cls.__name__} lacks {', '.join(missing)}")
        assert model is not None
        tag = model.model_fields.get("operator")
        if tag is None or get_args(tag.annotation) != (cls.__dict__["name"],):
            raise TypeError(
                f"operator {cls.__name__}: {model.__name__}.operator must be "
                f"Literal[{cls.__dict__['name']!r}]"
            )

    @classmethod
    @abstractmethod
    def score(cls, score: Any, scope: Scope, maximum: Decimal) -> Outcome:
        """Decide: points, status, the band reached and the next one.  `maximum` is the
        indicator's (or the part's) max."""
        raise NotImplementedError

    @classmethod
    @abstractmethod
    def bounds(
        cls, score: Any, scope: Scope, maximum: Decimal, outcome: Outcome
    ) -> tuple[Decimal, Decimal]:
        """(the fewest, the most) points over every way of filling in the blanks the
        outcome lists as `missing`: the least is what the known data guarantees, the most
        what it could reach.  Both are reached by some filling-in (tight), and a decided
        outcome's are its points.  `outcome` is the operator's own `score`."""
        raise NotImplementedError

    @classmethod
    @abstractmethod
    def explain(cls, score: Any, outcome: Outcome) -> str:
        """Word a decided outcome (an undecided one is worded by `reason`)."""
        raise NotImplementedError

    @classmethod
    @abstractmethod
    def rungs(cls, score: Any, result: IndicatorResult, scope: Scope) -> list[Level]:
        """Every rung above the result's points, lowest first: the plan's levers."""
        raise NotImplementedError

    @classmethod
    @abstractmethod
    def names_read(cls, score: Any) -> set[str]:
        """The fields and metrics the block reads (the questionnaire asks for them)."""
        raise NotImplementedError

    @classmethod
    @abstractmethod
    def check(cls, score: Any, loc: Loc, maximum: Decimal, checker: Checker) -> Iterator[Problem]:
        """Checks that need the whole rubric: names, fields, nested maxima."""
        raise NotImplementedError

    @classmethod
    @abstractmethod
    def document(cls, score: Any, doc: Doc) -> Iterator[str]:
        """Markdown lines for the rubric's reference page."""
        raise NotImplementedError

    @classmethod
    def decide(cls, score: Any, scope: Scope, maximum: Decimal) -> Outcome:
        """`score` without the next band (`Outcome.next` None): the points, status, facts
        and figure, and so the reason, are `score`'s.  What a batch round keeps for every
        applicant, where the search for the next band's lever would be thrown away.  An
        operator whose next band costs little need not define it."""
        return cls.score(score, scope, maximum)

    @classmethod
    def reason(cls, score: Any, outcome: Outcome) -> str:
        if outcome.code == "unknown":
            return str(outcome.facts["why"])
        return cls.explain(score, outcome)

    @classmethod
    def parts(cls, score: Any) -> tuple[tuple[str, Any, tuple[str, ...]], ...]:
        """Nested blocks scored on their own: (title, score block, evidence).  Only an
        operator made of parts (local) has any."""
        return ()
