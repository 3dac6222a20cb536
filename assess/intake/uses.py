"""Which rubric parts read which field: the template's 用于评分 column and evidence list.

`field_uses` walks each rubric's indicators (by their kind of score), local blocks and
conditions, resolving metrics down to the fields they read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assess.fields import FIELDS_BY_ID


@dataclass
class FieldUse:
    """What a field is used for: the indicators and conditions, and their evidence."""

    used_by: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    def add(self, title: str, evidence: Iterable[str]) -> None:
        if title not in self.used_by:
            self.used_by.append(title)
        for item in evidence:
            if item not in self.evidence:
                self.evidence.append(item)


def field_uses(rubrics: Sequence[Any]) -> dict[str, FieldUse]:
    """Field id → the indicators/conditions that read it and the evidence they ask for."""
    from assess.rubric import models as m

    uses: dict[str, FieldUse] = {}

    def resolve(names: Iterable[str], metrics: dict[str, Any]) -> set[str]:
        out: set[str] = set()
        todo, seen = list(names), set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in metrics:
                todo.extend(metrics[name].expr.names)
            elif name == "size_class":
                out |= {"industry", "employees", "revenue", "total_assets"}
            elif name in FIELDS_BY_ID:
                out.add(name)
        return out

    def score_names(score: Any) -> set[str]:
        if isinstance(score, m.BandsScore | m.SteppedScore):
            return {score.metric}
        if isinstance(score, m.BestOfScore):
            return {o.metric for o in score.options}
        if isinstance(score, m.TiersScore):
            return set().union(*(t.when.names for t in score.tiers))
        if isinstance(score, m.ItemsScore):
            return set().union(*(i.when.names for i in score.items))
        if isinstance(score, m.EnumScore):
            return {score.field}
        if isinstance(score, m.LocalScore):
            return {n for n in (score.selector, score.override) if n}
        return set()

    def note(ids: set[str], title: str, evidence: Iterable[str]) -> None:
        items = list(evidence)
        for fid in ids:
            uses.setdefault(fid, FieldUse()).add(title, items)

    for rubric in rubrics:
        metrics = {x.id: x for x in rubric.metrics}
        for ind in rubric.indicators:
            # Titles without ids: the same indicator in several rubrics is listed once.
            note(resolve(score_names(ind.score), metrics), ind.title.zh, ind.evidence)
            if isinstance(ind.score, m.LocalScore):
                for block in ind.score.blocks:
                    for part in block.parts:
                        note(
                            resolve(score_names(part.score), metrics),
                            f"{block.province}：{part.title.zh}",
                            part.evidence or ind.evidence,
                        )
        for cond in rubric.conditions:
            names = set().union(*(c.when.names for c in cond.require))
            note(resolve(names, metrics), cond.title.zh, cond.evidence)
    return uses
