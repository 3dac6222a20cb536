"""The agency's previous round (`assess batch … --previous OLD_OUTDIR`): each firm's
verdict, score rate and class levels then, matched to this round by credit code.

The old round is read only through `outputs.read_results` (one mapping per applicant,
whatever the layout of its results.jsonl), and only the keys every version has written
are relied on: the applicant's name, credit code and status, and per score record its
rubric, tier, verdict (`pass_status`, or `passed` in the oldest files), total, max and
classes.  A file that does not give them is refused with one line naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from assess.batch.options import RESULTS
from assess.batch.records import (
    _CENT,
    HUNDRED,
    LADDER_TIERS,
    READINESS,
    TIER_RANK,
    VERDICT_RANK,
    ApplicantRow,
    ladder_place,
)
from assess.catalog import t
from assess.errors import UserError

OPEN = ("undetermined", "platform_pending")  # verdicts a blank figure can still change


@dataclass(frozen=True)
class Then:
    """One firm in the previous round."""

    name: str
    credit_code: str
    place: tuple[str, str]  # as `records.ladder_place`
    rate: Decimal | None  # points over the rubrics that award points, readiness aside
    levels: Mapping[tuple[str, str], int]  # (rubric, class) → level reached (`level_of`)


@dataclass(frozen=True)
class Change:
    """How one firm of this round compares with the previous one."""

    then: Then
    now: tuple[str, str]  # the place reached in this round
    moved: int  # +1 up the ladder, -1 down, 0 same place
    delta: Decimal | None  # score rate now minus then, when both are known
    levels: tuple[tuple[str, str, str], ...]  # (class title, level then, level now)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _place(records: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    verdicts = {}
    for r in records:
        verdict = r.get("pass_status") or ("pass" if r.get("passed") else "fail")
        verdicts[str(r.get("tier") or "")] = str(verdict)
    return ladder_place(verdicts)


def _rate(records: Sequence[Mapping[str, Any]]) -> Decimal | None:
    total = maximum = Decimal(0)
    for r in records:
        top = _decimal(r.get("max"))
        points = _decimal(r.get("total"))
        if r.get("tier") == READINESS or top is None or points is None or top <= 0:
            continue
        total += points
        maximum += top
    if maximum <= 0:
        return None
    return (total * HUNDRED / maximum).quantize(_CENT, rounding=ROUND_HALF_UP)


def _then(item: Mapping[str, Any]) -> Then | None:
    applicant = item["applicant"]
    code = str(applicant.get("credit_code") or "").strip().upper()
    if not code or applicant.get("status") != "scored":
        return None
    records = [r for r in item.get("results") or () if isinstance(r, Mapping)]
    levels = {}
    for r in records:
        rubric = str(r.get("rubric"))
        for c in r.get("classes") or ():
            if not isinstance(c, Mapping):
                continue
            level = level_of(rubric, _decimal(c.get("points")), _decimal(c.get("max")))
            if level is not None:
                levels[(rubric, str(c.get("id")))] = level
    return Then(str(applicant.get("name") or ""), code, _place(records), _rate(records), levels)


class PreviousRound:
    """The previous round's scored firms by credit code (the last one of a code wins,
    as in the round's ranking)."""

    def __init__(self, folder: Path, firms: Mapping[str, Then]):
        self.folder = folder
        self.firms = firms

    @classmethod
    def read(cls, folder: Path) -> PreviousRound:
        """Raises UserError (one line) for a folder without a readable results.jsonl."""
        from assess.batch.outputs import read_results

        path = folder / RESULTS
        if not path.is_file():
            raise UserError(t("batch.previous.missing", path=path))
        firms: dict[str, Then] = {}
        read = 0
        try:
            for item in read_results(path):
                read += 1
                then = _then(item)
                if then is not None:
                    firms[then.credit_code] = then
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else type(exc).__name__
            if isinstance(exc, json.JSONDecodeError):
                reason = t("batch.previous.not_json", count=read)
            raise UserError(t("batch.previous.unreadable", path=path, reason=reason)) from None
        return cls(folder, firms)

    def match(self, rows: Iterable[ApplicantRow], official: bool) -> dict[int, Change]:
        """Index → its change, for the scored applicants of this round found in the
        previous one."""
        out: dict[int, Change] = {}
        for row in rows:
            then = self.firms.get(row.credit_code.strip().upper())
            if then is None or row.status != "scored":
                continue
            now_place = row.ladder_place()
            moved = _compare(now_place, then.place)
            now_rate = row.rate(official)
            delta = None
            if now_rate is not None and then.rate is not None:
                delta = now_rate - then.rate
            levels = []
            for line in row.lines:
                for c in line.classes:
                    level = level_of(line.rubric, c.points, c.max)
                    old = then.levels.get((line.rubric, c.id))
                    if level is not None and old is not None and old != level:
                        names = level_names(line.rubric)
                        levels.append((c.title, names[old], names[level]))
            out[row.index] = Change(then, now_place, moved, delta, tuple(levels))
        return out

    def new_and_gone(self, rows: Iterable[ApplicantRow]) -> tuple[list[ApplicantRow], list[Then]]:
        """This round's scored firms the previous one did not have, and the previous
        round's firms missing from this one."""
        now = {}
        for row in rows:
            code = row.credit_code.strip().upper()
            if code and row.status == "scored":
                now[code] = row
        new = [row for code, row in now.items() if code not in self.firms]
        gone = [then for code, then in self.firms.items() if code not in now]
        return new, gone


def level_of(rubric_id: str, points: Decimal | None, maximum: Decimal | None) -> int | None:
    """The maturity level (起步 0, 成长 1 …) a class's points reach under a bundled
    rubric's levels, as the engine finds it; None without levels or figures.  Compared
    as numbers, so two rounds worded in different languages still compare."""
    from assess.rubric.loader import builtin_rubrics

    rubric = builtin_rubrics().get(rubric_id)
    if rubric is None or not rubric.maturity or points is None or not maximum:
        return None
    share = points * 100 / maximum
    reached = [i for i, lv in enumerate(rubric.maturity) if share >= lv.min_percent]
    return reached[-1] if reached else None


def level_names(rubric_id: str) -> list[str]:
    from assess.rubric.loader import builtin_rubrics

    return [str(lv.label) for lv in builtin_rubrics()[rubric_id].maturity]


def _compare(now: tuple[str, str], then: tuple[str, str]) -> int:
    def rank(place: tuple[str, str]) -> tuple[int, int]:
        passed, above = place
        top = passed == LADDER_TIERS[-1]
        return (TIER_RANK.get(passed, 0), len(VERDICT_RANK) if top else VERDICT_RANK.get(above, 0))

    a, b = rank(now), rank(then)
    return (a > b) - (a < b)


def word_place(place: tuple[str, str]) -> str:
    """专精特新; 专精特新；小巨人待定; 未达任一梯度; 未达任一梯度；创新型待平台评分."""
    passed, above = place
    text = t("summary.why.place", tier=t(f"label.tier_short.{passed}")) if passed else ""
    text = text or t("summary.why.no_tier")
    if above in OPEN:
        index = LADDER_TIERS.index(passed) + 1 if passed else 0
        tier = t(f"label.tier_short.{LADDER_TIERS[index]}")
        text = t("summary.why.next", place=text, tier=tier, verdict=t(f"label.pass.{above}"))
    return text


def word_change(change: Change) -> list[str]:
    """The change as short phrases: 创新型 · 通过 → 专精特新 · 通过；得分率 +4.5；
    研发投入 成长 → 成熟.  Nothing when nothing moved."""
    out = []
    before, after = word_place(change.then.place), word_place(change.now)
    if change.moved and before != after:
        out.append(f"{before} → {after}")
    if change.delta is not None and change.delta != 0:
        sign = "+" if change.delta > 0 else ""
        out.append(t("summary.why.delta", delta=f"{sign}{_fmt(change.delta)}"))
    out += [f"{title} {old} → {new}" for title, old, new in change.levels]
    return out


def _fmt(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
