"""Assessments on the terminal: per-indicator points, the figure used, the reason, what
the next band needs, and the improvement plan of a tier not yet passed."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from assess.numbers import fmt
from assess.report.words import (
    PASS_WORDS,
    explanation_lines,
    plan_lines,
    points_words,
    reference_words,
)
from assess.results import Assessment, ConditionResult
from assess.rubric.size import SIZE_LABELS

_STYLE = {
    "pass": "bold green",
    "fail": "bold red",
    "undetermined": "bold yellow",
    "platform_pending": "bold cyan",
}
_MARK = {True: ("✓", "green"), False: ("✗", "red"), None: ("?", "yellow")}
_STATUS = {"ok": "", "unknown": "数据缺失", "not_assessed": "未评估"}


def _conditions(conds: Sequence[ConditionResult]) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 1), expand=True)
    table.add_column(width=2)
    table.add_column(ratio=1)
    for c in conds:
        mark, style = _MARK[c.ok]
        table.add_row(Text(mark, style=style), f"[bold]{escape(c.title)}[/]  {escape(c.reason)}")
    return table


def render(a: Assessment) -> Group:
    label, style = PASS_WORDS[a.pass_status], _STYLE[a.pass_status]
    head = Text.assemble(
        (f"{a.rubric_title}", "bold"),
        f"  {a.rubric} v{a.rubric_version}",
        ("  [暂定标准]" if a.rubric_status == "provisional" else "", "yellow"),
    )
    summary = Text.assemble(
        ("结论：", "bold"),
        (label, style),
        f"    总分 {points_words(a.total, a.at_most, a.max)}" if a.max else "",
        f"（及格线 {fmt(a.pass_mark)}）" if a.pass_mark is not None else "",
        f"    企业规模：{SIZE_LABELS.get(a.size_class or '', '未知')}",
    )
    parts: list[object] = [head, summary]
    if a.reference is not None:
        parts.append(Text(reference_words(a), style="cyan", overflow="fold"))
    if a.classes:
        parts.append(
            Text(
                "    ".join(
                    f"{c.title} {points_words(c.points, c.points + c.unknown_max, c.max)}"
                    + (f"（{c.maturity}）" if c.maturity else "")
                    for c in a.classes
                )
            )
        )
    if a.maturity:
        parts.append(Text.assemble(("整体成熟度：", "bold"), a.maturity))
    for ind in a.indicators:
        # One block per indicator rather than a table: Chinese text has no spaces to wrap
        # at, and table cells would cut the reasons short on a narrow terminal.
        line = Text.assemble(
            (f"{ind.id} ", "dim"),
            (ind.title, "bold"),
            f"  {points_words(ind.points, ind.at_most, ind.max)} 分",
        )
        if ind.status != "ok":
            line.append(f"  [{_STATUS[ind.status]}]", style="yellow")
        if ind.provisional:
            line.append("  (暂定)", style="yellow")
        parts.append(line)
        parts.append(Text(f"    {ind.reason}", overflow="fold"))
        if ind.next is not None:
            parts.append(Text(f"    → {ind.next.text}", style="cyan", overflow="fold"))
    if a.conditions:
        parts.append(Text("条件", style="bold"))
        parts.append(_conditions(a.conditions))
    parts.append(Text("判定过程", style="bold"))
    parts.append(Text("\n".join(explanation_lines(a.explanation))))
    for note in (*a.notes, *a.warnings):
        parts.append(Text(f"⚠ {note}", style="yellow"))
    if a.plan is not None:
        parts.append(Text("提升计划", style="bold"))
        for plan_line in plan_lines(a.plan):
            parts.append(Text(plan_line, overflow="fold"))
    return Group(*parts)  # type: ignore[arg-type]


def print_assessments(assessments: Sequence[Assessment], console: Console) -> None:
    if assessments:
        console.print(Text(f"{assessments[0].firm}（{assessments[0].source}）", style="bold"))
    for a in assessments:
        console.print(Panel(render(a), expand=True))
