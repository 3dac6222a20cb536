"""Which rubrics a firm is scored against — the same choice for `assess score` and every
applicant of `assess batch`: the rubrics named with --rubric, else the official ladder in
force for the firm's assessment year (or of the edition named with --standard) plus the
readiness rubric.  A review (复核: `--review`, or the firm's `review` field) takes each
tier's review rubric where the edition has one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assess.catalog import t
from assess.errors import RubricError, UserError
from assess.rubric.loader import builtin_rubrics

if TYPE_CHECKING:
    from assess.firm import Firm
    from assess.rubric.models import Rubric


def no_rubric_in_force(year: object) -> str:
    """Why a firm has no rubric: none in force for its assessment year, and what to give."""
    return t("rubric.selection.none_in_force", year=year)


# The table whose points are shown beside a verdict waiting for the platform's score.
REFERENCE_RUBRIC = "miit-2022-srdi"


def reference_rubric() -> Rubric | None:
    from assess.rubric.loader import builtin_rubrics

    return builtin_rubrics().get(REFERENCE_RUBRIC)


class RubricPlan:
    """The rubrics for each firm (see the module docstring).  Raises UserError for options
    that contradict each other, an edition that is not bundled or a rubric that does not
    load.  Rubric files are keyed by their absolute path (`custom`, with a hash of their
    content in `fingerprints`, so a batch notices an edited file on --resume); bundled ones
    by id."""

    def __init__(self, refs: Sequence[str], standard: int | None, review: bool = False):
        from assess.rubric.loader import get_rubric

        if refs and standard is not None:
            raise UserError(t("rubric.selection.rubric_and_standard"))
        if refs and review:
            raise UserError(t("rubric.selection.review_and_rubric"))
        if standard is not None and standard not in standards():
            raise UserError(
                t(
                    "rubric.selection.no_standard",
                    standard=standard,
                    available=t("operator.list_separator").join(map(str, standards())),
                )
            )
        self.standard = standard
        self.review = review
        self.custom: dict[str, Rubric] = {}
        self.fingerprints: dict[str, str] = {}
        self.fixed: tuple[str, ...] | None = None
        self._loaded: dict[str, Rubric] = {}
        if refs:
            fixed = []
            for ref in refs:
                rubric = get_rubric(ref)  # a RubricError is the user's: exit 2
                path = Path(ref)
                if ref.endswith((".yaml", ".yml")) and path.is_file():
                    key = str(path.resolve())
                    self.custom[key] = rubric
                    self.fingerprints[key] = hashlib.sha256(path.read_bytes()).hexdigest()
                    fixed.append(key)
                else:
                    fixed.append(rubric.id)
                self._loaded[fixed[-1]] = rubric
            self.fixed = tuple(fixed)
        self._by_year: dict[object, tuple[str, ...]] = {}

    def for_firm(self, firm: Firm) -> tuple[str, ...]:
        """The keys of the firm's rubrics (ids, or paths of rubric files); () when no
        bundled rubric is in force for its assessment year."""
        if self.fixed is not None:
            return self.fixed
        # default_rubrics reads only the firm's assessment_year and review: one choice each.
        year = firm.get("assessment_year")
        review = self.review or firm.get("review") is True
        key = (type(year).__name__, year, review)
        chosen = self._by_year.get(key)
        if chosen is None:
            rubrics = default_rubrics(firm, self.standard, review=review)
            chosen = tuple(r.id for r in rubrics)
            self._loaded.update((r.id, r) for r in rubrics)
            self._by_year[key] = chosen
        return chosen

    def rubrics_for(self, firm: Firm) -> list[Rubric]:
        """The firm's rubrics themselves."""
        return [self._loaded[key] for key in self.for_firm(firm)]

    def describe(self) -> str:
        if self.fixed is not None:
            return ", ".join(Path(r).name if r in self.custom else r for r in self.fixed)
        edition = (
            t("rubric.selection.edition", year=self.standard)
            if self.standard
            else t("rubric.selection.edition_by_year")
        )
        review = t("rubric.selection.review") if self.review else ""
        return t("rubric.selection.describe", edition=edition, review=review)


# ---- the official ladder ------------------------------------------------------------------

LADDER = ("innovative", "srdi", "little_giant")
REVIEW_SUFFIX = "-review"  # a tier's review (复核) rubric: `<id>-review`


def in_force(rubric: Rubric, day: dt.date) -> bool:
    return rubric.effective_from <= day and (
        rubric.effective_to is None or day <= rubric.effective_to
    )


def assessment_day(firm: Firm, today: dt.date | None = None) -> dt.date:
    """The day whose rules apply: today for this year's assessment (or none given), else
    the last day of the assessment year."""
    today = today or dt.date.today()
    year = firm.get("assessment_year")
    return today if not isinstance(year, int) or year >= today.year else dt.date(year, 12, 31)


def standards() -> list[int]:
    return sorted({r.effective_from.year for r in builtin_rubrics().values() if r.tier in LADDER})


def default_rubrics(
    firm: Firm,
    standard: int | None = None,
    today: dt.date | None = None,
    review: bool | None = None,
) -> list[Rubric]:
    """The official ladder for the firm, plus the readiness rubric.

    Without `standard`: the ladder in force on the assessment day (new applications since
    2026-04-01 follow the 2026 measures).  A tier whose criteria have lapsed with no
    successor published keeps its last ones: 2号文 第三十条 keeps the 2022 创新型 standard
    (63号 附件1) until the merged 科技和创新型 standard appears.  With `standard` (2022,
    2026): that edition's ladder whatever the date — titles granted under 2022 are still
    reviewed under it.

    `review` (default: the firm's `review` field) scores a title holder's review (复核):
    each tier's `<id>-review` rubric when the edition has one (the 2026 text's review
    relaxations), else the edition's own rubric (the 2022 standard reviews by itself).
    """
    if review is None:
        review = firm.get("review") is True
    everything = builtin_rubrics()
    rubrics = [r for r in everything.values() if not r.id.endswith(REVIEW_SUFFIX)]
    if standard is not None:
        ladder = [r for r in rubrics if r.tier in LADDER and r.effective_from.year == standard]
        if not ladder:
            raise RubricError(
                t(
                    "rubric.selection.no_standard",
                    standard=standard,
                    available=t("operator.list_separator").join(map(str, standards())),
                )
            )
        day = None
    else:
        day = assessment_day(firm, today)
        ladder = [r for r in rubrics if r.tier in LADDER and r.effective_from <= day]
    chosen = []
    for tier in LADDER:
        same = [r for r in ladder if r.tier == tier]
        if day is not None:
            # In force on the day; else the latest lapsed one kept in use (第三十条).
            same = [r for r in same if in_force(r, day)] or [
                r for r in same if r.effective_to is not None
            ]
        if same:
            rubric = max(same, key=lambda r: r.effective_from)
            if review:
                rubric = everything.get(rubric.id + REVIEW_SUFFIX, rubric)
            chosen.append(rubric)
    chosen += [r for r in rubrics if r.tier == "readiness"]
    return chosen
