"""The batch's record of each applicant and its place in the round.

A batch (`assess.batch`) turns every applicant into an `ApplicantRow`: small, immutable,
JSON-serialisable, and all that the summary workbook, results.jsonl's applicant block and
the cohort report need.  Assessments themselves are never kept: `assess.batch.stats.Cohort`
folds each row into running totals and the caller may then drop the row's indicator marks.
The reporters (`assess.batch.summary_xlsx`, `assess.batch.cohort`) read these records;
they do not define them.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from assess.firm import Firm
from assess.intake.places import place

Status = Literal["scored", "rejected", "failed", "pending"]
IssueKind = Literal["error", "file", "duplicate", "warning", "unread"]
STATUSES: tuple[Status, ...] = ("scored", "rejected", "failed", "pending")
HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")

# The official ladder, bottom up, and the verdicts within a tier, worst (fail) first:
# what the round's ranking reads (`ApplicantRow.rank_key`).
LADDER_TIERS = ("innovative", "srdi", "little_giant")
READINESS = "readiness"
TIER_RANK = {tier: i for i, tier in enumerate(LADDER_TIERS, start=1)}
VERDICTS = ("fail", "undetermined", "platform_pending", "pass")
VERDICT_RANK = {verdict: i for i, verdict in enumerate(VERDICTS)}
# Gates that keep a firm out of the round altogether: not an SME, or not compliant.
BARRING_GATES = ("sme", "compliance")
# The fields the summary shows of every applicant, in this order: where it is, what it does.
INFO_FIELDS = ("province", "city", "district", "industry", "main_product", "niche_market")
SHARED_INFO = 4  # of INFO_FIELDS, the first ones many applicants share (`rowstore`)
NO_SCORE = Decimal(-1)  # below every score rate: no rubric with points
RankKey = tuple[Decimal, ...]


# ---- one applicant -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Issue:
    """One thing to send back to an applicant: where it is and what is wrong."""

    kind: IssueKind
    where: str  # "申报表.xlsx › 批量!D14", or the file
    field: str  # a field id, or ""
    message: str
    code: str = ""  # the problem's catalog key (e.g. intake.value.not_a_number), or ""


@dataclass(frozen=True, slots=True)
class ClassScore:
    id: str
    title: str
    points: Decimal
    max: Decimal


@dataclass(frozen=True, slots=True)
class RubricLine:
    """What one rubric made of one applicant: the verdict, the total and each class."""

    rubric: str
    title: str
    version: str
    tier: str
    pass_status: str  # pass, fail, undetermined
    total: Decimal
    max: Decimal
    classes: tuple[ClassScore, ...] = ()


@dataclass(frozen=True, slots=True)
class IndicatorMark:
    """One indicator of one applicant, for the round's weakest-indicator table."""

    rubric: str
    id: str
    title: str
    points: Decimal
    max: Decimal
    status: str  # ok, unknown (not_assessed ones are not kept)


@dataclass(frozen=True, slots=True)
class ApplicantRow:
    """One applicant of a round, whatever became of it."""

    index: int  # 1-based, in input order
    key: str  # stable identity across runs: the file (absolute), sheet and row
    source: str  # the file as the user named it
    sheet: str | None = None
    row: int | None = None
    name: str = ""
    credit_code: str = ""
    status: Status = "scored"
    size_class: str | None = None
    lines: tuple[RubricLine, ...] = ()
    warnings: tuple[str, ...] = ()
    issues: tuple[Issue, ...] = ()
    error: str = ""  # for a failed one: what went wrong, located
    report: str = ""  # the applicant's PDF, relative to the output folder
    input_hash: str = ""
    marks: tuple[IndicatorMark, ...] = field(default=(), compare=False)
    # Why, from the scoring (`assess.batch.verdicts.facts`): the official conditions the
    # next tier up still misses (worded, that tier in `target`), the eligibility gates
    # failed (condition ids: sme, compliance) and the blank fields that could change a
    # verdict (field ids; `cells` gives each one's column in its 批量 sheet, or "").
    target: str = ""
    unmet: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()  # the titles of `target`'s failed conditions, for counting
    ineligible: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    cells: tuple[str, ...] = ()
    # Where and what: the firm's own `INFO_FIELDS` values ("" when blank) and the columns
    # of its 批量 sheet that name no field, (header, text), carried through unchanged.
    info: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def where(self) -> str:
        return place(self.source, self.sheet, self.row)

    @property
    def score(self) -> Decimal | None:
        """Points as % of the maximum over every rubric that awards points
        (conditions-only rubrics have a maximum of 0); None when none does: how an
        agency's own rubric set (`-r`) ranks."""
        return self._rate(lambda line: True)

    @property
    def points_rate(self) -> Decimal | None:
        """Points as % of the maximum over the scored rubrics other than the advisory
        readiness one: under the official ladder, the tiers that award points."""
        return self._rate(lambda line: line.tier != READINESS)

    @property
    def readiness_rate(self) -> Decimal | None:
        return self._rate(lambda line: line.tier == READINESS)

    def rate(self, official: bool) -> Decimal | None:
        """The score rate the round shows: the official tiers' points under the official
        ladder, every rubric's points for an agency's own set."""
        return self.points_rate if official else self.score

    def _rate(self, keep: Callable[[RubricLine], bool]) -> Decimal | None:
        scored = [line for line in self.lines if line.max > 0 and keep(line)]
        if self.status != "scored" or not scored:
            return None
        total = sum((line.total for line in scored), Decimal(0))
        maximum = sum((line.max for line in scored), Decimal(0))
        return (total * HUNDRED / maximum).quantize(_CENT, rounding=ROUND_HALF_UP)

    def ladder_place(self) -> tuple[str, str]:
        """(the highest official tier passed, "" for none; the verdict at the tier above
        it, "" at the top): see `ladder_place`."""
        return ladder_place({line.tier: line.pass_status for line in self.lines})

    def rank_key(self, official: bool) -> RankKey:
        """What the round orders by, best highest (see `rank_round`)."""
        if not official:
            return (self.score if self.score is not None else NO_SCORE,)
        passed, above = self.ladder_place()
        points, readiness = self.points_rate, self.readiness_rate
        return (
            Decimal(TIER_RANK.get(passed, 0)),
            # the verdict a rung up; past the top rung, above every verdict
            Decimal(len(VERDICTS) if passed == LADDER_TIERS[-1] else VERDICT_RANK.get(above, 0)),
            points if points is not None else NO_SCORE,
            readiness if readiness is not None else NO_SCORE,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (Decimals as strings, so nothing is rounded)."""
        return {
            "index": self.index,
            "key": self.key,
            "source": self.source,
            "sheet": self.sheet,
            "row": self.row,
            "name": self.name,
            "credit_code": self.credit_code,
            "status": self.status,
            "size_class": self.size_class,
            "lines": [
                [
                    ln.rubric,
                    ln.title,
                    ln.version,
                    ln.tier,
                    ln.pass_status,
                    str(ln.total),
                    str(ln.max),
                    [[c.id, c.title, str(c.points), str(c.max)] for c in ln.classes],
                ]
                for ln in self.lines
            ],
            "warnings": list(self.warnings),
            "issues": [[i.kind, i.where, i.field, i.message, i.code] for i in self.issues],
            "error": self.error,
            "report": self.report,
            "input_hash": self.input_hash,
            "marks": [
                [k.rubric, k.id, k.title, str(k.points), str(k.max), k.status] for k in self.marks
            ],
            "target": self.target,
            "unmet": list(self.unmet),
            "failed": list(self.failed),
            "ineligible": list(self.ineligible),
            "missing": list(self.missing),
            "cells": list(self.cells),
            "info": list(self.info),
            "extra": [list(pair) for pair in self.extra],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApplicantRow:
        return cls(
            index=int(data["index"]),
            key=data["key"],
            source=data["source"],
            sheet=data["sheet"],
            row=data["row"],
            name=data["name"],
            credit_code=data["credit_code"],
            status=data["status"],
            size_class=data["size_class"],
            lines=tuple(
                RubricLine(
                    r,
                    t,
                    v,
                    tier,
                    p,
                    Decimal(total),
                    Decimal(mx),
                    tuple(
                        ClassScore(ci, ct, Decimal(cp), Decimal(cm)) for ci, ct, cp, cm in classes
                    ),
                )
                for r, t, v, tier, p, total, mx, classes in data["lines"]
            ),
            warnings=tuple(data["warnings"]),
            # Four items in records written before issues carried their code.
            issues=tuple(Issue(*item) for item in data["issues"]),
            error=data["error"],
            report=data["report"],
            input_hash=data["input_hash"],
            marks=tuple(
                IndicatorMark(r, i, t, Decimal(p), Decimal(m), s)
                for r, i, t, p, m, s in data["marks"]
            ),
            # Absent from the lines of earlier versions: read as nothing known.
            target=data.get("target", ""),
            unmet=tuple(data.get("unmet", ())),
            failed=tuple(data.get("failed", ())),
            ineligible=tuple(data.get("ineligible", ())),
            missing=tuple(data.get("missing", ())),
            cells=tuple(data.get("cells", ())),
            info=tuple(data.get("info", ())),
            extra=tuple((str(h), str(v)) for h, v in data.get("extra", ())),
        )


# Indicator sums of several applicants, (rubric, indicator id) → [title, points, max, n,
# unknown]: what `Cohort.add_marks` takes instead of each row's marks (a batch's workers
# send these per chunk, which is much less to pickle than 60 marks per applicant).
MarkTally = dict[tuple[str, str], list[Any]]


def ladder_place(verdicts: Mapping[str, str]) -> tuple[str, str]:
    """(the highest official tier passed, "" for none; the verdict at the tier above it,
    "" when the top tier is passed), from tier → verdict: where an applicant stands on
    the ladder, and how near the next rung is (待平台评分, 待定 or 未通过)."""
    passed = ""
    for tier in LADDER_TIERS:
        if verdicts.get(tier) == "pass":
            passed = tier
    above = LADDER_TIERS.index(passed) + 1 if passed else 0
    return passed, verdicts.get(LADDER_TIERS[above], "") if above < len(LADDER_TIERS) else ""


def firm_info(firm: Firm) -> tuple[str, ...]:
    """The firm's `INFO_FIELDS` as text, "" for a blank one (an industry is its id)."""
    out = []
    for field_id in INFO_FIELDS:
        value = firm.get(field_id)
        out.append("" if value is None else str(value))
    return tuple(out) if any(out) else ()


# ---- the round ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Standing:
    """An applicant's place in the round: rank 1 is the best score (ties share a rank);
    the percentile is the share of scored applicants below it, counting ties as half."""

    rank: int
    percentile: Decimal


class Standings(Mapping[int, Standing]):
    """Applicant index → standing, from index → score (or any key that orders, best
    highest: a `RankKey`, or `rank_round`'s packed form of it).  Each standing is worked
    out when it is asked for, from the sorted scores: a round of 100,000 keeps one score
    per applicant, not a `Standing` each."""

    def __init__(self, scores: Mapping[int, Any]):
        self._scores = scores
        self._ordered = sorted(scores.values())

    def __getitem__(self, index: int) -> Standing:
        score = self._scores[index]
        ordered, n = self._ordered, len(self._ordered)
        below = bisect.bisect_left(ordered, score)
        equal = bisect.bisect_right(ordered, score) - below
        pct = (Decimal(below) + Decimal(equal) / 2) * HUNDRED / n
        return Standing(n - below - equal + 1, pct.quantize(_TENTH, rounding=ROUND_HALF_UP))

    def __contains__(self, index: object) -> bool:
        return index in self._scores

    def __iter__(self) -> Iterator[int]:
        return iter(self._scores)

    def __len__(self) -> int:
        return len(self._scores)


def standings(scores: Mapping[int, Any]) -> Standings:
    """Applicant index → standing, from index → score (`Standings`)."""
    return Standings(scores)


@dataclass(frozen=True)
class Ranking:
    """The round ranked (`rank_round`): each ranked applicant's standing, and why the
    other scored ones are not ranked."""

    standing: Mapping[int, Standing]
    barred: frozenset[int] = frozenset()  # not an SME, or failing the compliance gate
    superseded: Mapping[int, int] = field(default_factory=dict)  # index → the one ranked
    official: bool = True

    @property
    def size(self) -> int:
        return len(self.standing)


def rank_round(rows: Iterable[ApplicantRow], official: bool) -> Ranking:
    """Rank the scored applicants of a round.

    Under the official ladder (`official`): the highest official tier not failed
    (小巨人 > 专精特新 > 创新型), then the verdict there (通过 > 待平台评分 > 待定), then
    the score rate of the rubrics that award points, then the readiness score rate.  With
    an agency's own rubric set: the score rate over its rubrics.  Either way a firm that
    is not an SME or fails the compliance gate is not ranked (不符合申报条件), and of
    several submissions sharing a credit code only the last one scored is ranked.  Ties
    share a rank."""
    last: dict[str, int] = {}  # credit code → the last one scored with it
    dropped: dict[int, str] = {}  # index → its credit code, a later one scored with it
    barred: set[int] = set()
    keys: dict[int, int] = {}
    for row in rows:
        if row.status != "scored":
            continue
        index = row.index
        code = row.credit_code.strip().upper()
        if code:
            before = last.get(code)
            if before is not None and before > index:  # rows not in input order
                dropped[index] = code
                continue
            if before is not None:
                dropped[before] = code
                keys.pop(before, None)
                barred.discard(before)
            last[code] = index
        if row.ineligible:
            barred.add(index)
        else:
            keys[index] = packed(row.rank_key(official))
    superseded = {index: last[code] for index, code in sorted(dropped.items())}
    return Ranking(standings(keys), frozenset(barred), superseded, official)


_RADIX = 1 << 64
_CENTS = Decimal(100)


def packed(key: RankKey) -> int:
    """A `RankKey` as one int that orders the same (and is equal for equal keys): its
    parts are whole numbers or rates rounded to the cent (`ApplicantRow._rate`), so each
    is an exact count of cents, well inside a 64-bit digit of the int.  A round of
    100,000 keeps one int per applicant instead of a tuple of Decimals."""
    out = 0
    for part in key:
        out = out * _RADIX + int(part * _CENTS) + (_RADIX >> 1)
    return out


def ranked_order(
    rows: Sequence[ApplicantRow],
    ranking: Ranking,
    visit: Callable[[ApplicantRow], object] | None = None,
) -> Iterator[ApplicantRow]:
    """Rows as the summary lists them: the ranked ones by rank (then input order), then
    the scored ones not ranked (不符合申报条件, then 重复), then the rest by status.  The
    order is worked out first, then each row is taken from `rows` when its turn comes:
    rows kept on disk (`rowstore.RowStore`) are never all in memory.  `visit`, when
    given, sees each row in input order while the order is worked out."""
    later = {"scored": 0, "failed": 1, "rejected": 2, "pending": 3}
    standing, barred, superseded = ranking.standing, ranking.barred, ranking.superseded

    def key(pos: int, r: ApplicantRow) -> int:
        # (group, rank, index, position) packed in one int, each part below 2**40: a
        # round of 100,000 sorts one int each rather than a tuple of four
        s = standing.get(r.index)
        if s is not None:
            group, rank = 0, s.rank
        elif r.index in barred:
            group, rank = 1, 0
        elif r.index in superseded:
            group, rank = 2, 0
        else:
            group, rank = 3 + later.get(r.status, 4), 0
        return (((group << 40 | rank) << 40 | r.index) << 40) | pos

    if visit is None:
        order = sorted(key(pos, r) for pos, r in enumerate(rows))
    else:
        order = []
        for pos, r in enumerate(rows):
            visit(r)
            order.append(key(pos, r))
        order.sort()
    mask = (1 << 40) - 1
    return in_order(rows, [k & mask for k in order])


def in_order(rows: Sequence[ApplicantRow], positions: Iterable[int]) -> Iterator[ApplicantRow]:
    """`rows[pos]` for each of `positions`, read in windows when `rows` can
    (`rowstore.RowStore.in_order`: rows kept on disk)."""
    read = getattr(rows, "in_order", None)
    if read is not None:
        return read(positions)  # type: ignore[no-any-return]
    return (rows[pos] for pos in positions)
