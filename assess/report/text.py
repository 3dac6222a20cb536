"""Assessments on the terminal: per-indicator points, the figure used, the reason, what
the next band needs, and the improvement plan of a tier not yet passed."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from assess.catalog import t
from assess.numbers import fmt
from assess.report.words import (
    INDICATOR_STATUS,
    PASS_WORDS,
    SIZE_LABELS,
    explanation_lines,
    plan_lines,
    points_words,
    reference_words,
)
from assess.results import Assessment, ConditionResult

_STYLE = {
    "pass": "bold green",
    "fail": "bold red",
    "undetermined": "bold yellow",
    "platform_pending": "bold cyan",
}
_MARK = {True: ("✓", "green"), False: ("✗", "red"), None: ("?", "yellow")}


# A figure with its sign, digits, decimals, percent sign and unit is one token, and
# closing punctuation stays with what it closes: a line never splits "6,800 万元" (nor
# "6,800 10k yuan": the English units of `assess.fields` and the unit labels too).
_TOKEN = re.compile(
    r"(?:[-−+]?\d[\d,]*(?:\.\d+)?%?"
    r"(?: ?(?:万元|人|件|项|家|年|分|名|个|10k yuan|persons|items|years|points|partners))?"
    r"|[A-Za-z0-9_.\-/]+"
    r"|\s+"
    r"|.)"
    r"[，。）；：、」”’！？,.;:)\]]*"
)


def wrap(text: str, width: int | None, indent: str = "", hang: str = "") -> str:
    """`text` broken into lines of at most `width` terminal cells (CJK characters count
    two), between characters of Chinese text or at spaces, never inside a figure; the
    first line starts with `indent`, the others with `hang`.  No width: one line."""
    if width is None:
        return indent + text
    lines: list[str] = []
    for para in text.split("\n"):
        line, used = indent if not lines else hang, cell_len(indent if not lines else hang)
        start = len(line)
        for token in _TOKEN.findall(para):
            size = cell_len(token)
            if used + size > width and len(line) > start:
                lines.append(line.rstrip())
                line, used = hang, cell_len(hang)
                start = len(line)
                if token.isspace():
                    continue
            line += token
            used += size
        lines.append(line.rstrip())
    return "\n".join(lines)


def _para(text: str, width: int | None, indent: str = "", hang: str = "", style: str = "") -> Text:
    return Text(wrap(text, width, indent, hang), style=style, overflow="fold")


def _conditions(conds: Sequence[ConditionResult], width: int | None) -> list[Text]:
    out = []
    for c in conds:
        mark, style = _MARK[c.ok]
        line = _para(f"{c.title}  {c.reason}", width, f" {mark}  ", "    ")
        line.stylize(style, 1, 2)
        line.stylize("bold", 4, 4 + len(c.title))
        out.append(line)
    return out


def render(a: Assessment, width: int | None = None) -> Group:
    """One assessment, each paragraph wrapped to `width` cells (the panel's inside)."""
    label, style = PASS_WORDS[a.pass_status], _STYLE[a.pass_status]
    head = Text.assemble(
        (f"{a.rubric_title}", "bold"),
        f"  {a.rubric} v{a.rubric_version}",
        (t("report.text.provisional_rubric") if a.rubric_status == "provisional" else "", "yellow"),
    )
    size = (
        t("report.size_firm", size=SIZE_LABELS[a.size_class])
        if a.size_class is not None and a.size_class in SIZE_LABELS
        else t("label.no_size")
    )
    summary = Text.assemble(
        (t("report.text.verdict"), "bold"),
        (label, style),
        t("report.text.total", points=points_words(a.total, a.at_most, a.max)) if a.max else "",
        t("report.text.pass_mark", mark=fmt(a.pass_mark)) if a.pass_mark is not None else "",
        t("report.text.size", size=size),
        overflow="fold",
    )
    parts: list[object] = [head, summary]
    if a.reference is not None:
        parts.append(_para(reference_words(a), width, style="cyan"))
    if a.classes:
        parts.append(
            Text(
                "    ".join(
                    f"{c.title} {points_words(c.points, c.points + c.unknown_max, c.max)}"
                    + (f"（{c.maturity}）" if c.maturity else "")
                    for c in a.classes
                ),
                overflow="fold",
            )
        )
    if a.maturity:
        parts.append(Text.assemble((t("report.text.maturity"), "bold"), a.maturity))
    for ind in a.indicators:
        # One block per indicator rather than a table: Chinese text has no spaces to wrap
        # at, and table cells would cut the reasons short on a narrow terminal.
        line = Text.assemble(
            (f"{ind.id} ", "dim"),
            (ind.title, "bold"),
            "  " + t("report.text.points", points=points_words(ind.points, ind.at_most, ind.max)),
        )
        if ind.status != "ok":
            line.append(f"  [{INDICATOR_STATUS[ind.status]}]", style="yellow")
        if ind.provisional:
            line.append(t("report.text.provisional"), style="yellow")
        parts.append(line)
        parts.append(_para(ind.reason, width, "    ", "    "))
        if ind.next is not None:
            parts.append(_para(ind.next.text, width, "    → ", "      ", style="cyan"))
    if a.conditions:
        parts.append(Text(t("report.text.conditions"), style="bold"))
        parts.extend(_conditions(a.conditions, width))
    parts.append(Text(t("report.text.judgement"), style="bold"))
    for rule_line in explanation_lines(a.explanation):
        pad = rule_line[: len(rule_line) - len(rule_line.lstrip())]
        parts.append(_para(rule_line.lstrip(), width, pad, pad + "  "))
    for note in (*a.notes, *a.warnings):
        parts.append(_para(note, width, "⚠ ", "  ", style="yellow"))
    if a.plan is not None:
        parts.append(Text(t("report.text.plan"), style="bold"))
        for plan_line in plan_lines(a.plan):
            pad = plan_line[: len(plan_line) - len(plan_line.lstrip())]
            parts.append(_para(plan_line.lstrip(), width, pad, pad + "   "))
    return Group(*parts)  # type: ignore[arg-type]


def print_assessments(assessments: Sequence[Assessment], console: Console) -> None:
    if assessments:
        first = assessments[0]
        console.print(
            Text(t("report.text.source", firm=first.firm, source=first.source), style="bold")
        )
    for a in assessments:
        # The panel takes two cells of border and two of padding.
        console.print(Panel(render(a, max(console.width - 4, 20)), expand=True))
