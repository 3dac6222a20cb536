"""Results in words: what the engine and the plan decide, as the reports say it.

The engine keeps the pass rule's judgement as `RuleLine`s and the plan as a `TierPlan`;
the text, JSON and HTML reporters all word them here, so the same result reads the same
everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from functools import cache

from assess.catalog import catalog, language, t, table
from assess.fields import FIELDS, FieldType
from assess.numbers import fmt
from assess.plan import TierPlan
from assess.results import Assessment, RuleLine


class LabelTable(Mapping[str, str]):
    """A label table of the catalog (`label.tier`, `label.size`, ...), read in the language
    current when it is looked up, not when this module was imported."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        # Per language, and per catalog (a test may load another): `table` walks the
        # whole catalog, and a report looks labels up a few dozen times.
        self._tables: dict[tuple[str, int], dict[str, str]] = {}

    def _table(self) -> dict[str, str]:
        key = (language(), id(catalog()))
        found = self._tables.get(key)
        if found is None:
            found = self._tables[key] = table(self.prefix, key[0])
        return found

    def __getitem__(self, key: str) -> str:
        return self._table()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


# A verdict as the terminal and the plan say it (the cover has its own short words).
PASS_WORDS = LabelTable("report.pass")
TIER_LABELS = LabelTable("label.tier")
TIER_SHORT = LabelTable("label.tier_short")
SIZE_LABELS = LabelTable("label.size")
RUBRIC_STATUS = LabelTable("label.rubric_status")
VERDICT_WORDS = LabelTable("label.pass")
INDICATOR_STATUS = LabelTable("label.indicator")


def reference_words(a: Assessment) -> str:
    """The reference figure beside a verdict waiting for the platform's score."""
    r = a.reference
    if r is None:
        return ""
    mark = t("report.text.pass_mark", mark=fmt(r.pass_mark)) if r.pass_mark is not None else ""
    points = points_words(r.total, r.at_most, r.max)
    return t("report.reference", rubric=r.rubric, points=points, mark=mark)


def points_words(low: Decimal, high: Decimal, maximum: Decimal | None = None) -> str:
    """ "62 / 100", or "至少 62，最多 75 / 100" when blanks leave a range."""
    top = f" / {fmt(maximum)}" if maximum else ""
    if high == low:
        return f"{fmt(low)}{top}"
    return t("report.points.range", low=fmt(low), high=fmt(high), top=top)


ROLE_LABEL = LabelTable("report.role")


def mark(ok: bool | None) -> str:
    return "✓" if ok is True else "✗" if ok is False else "?"


def rule_text(line: RuleLine) -> str:
    """One judged step without its mark: "研发投入 0 ≥ 12", "以下全部满足"."""
    if line.kind in ("total", "class"):
        head = line.label or t("report.rule.total")
        return f"{head} {fmt(line.have)} ≥ {fmt(line.need)}"
    if line.kind == "conditions" and not line.label:
        if line.role == "direct":
            return t("report.rule.any_direct")
        return t("report.rule.all_role", role=ROLE_LABEL.get(line.role, ""))
    if line.label:
        return line.label
    if line.kind == "all":
        return t("report.rule.all")
    if line.kind == "any":
        return t("report.rule.any")
    return ""


def explanation_lines(lines: Iterable[RuleLine]) -> list[str]:
    """The judgement as indented lines, each marked ✓ ✗ ?: the terminal's and JSON's."""
    out = []
    for line in lines:
        pad = "  " * line.depth
        text = rule_text(line)
        out.append(f"{pad}{mark(line.ok)} {text}" if line.marked else f"{pad}{text}")
    return out


def plan_summary(p: TierPlan) -> str:
    """ "当前总分 44，要求 ≥ 60；完成下列 3 项后可达 62 分。" (as the report's plan says it)."""
    if not p.scored:
        return t("plan.summary.route", route=p.route) if p.route else ""
    need = t("plan.summary.need", mark=fmt(p.target_total)) if p.target_total is not None else ""
    short = ""
    if not p.reachable:
        met = p.target_total is None or p.total_after >= p.target_total
        short = t("plan.summary.classes_short") if met else t("plan.summary.short")
    return t(
        "plan.summary.scored",
        total=fmt(p.total),
        need=need,
        count=len(p.steps),
        after=fmt(p.total_after),
        short=short,
    )


def fill_heading(p: TierPlan) -> str:
    """The heading of the data to fill in: first, with what it can add, when filling the
    blanks alone can add points or change the verdict."""
    if not p.fill_first:
        return t("plan.fill")
    if p.fill_gain > 0:
        return t("plan.fill_first", gain=fmt(p.fill_gain))
    return t("plan.fill_first_verdict")


def _fill_lines(p: TierPlan) -> Iterator[str]:
    yield fill_heading(p)
    for i in p.missing:
        yield "  ? " + t("plan.fill_item", title=i.title, max=fmt(i.max), reason=i.reason)


def plan_lines(p: TierPlan) -> Iterator[str]:
    """The plan for one tier as plain lines: summary, the blanks to fill first when they
    alone can change the outcome, must-fix conditions, steps, other data to fill in, other
    routes and notes."""
    summary = plan_summary(p)
    if summary:
        yield summary
    if p.scored and p.route and p.alternatives:
        yield t("plan.route", route=p.route)
    for c in p.classes:
        if c.minimum is not None:
            yield "  " + t(
                "plan.class_line",
                title=c.title,
                now=fmt(c.points),
                after=fmt(c.after),
                minimum=fmt(c.minimum),
            )
    if p.missing and p.fill_first:
        yield from _fill_lines(p)
    if p.must_fix:
        yield t("plan.must_fix")
        for f in p.must_fix:
            yield f"  {'?' if f.unknown else '✗'} {f.summary}"
            for option in f.options:
                if option.advice:
                    yield "    " + t("plan.advice", advice=option.advice)
    if p.steps:
        yield t("plan.steps") if p.reachable else t("plan.steps_short")
        for n, st in enumerate(p.steps, 1):
            yield "  " + t(
                "plan.step",
                n=n,
                title=st.title,
                now=fmt(st.points_from),
                after=fmt(st.points_to),
                gain=fmt(st.gain),
                text=st.text,
            )
    elif p.scored and not p.must_fix:
        yield t("plan.score_met")
    if p.missing and not p.fill_first:
        yield from _fill_lines(p)
    sep = t("plan.separator")
    for alt in p.alternatives:
        yield t(
            "plan.alternative", label=alt.label, needs=sep.join(f.summary for f in alt.must_fix)
        )
    for note in p.notes:
        yield f"! {note}"


# ---- a rubric's own notes in plain words --------------------------------------------------


@cache
def _plain_terms(lang: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """Every field id and every choice value, as the questionnaire words them in `lang`.
    In English prose a bare word may be a choice value too ("other", "national"): only
    the terms a sentence cannot hold by chance (with an underscore) are replaced there."""
    terms: dict[str, str] = {f.id: f.label for f in FIELDS}
    for f in FIELDS:  # a value several fields share reads as in the first (the main) one
        if f.type is FieldType.ENUM:
            for value, _ in f.choices:
                if value not in terms:
                    terms[value] = f"“{f.choice_label(value)}”"
    if lang == "en":
        terms = {k: v for k, v in terms.items() if "_" in k}
    names = sorted(terms, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![A-Za-z0-9_-])(" + "|".join(map(re.escape, names)) + r")(?![A-Za-z0-9_])"
    )
    return pattern, terms


_RATIO = re.compile(r"(?<![A-Za-z0-9_])([a-z][a-z0-9_]*) / ([a-z][a-z0-9_]*)(?![A-Za-z0-9_])")


def plain(text: str) -> str:
    """A rubric's note as a finance officer reads it: field ids and choice values become
    the questionnaire's labels, a ratio of two fields reads "研发费用 ÷ 营业收入", and the
    rubric file's own terms (rationale, group, --review) their Chinese names.  Notes are
    written once, for the reference page and the report; the report words them plainly."""
    pattern, terms = _plain_terms(language())
    text = _RATIO.sub(
        lambda m: (
            f"{terms.get(m[1], m[1])} ÷ {terms.get(m[2], m[2])}"
            if m[1] in terms and m[2] in terms
            else m[0]
        ),
        text,
    )
    text = pattern.sub(lambda m: terms[m[1]], text)
    text = _WORD_RATIO.sub(" ÷ ", text)
    for term, key in _FILE_TERMS:
        text = text.replace(term, t(key))
    return text


# "上年度营业收入 / 大前年营业收入": a division written between two names.
_WORD_RATIO = re.compile(r"(?<=[\u4e00-\u9fff）)]) / (?=[\u4e00-\u9fff（(])")

_FILE_TERMS = (
    ("--review 或", "report.term.review_or"),
    ("--review", "report.term.review"),
    ("rationale", "report.term.rationale"),
    ("group", "report.term.group"),
)
