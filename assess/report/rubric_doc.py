"""A rubric, readable: indicators, bands and points, conditions and the pass rule.

Each score block documents itself through its operator (`Operator.document`).

`markdown(rubric)` is the reference page committed as docs/rubrics/<id>.md; `render`
shows the same on a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.markdown import Markdown

from assess.numbers import fmt
from assess.rubric import models as m
from assess.rubric.operators import ScoreModel, operator_for

_EDGE = {
    "better_band": "数值恰在两档交界时取较优档（“以上”“以下”均含本数）",
    "lower_band": "数值恰在两档交界时取数值较低的一档",
    "upper_band": "数值恰在两档交界时取数值较高的一档",
}
_STATUS = {
    "official": "正式",
    "provisional": "暂定（部分数值未核实）",
    "advisory": "自评参考（非官方认定标准）",
}
_ROLE = {
    "eligibility": "资格条件",
    "basic": "基本条件",
    "requirement": "认定条件",
    "direct": "直通条件",
}


class _Doc:
    """The reference page's view of a rubric, for operators documenting their blocks."""

    def __init__(self, rubric: m.Rubric):
        self.rubric = rubric

    @property
    def edge_rule(self) -> str:
        return self.rubric.edge_rule

    def unit(self, name: str) -> str:
        return self.rubric.unit_of(name)

    def lines(self, score: ScoreModel) -> Iterator[str]:
        yield from operator_for(score).document(score, self)


def markdown(rubric: m.Rubric) -> str:
    doc = _Doc(rubric)
    lines = [
        f"# {rubric.title.zh}",
        "",
        f"*{rubric.title.en}* — `{rubric.id}` 版本 {rubric.version}",
        "",
        f"- 文件：{rubric.document}",
        f"- 发布：{rubric.issued_by}",
        f"- 适用期间：{rubric.effective_from} 至 {rubric.effective_to or '今'}",
        f"- 状态：{_STATUS[rubric.status]}",
        f"- 边界规则：{_EDGE[rubric.edge_rule]}",
    ]
    if rubric.pass_mark is not None:
        lines.append(f"- 满分 {fmt(rubric.max_total)}，及格线 {fmt(rubric.pass_mark)}")
    for note in rubric.source_notes:
        lines.append(f"- {note}")
    lines.append("")
    if rubric.metrics:
        lines += ["## 计算指标", ""]
        for metric in rubric.metrics:
            lines.append(f"- `{metric.id}` {metric.title.zh}：`{metric.expr}`")
        lines.append("")
    for cls in rubric.classes:
        lines += [f"## {cls.title.zh}（{fmt(cls.max)} 分）", ""]
        for ind in rubric.indicators:
            if ind.class_ != cls.id:
                continue
            status = "（暂定）" if (ind.status or rubric.status) == "provisional" else ""
            lines += [
                f"### {ind.id} {ind.title.zh}（{fmt(ind.max)} 分）{status}",
                "",
                f"来源：{ind.source}",
                "",
                ind.rationale,
                "",
            ]
            lines += list(doc.lines(ind.score))
            lines += ["", "佐证材料：" + "；".join(ind.evidence), ""]
    if rubric.conditions:
        lines += ["## 条件", ""]
        for cond in rubric.conditions:
            status = "（暂定）" if (cond.status or rubric.status) == "provisional" else ""
            group = f"〔{cond.group}〕" if cond.group else ""
            checks = "；".join(f"{c.label}（`{c.when}`）" for c in cond.require)
            lines.append(f"- **{_ROLE[cond.role]}**{group} {cond.title.zh}{status}：{checks}")
        lines.append("")
    lines += ["## 通过规则", ""]
    lines += list(_rule_lines(rubric.pass_rule, 0))
    return "\n".join(lines).rstrip() + "\n"


def _rule_lines(rule: m.Rule, depth: int) -> Iterator[str]:
    pad = "  " * depth + "- "
    if rule.all is not None or rule.any is not None:
        word = "全部满足" if rule.all is not None else "任一满足"
        yield f"{pad}{rule.label or word}：" if rule.label else f"{pad}{word}："
        for sub in rule.all or rule.any or []:
            yield from _rule_lines(sub, depth + 1)
    elif rule.not_ is not None:
        yield f"{pad}不满足："
        yield from _rule_lines(rule.not_, depth + 1)
    elif rule.total_at_least is not None:
        yield f"{pad}总分 ≥ {fmt(rule.total_at_least)}"
    elif rule.class_at_least is not None:
        yield pad + "，".join(f"{k} ≥ {fmt(v)}" for k, v in rule.class_at_least.items())
    elif rule.condition is not None:
        yield f"{pad}条件 `{rule.condition}`"
    else:
        yield f"{pad}{rule.label or '全部' + _ROLE.get(rule.conditions or '', '')}"


def render(rubric: m.Rubric, console: Console) -> None:
    console.print(Markdown(markdown(rubric)))


def write_docs(folder: Path) -> list[Path]:
    """docs/rubrics/<id>.md for every bundled rubric (run: python -m assess.report.rubric_doc)."""
    from assess.atomic import write_text
    from assess.rubric.loader import builtin_rubrics

    written = []
    for rubric_id, rubric in sorted(builtin_rubrics().items()):
        path = folder / f"{rubric_id}.md"
        write_text(path, markdown(rubric))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_docs(Path(__file__).resolve().parents[2] / "docs" / "rubrics"):
        print(written_path)
