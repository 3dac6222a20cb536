"""Running statistics of a round: pass rates per rubric, score distribution, the weakest
indicators.  `Cohort.add` takes each finished `ApplicantRow` once, in any order; the sums
are exact `Decimal`s, so the figures do not depend on the order in which parallel workers
finish.  The summary workbook and cohort.pdf word these figures; they are computed here.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from assess.batch.records import (
    _CENT,
    _TENTH,
    HUNDRED,
    INFO_FIELDS,
    LADDER_TIERS,
    STATUSES,
    ApplicantRow,
    MarkTally,
)

PERCENTILES = (10, 25, 50, 75, 90)
TIER_ORDER = ("innovative", "srdi", "little_giant", "readiness")  # the ladder, bottom up


def quantile(values: Sequence[Decimal], q: int) -> Decimal:
    """The q-th percentile of sorted `values`, interpolated linearly between ranks."""
    if not values:
        raise ValueError("no values")
    pos = Decimal(q) / HUNDRED * (len(values) - 1)
    low = int(pos)
    high = min(low + 1, len(values) - 1)
    frac = pos - low
    value = values[low] + (values[high] - values[low]) * frac
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


class Counted(Sequence[Decimal]):
    """Sorted values read from how many times each occurs (value → count): what
    `quantile` reads, in the room of the distinct values however many there are (a score
    rate has at most 10,001 values; a round of 100,000 applicants shares them)."""

    def __init__(self, counts: Mapping[Decimal, int]) -> None:
        self._values = sorted(counts)
        self._ends = list(itertools.accumulate(counts[v] for v in self._values))

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __getitem__(self, position: int) -> Decimal:  # type: ignore[override]
        if not 0 <= position < len(self):
            raise IndexError(position)
        return self._values[bisect.bisect_right(self._ends, position)]


def _add(sums: list[int], counts: Sequence[int]) -> None:
    for i, n in enumerate(counts):
        sums[i] += n


@dataclass
class RubricTally:
    rubric: str
    title: str
    version: str
    tier: str
    max: Decimal
    outcomes: dict[str, int] = field(
        default_factory=lambda: {"pass": 0, "fail": 0, "undetermined": 0, "platform_pending": 0}
    )
    classes: dict[str, str] = field(default_factory=dict)  # class id → title, in order
    totals: dict[Decimal, int] = field(default_factory=dict)  # total → applicants

    @property
    def n(self) -> int:
        return sum(self.outcomes.values())

    @property
    def pass_rate(self) -> Decimal | None:
        if not self.n:
            return None
        return (Decimal(self.outcomes["pass"]) * HUNDRED / self.n).quantize(_TENTH)


@dataclass
class IndicatorTally:
    rubric: str
    id: str
    title: str
    points: Decimal = Decimal(0)
    max: Decimal = Decimal(0)
    n: int = 0
    unknown: int = 0

    @property
    def mean_percent(self) -> Decimal:
        if self.max <= 0:
            return HUNDRED
        return (self.points * HUNDRED / self.max).quantize(_TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Bin:
    low: int
    high: int
    count: int

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"


class Cohort:
    """Running statistics of a round.  `add` each finished row once, in any order."""

    def __init__(self, official: bool = False) -> None:
        # under the official ladder the score rate leaves the advisory readiness out
        self.official = official
        self.counts: dict[str, int] = {s: 0 for s in STATUSES}
        self.rubrics: dict[str, RubricTally] = {}
        self.indicators: dict[tuple[str, str], IndicatorTally] = {}
        self.scores: dict[int, Decimal] = {}
        self._score_counts: dict[Decimal, int] = {}  # score → applicants
        self.sizes: dict[str, int] = {}
        # (target tier, condition title) → applicants missing it there
        self.unmet: dict[tuple[str, str], int] = {}
        # (province, city, district) / industry id → [scored, reached each LADDER_TIERS tier]
        self.regions: dict[tuple[str, str, str], list[int]] = {}
        self.industries: dict[str, list[int]] = {}

    def add(self, row: ApplicantRow) -> None:
        self.counts[row.status] = self.counts.get(row.status, 0) + 1
        if row.status != "scored":
            return
        score = row.rate(self.official)
        if score is not None:
            self.scores[row.index] = score
            self._score_counts[score] = self._score_counts.get(score, 0) + 1
        size = row.size_class or "unknown"
        self.sizes[size] = self.sizes.get(size, 0) + 1
        for title in row.failed:
            key = (row.target, title)
            self.unmet[key] = self.unmet.get(key, 0) + 1
        info = dict(zip(INFO_FIELDS, row.info, strict=False))
        passed = {line.tier for line in row.lines if line.pass_status == "pass"}
        reached = [1, *(int(tier in passed) for tier in LADDER_TIERS)]
        region = (info.get("province", ""), info.get("city", ""), info.get("district", ""))
        _add(self.regions.setdefault(region, [0] * len(reached)), reached)
        _add(self.industries.setdefault(info.get("industry", ""), [0] * len(reached)), reached)
        for line in row.lines:
            tally = self.rubrics.get(line.rubric)
            if tally is None:
                tally = self.rubrics[line.rubric] = RubricTally(
                    line.rubric, line.title, line.version, line.tier, line.max
                )
            tally.outcomes[line.pass_status] = tally.outcomes.get(line.pass_status, 0) + 1
            tally.totals[line.total] = tally.totals.get(line.total, 0) + 1
            for c in line.classes:
                tally.classes.setdefault(c.id, c.title)
        for mark in row.marks:
            key = (mark.rubric, mark.id)
            ind = self.indicators.get(key)
            if ind is None:
                ind = self.indicators[key] = IndicatorTally(mark.rubric, mark.id, mark.title)
            ind.points += mark.points
            ind.max += mark.max
            ind.n += 1
            ind.unknown += mark.status == "unknown"

    def add_marks(self, tally: MarkTally) -> None:
        """Indicator sums for rows added without their marks."""
        for key, (title, points, maximum, n, unknown) in tally.items():
            ind = self.indicators.get(key)
            if ind is None:
                ind = self.indicators[key] = IndicatorTally(key[0], key[1], title)
            ind.points += points
            ind.max += maximum
            ind.n += n
            ind.unknown += unknown

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def ordered_rubrics(self) -> list[RubricTally]:
        """Ladder order (创新型 → 小巨人, then 准备度), then id: the same on every run."""
        rank = {t: i for i, t in enumerate(TIER_ORDER)}
        return sorted(self.rubrics.values(), key=lambda t: (rank.get(t.tier, len(rank)), t.rubric))

    def histogram(self, width: int = 10) -> list[Bin]:
        """Scores (0–100 %) in bins of `width` points; 100 falls in the top bin."""
        edges = list(range(0, 100, width))
        counts = [0] * len(edges)
        for score, n in self._score_counts.items():
            slot = min(int(score // width), len(edges) - 1)
            counts[max(slot, 0)] += n
        return [Bin(low, min(low + width, 100), n) for low, n in zip(edges, counts, strict=True)]

    def bands(self) -> dict[int, Decimal]:
        """The score at each of PERCENTILES, or {} when nothing was scored."""
        ordered = Counted(self._score_counts)
        return {q: quantile(ordered, q) for q in PERCENTILES} if ordered else {}

    def rubric_bands(self, tally: RubricTally) -> dict[int, Decimal]:
        ordered = Counted(tally.totals)
        return {q: quantile(ordered, q) for q in PERCENTILES} if ordered else {}

    def weakest(self, limit: int = 12) -> list[IndicatorTally]:
        """The indicators with the lowest mean share of their maximum."""
        rows = [t for t in self.indicators.values() if t.max > 0]
        return sorted(rows, key=lambda t: (t.mean_percent, t.rubric, t.id))[:limit]

    def most_unmet(self, limit: int = 12) -> list[tuple[str, str, int]]:
        """(tier, condition title, applicants) of the official conditions most often
        unmet at the tier each applicant reaches for next, most often first."""
        ranked = sorted(self.unmet.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(tier, title, n) for (tier, title), n in ranked[:limit]]
