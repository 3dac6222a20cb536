"""Which rubrics a firm is scored against — the same choice for `assess score` and every
applicant of `assess batch`: the rubrics named with --rubric, else the official ladder in
force for the firm's assessment year (or of the edition named with --standard) plus the
readiness rubric.  A review (复核: `--review`, or the firm's `review` field) takes each
tier's review rubric where the edition has one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assess.catalog import t
from assess.errors import UserError

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
        from assess.rubric.loader import get_rubric, standards

        if refs and standard is not None:
            raise UserError(t("rubric.selection.rubric_and_standard"))
        if refs and review:
            raise UserError(t("rubric.selection.review_and_rubric"))
        if standard is not None and standard not in standards():
            raise UserError(
                t(
                    "rubric.selection.no_standard",
                    standard=standard,
                    available="、".join(map(str, standards())),
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
            from assess.rubric.loader import default_rubrics

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
