"""Why an applicant stands where it does, as the round's summary says it: the official
conditions the next tier up still misses, the eligibility gates that keep it out of the
round, and the blank figures that could still change a verdict.

Read from the applicant's assessments while they exist (in the worker that scored it),
kept on its `ApplicantRow`; the summary workbook and cohort.pdf only word them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assess.batch.previous import OPEN
from assess.batch.records import BARRING_GATES, LADDER_TIERS, ladder_place
from assess.catalog import t

if TYPE_CHECKING:
    from assess.results import Assessment, ConditionResult


def _short(condition: ConditionResult) -> str:
    """A failed condition as a short phrase: what it asks and the firm's figure, without
    the engine's "不满足：" in front."""
    template = t("operator.condition.failed", labels="\x00", figure="\x01")
    prefix = template.split("\x00", 1)[0]
    return condition.reason.removeprefix(prefix).strip() or condition.title


def unmet(assessment: Assessment) -> list[str]:
    """What keeps `assessment` from passing: each failed condition (alternative routes
    such as 直通 excepted) and a total or class score below its mark."""
    out = [_short(c) for c in assessment.conditions if c.ok is False and c.role != "direct"]
    mark = assessment.pass_mark
    if assessment.max > 0 and mark is not None and assessment.at_most < mark:
        out.append(t("summary.why.points", have=_num(assessment.total), need=_num(mark)))
    for c in assessment.classes:
        if c.minimum is not None and c.points + c.unknown_max < c.minimum:
            out.append(
                t("summary.why.class", title=c.title, have=_num(c.points), need=_num(c.minimum))
            )
    return out


def _num(value: Any) -> str:
    text = f"{value.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def facts(assessments: Sequence[Assessment]) -> dict[str, Any]:
    """The `ApplicantRow` fields about why (see the module docstring): `target` (the
    tier above the highest one passed), `unmet`, `failed`, `ineligible`, `missing`."""
    official = sorted(
        (a for a in assessments if a.tier in LADDER_TIERS),
        key=lambda a: LADDER_TIERS.index(a.tier),
    )
    ineligible: dict[str, None] = {}
    for a in assessments:
        for c in a.conditions:
            if c.id in BARRING_GATES and c.ok is False:
                ineligible[c.id] = None
    passed, _ = ladder_place({a.tier: a.pass_status for a in official})
    above = LADDER_TIERS[LADDER_TIERS.index(passed) + 1 :] if passed else LADDER_TIERS
    target = next((a for a in official if above and a.tier == above[0]), None)
    missing: dict[str, None] = {}
    for a in official:
        if a.pass_status not in OPEN:
            continue
        for c in a.conditions:
            if c.ok is None:
                missing.update(dict.fromkeys(c.missing))
        for ind in a.indicators:
            if ind.status == "unknown":
                missing.update(dict.fromkeys(ind.missing))
    return {
        "target": target.tier if target is not None else "",
        "unmet": tuple(dict.fromkeys(unmet(target))) if target is not None else (),
        "failed": tuple(
            dict.fromkeys(
                c.title for c in target.conditions if c.ok is False and c.role != "direct"
            )
        )
        if target is not None
        else (),
        "ineligible": tuple(ineligible),
        "missing": tuple(missing),
    }
