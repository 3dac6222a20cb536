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
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from assess.intake.places import place

Status = Literal["scored", "rejected", "failed", "pending"]
IssueKind = Literal["error", "file", "duplicate", "warning"]
STATUSES: tuple[Status, ...] = ("scored", "rejected", "failed", "pending")
HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")


# ---- one applicant -----------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One thing to send back to an applicant: where it is and what is wrong."""

    kind: IssueKind
    where: str  # "申报表.xlsx › 批量!D14", or the file
    field: str  # a field id, or ""
    message: str
    code: str = ""  # the problem's catalog key (e.g. intake.value.not_a_number), or ""


@dataclass(frozen=True)
class ClassScore:
    id: str
    title: str
    points: Decimal
    max: Decimal


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class IndicatorMark:
    """One indicator of one applicant, for the round's weakest-indicator table."""

    rubric: str
    id: str
    title: str
    points: Decimal
    max: Decimal
    status: str  # ok, unknown (not_assessed ones are not kept)


@dataclass(frozen=True)
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

    @property
    def where(self) -> str:
        return place(self.source, self.sheet, self.row)

    @property
    def score(self) -> Decimal | None:
        """The ranking score: points as % of the maximum over every rubric that awards
        points (conditions-only rubrics have a maximum of 0); None when none does."""
        scored = [line for line in self.lines if line.max > 0]
        if self.status != "scored" or not scored:
            return None
        total = sum((line.total for line in scored), Decimal(0))
        maximum = sum((line.max for line in scored), Decimal(0))
        return (total * HUNDRED / maximum).quantize(_CENT, rounding=ROUND_HALF_UP)

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
        )


# Indicator sums of several applicants, (rubric, indicator id) → [title, points, max, n,
# unknown]: what `Cohort.add_marks` takes instead of each row's marks (a batch's workers
# send these per chunk, which is much less to pickle than 60 marks per applicant).
MarkTally = dict[tuple[str, str], list[Any]]


# ---- the round ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """An applicant's place in the round: rank 1 is the best score (ties share a rank);
    the percentile is the share of scored applicants below it, counting ties as half."""

    rank: int
    percentile: Decimal


def standings(scores: Mapping[int, Decimal]) -> dict[int, Standing]:
    """Applicant index → standing, from index → score."""
    ordered = sorted(scores.values())
    n = len(ordered)
    out: dict[int, Standing] = {}
    if not n:
        return out
    for index, score in scores.items():
        below = bisect.bisect_left(ordered, score)
        equal = bisect.bisect_right(ordered, score) - below
        pct = (Decimal(below) + Decimal(equal) / 2) * HUNDRED / n
        out[index] = Standing(n - below - equal + 1, pct.quantize(_TENTH, rounding=ROUND_HALF_UP))
    return out
