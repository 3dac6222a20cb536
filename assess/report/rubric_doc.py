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

from assess.catalog import language, t
from assess.numbers import fmt
from assess.rubric import models as m
from assess.rubric.operators import ScoreModel, operator_for


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
    """The reference page in the language in force (the committed pages are Chinese)."""
    doc = _Doc(rubric)
    version = t("rubric.doc.version", id=rubric.id, version=rubric.version)
    # The Chinese page names the English title too; the English one keeps to English.
    subtitle = f"*{rubric.title.en}* — {version}" if language() == "zh" else version
    lines = [
        f"# {rubric.title}",
        "",
        subtitle,
        "",
        t("rubric.doc.document", document=str(rubric.document)),
        t("rubric.doc.issued_by", issued_by=str(rubric.issued_by)),
        t(
            "rubric.doc.period",
            start=rubric.effective_from,
            end=rubric.effective_to or t("rubric.doc.now"),
        ),
        t("rubric.doc.status", status=t(f"rubric.doc.status.{rubric.status}")),
        t("rubric.doc.edge", edge=t(f"rubric.doc.edge.{rubric.edge_rule}")),
    ]
    if rubric.pass_mark is not None:
        lines.append(t("rubric.doc.marks", max=fmt(rubric.max_total), mark=fmt(rubric.pass_mark)))
    for note in rubric.source_notes:
        lines.append(f"- {note}")
    lines.append("")
    if rubric.metrics:
        lines += [t("rubric.doc.metrics"), ""]
        for metric in rubric.metrics:
            lines.append(
                t("rubric.doc.metric", id=metric.id, title=str(metric.title), expr=str(metric.expr))
            )
        lines.append("")
    sep = t("operator.and_separator")
    for cls in rubric.classes:
        lines += [t("rubric.doc.class", title=str(cls.title), max=fmt(cls.max)), ""]
        for ind in rubric.indicators:
            if ind.class_ != cls.id:
                continue
            provisional = (ind.status or rubric.status) == "provisional"
            status = t("rubric.doc.provisional") if provisional else ""
            head = t(
                "rubric.doc.indicator",
                id=ind.id,
                title=str(ind.title),
                max=fmt(ind.max),
                status=status,
            )
            lines += [
                head,
                "",
                t("rubric.doc.source", source=str(ind.source)),
                "",
                str(ind.rationale),
                "",
            ]
            lines += list(doc.lines(ind.score))
            evidence = sep.join(str(e) for e in ind.evidence)
            lines += ["", t("rubric.doc.evidence", evidence=evidence), ""]
    if rubric.conditions:
        lines += [t("rubric.doc.conditions"), ""]
        for cond in rubric.conditions:
            provisional = (cond.status or rubric.status) == "provisional"
            status = t("rubric.doc.provisional") if provisional else ""
            group = t("rubric.doc.group", group=str(cond.group)) if cond.group else ""
            checks = sep.join(
                t("rubric.doc.when", label=str(c.label), when=str(c.when)) for c in cond.require
            )
            lines.append(
                t(
                    "rubric.doc.condition",
                    role=t(f"rubric.doc.role.{cond.role}"),
                    group=group,
                    title=str(cond.title),
                    status=status,
                    checks=checks,
                )
            )
        lines.append("")
    lines += [t("rubric.doc.pass"), ""]
    lines += list(_rule_lines(rubric.pass_rule, 0))
    return "\n".join(lines).rstrip() + "\n"


def _rule_lines(rule: m.Rule, depth: int) -> Iterator[str]:
    pad = "  " * depth + "- "
    if rule.all is not None or rule.any is not None:
        word = t("rubric.doc.rule.all" if rule.all is not None else "rubric.doc.rule.any")
        yield t("rubric.doc.rule.group", pad=pad, label=str(rule.label) if rule.label else word)
        for sub in rule.all or rule.any or []:
            yield from _rule_lines(sub, depth + 1)
    elif rule.not_ is not None:
        yield pad + t("rubric.doc.rule.not")
        yield from _rule_lines(rule.not_, depth + 1)
    elif rule.total_at_least is not None:
        yield pad + t("rubric.doc.rule.total", need=fmt(rule.total_at_least))
    elif rule.class_at_least is not None:
        yield pad + t("rubric.doc.rule.comma").join(
            f"{k} ≥ {fmt(v)}" for k, v in rule.class_at_least.items()
        )
    elif rule.condition is not None:
        yield pad + t("rubric.doc.rule.condition", id=rule.condition)
    elif rule.label:
        yield f"{pad}{rule.label}"
    else:
        yield pad + t("rubric.doc.rule.every", role=t(f"rubric.doc.role.{rule.conditions}"))


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
