"""What an assessment produces: immutable values every reporter reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from assess.plan import TierPlan

IndicatorStatus = Literal["ok", "unknown", "not_assessed"]
# "platform_pending": every condition of the rule holds except the national platform's
# development score (发展评价得分), which is still to be had.
PassStatus = Literal["pass", "fail", "undetermined", "platform_pending"]


@dataclass(frozen=True)
class NextStep:
    """What reaching the next band takes: 研发费用占比 2.4% → 3% 可再得 5 分."""

    gain: Decimal  # points gained by reaching it
    target: str  # the band or level to reach, readable
    text: str  # one sentence for the report
    metric_target: Decimal | None = None  # the metric value to reach, if numeric
    lever: str | None = None  # field to change
    lever_from: Decimal | None = None
    lever_to: Decimal | None = None
    # The lever is next year's figure (a growth rate aimed at from last year's figure):
    # typed in a year on, after last year's figures move back a year (fields.next_year_values).
    next_year: bool = False


class Level(NamedTuple):
    """One rung of an indicator's ladder: its points once reached and what that takes.
    The engine's next step is the first rung; the plan climbs one or more.  (A tuple: the
    engine makes one for every indicator short of its maximum.)"""

    points: Decimal
    label: str
    text: str
    lever: str | None = None  # the field to change
    lever_from: Decimal | None = None
    lever_to: Decimal | None = None  # as printed: typed in, it reaches the rung
    next_year: bool = False  # typed in a year on (NextStep.next_year)


@dataclass(frozen=True)
class IndicatorResult:
    id: str
    title: str
    class_id: str
    points: Decimal
    max: Decimal
    status: IndicatorStatus
    reason: str
    figure: str = ""  # the figure used, formatted with its unit
    value: Decimal | None = None  # the metric value, when numeric
    band: str = ""  # the band or tier reached
    next: NextStep | None = None
    advice: str = ""
    evidence: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    provisional: bool = False
    parts: tuple[IndicatorResult, ...] = ()
    source: str = ""
    effort: Decimal = Decimal(1)
    code: str = ""  # what decided it, from its operator: "band", "tier", ... or "unknown"
    # Undecided (status "unknown"): `points` are what the known data guarantees and `high`
    # the most it could reach once the blanks in `missing` are filled.  None when decided.
    high: Decimal | None = None

    @property
    def at_most(self) -> Decimal:
        """The most this row could score: its points once decided."""
        return self.points if self.high is None else self.high


@dataclass(frozen=True)
class ConditionResult:
    id: str
    title: str
    role: str
    group: str
    ok: bool | None  # None: could not be decided
    reason: str
    advice: str = ""
    missing: tuple[str, ...] = ()
    provisional: bool = False
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClassResult:
    id: str
    title: str
    points: Decimal
    max: Decimal
    unknown_max: Decimal  # points still open on unknown indicators
    maturity: str | None = None  # the level reached, for rubrics that define levels
    minimum: Decimal | None = None  # the class minimum of the pass rule's scored route


RuleKind = Literal["all", "any", "not", "total", "classes", "class", "condition", "conditions"]


class RuleLine(NamedTuple):
    """One line of how the pass rule was judged, as data: the reporters word it.

    `label` is the rubric's own label ("" when it gives none); `have` and `need` are the
    points compared by a total or class threshold; `ok` is None when undecided and
    `marked` is False for a heading that carries no verdict of its own (a labelled group of
    class thresholds).  A tuple, not a dataclass: a rubric judges a dozen of them per firm
    and a tuple is made several times faster."""

    depth: int
    kind: RuleKind
    ok: bool | None
    label: str = ""
    have: Decimal | None = None
    need: Decimal | None = None
    role: str = ""  # for `conditions`: the role judged
    marked: bool = True


@dataclass(frozen=True)
class Reference:
    """A firm's points under another scoring table, shown beside a verdict that waits for
    a figure only someone else computes: the 2022 专精特新 table beside a 2026 verdict
    waiting for the platform's development score.  Not that score, nor its method."""

    rubric: str
    title: str
    total: Decimal
    at_most: Decimal
    max: Decimal
    pass_mark: Decimal | None


@dataclass(frozen=True)
class Assessment:
    rubric: str
    rubric_title: str
    rubric_version: str
    rubric_status: str
    tier: str
    document: str
    firm: str
    source: str
    total: Decimal
    max: Decimal
    pass_status: PassStatus
    pass_mark: Decimal | None
    size_class: str | None
    size_reason: str
    classes: tuple[ClassResult, ...]
    indicators: tuple[IndicatorResult, ...]
    conditions: tuple[ConditionResult, ...]
    explanation: tuple[RuleLine, ...]  # how the pass rule was judged
    warnings: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())
    maturity: str | None = None  # the overall level, for rubrics that define levels
    # What the reports say about the rubric itself, so that no reporter reloads it.
    issued_by: str = ""
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    source_notes: tuple[str, ...] = ()
    reference: Reference | None = None  # see `Reference`: only for platform_pending
    # platform_pending: the development score the platform must give (发展评价得分 ≥ this)
    platform_need: Decimal | None = None
    # The engine's plan maker for this assessment (it holds the firm's scoring context);
    # `plan` calls it at most once.  Not part of the value: equal results compare equal.
    planner: Callable[[Assessment], TierPlan | None] | None = field(
        default=None, compare=False, repr=False
    )

    @cached_property
    def plan(self) -> TierPlan | None:
        """The improvement plan (None once passed), made on first use and kept: scoring a
        round of applicants does not pay for plans nobody reads."""
        return self.planner(self) if self.planner is not None else None

    @property
    def passed(self) -> bool:
        return self.pass_status == "pass"

    @property
    def at_most(self) -> Decimal:
        """The most the total could reach once every blank is filled."""
        return self.total + sum((i.at_most - i.points for i in self.indicators), Decimal(0))

    def rows(self) -> Iterator[tuple[IndicatorResult, IndicatorResult]]:
        """(indicator, row) for every scored row: an indicator, or each part of one made
        of parts (a local block), with the indicator it belongs to."""
        for ind in self.indicators:
            for part in ind.parts or (ind,):
                yield ind, part

    @property
    def complete(self) -> bool:
        return all(i.status != "unknown" for i in self.indicators) and all(
            c.ok is not None for c in self.conditions
        )

    @property
    def gates(self) -> tuple[ConditionResult, ...]:
        return tuple(c for c in self.conditions if c.role != "direct")

    @property
    def direct(self) -> tuple[ConditionResult, ...]:
        return tuple(c for c in self.conditions if c.role == "direct")


@dataclass(frozen=True)
class CohortPlace:
    """Where one applicant stands in its batch round, printed in its own report."""

    round_name: str  # the round, e.g. the output folder's name
    size: int  # applicants scored in the round
    rank: int  # 1 = best score rate; ties share a rank
    percentile: Decimal  # share of the round scoring below it, ties counting half (0–100)
    score_pct: Decimal | None  # its score as a percentage of the maximum over the scored rubrics
    # Ranked by the official ladder (`ladder`): the highest tier passed ("" for none) and
    # the verdict at the tier above it ("" at the top).
    tier: str = ""
    verdict: str = ""
    ladder: bool = False
    ranked: bool = True  # False: the cover shows no place, only `changes`
    changes: tuple[str, ...] = ()  # since the previous round, worded: 研发投入 成长 → 成熟
