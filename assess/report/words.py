"""Results in words: what the engine and the plan decide, as the reports say it.

The engine keeps the pass rule's judgement as `RuleLine`s and the plan as a `TierPlan`;
the text, JSON and HTML reporters all word them here, so the same result reads the same
everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from assess.numbers import fmt
from assess.plan import TierPlan
from assess.results import Assessment, RuleLine

# A verdict as the reports say it.
PASS_WORDS = {
    "pass": "通过",
    "fail": "未通过",
    "undetermined": "待定（数据不全）",
    "platform_pending": "其余条件均已满足，待平台发展评价得分",
}


def reference_words(a: Assessment) -> str:
    """The reference figure beside a verdict waiting for the platform's score."""
    r = a.reference
    if r is None:
        return ""
    mark = f"（及格线 {fmt(r.pass_mark)}）" if r.pass_mark is not None else ""
    return (
        f"参考：按 2022 年专精特新评分表（{r.rubric}，不是平台发展评价的计算方法）"
        f"得 {points_words(r.total, r.at_most, r.max)} 分{mark}"
    )


def points_words(low: Decimal, high: Decimal, maximum: Decimal | None = None) -> str:
    """ "62 / 100", or "至少 62 分，最多 75 / 100" when blanks leave a range."""
    top = f" / {fmt(maximum)}" if maximum else ""
    if high == low:
        return f"{fmt(low)}{top}"
    return f"至少 {fmt(low)}，最多 {fmt(high)}{top}"


ROLE_LABEL = {
    "eligibility": "资格条件",
    "basic": "基本条件",
    "requirement": "认定条件",
    "direct": "直通条件",
}
_GROUP = {"all": "以下全部满足", "any": "以下任一满足"}


def mark(ok: bool | None) -> str:
    return "✓" if ok is True else "✗" if ok is False else "?"


def rule_text(line: RuleLine) -> str:
    """One judged step without its mark: "研发投入 0 ≥ 12", "以下全部满足"."""
    if line.kind in ("total", "class"):
        head = line.label or "总分"
        return f"{head} {fmt(line.have)} ≥ {fmt(line.need)}"
    if line.kind == "conditions" and not line.label:
        if line.role == "direct":
            return "任一直通条件"
        return f"全部{ROLE_LABEL.get(line.role, '')}"
    return line.label or _GROUP.get(line.kind, "")


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
        return f"按此途径准备：{p.route}" if p.route else ""
    need = f"，要求 ≥ {fmt(p.target_total)}" if p.target_total is not None else ""
    short = ""
    if not p.reachable:
        met = p.target_total is None or p.total_after >= p.target_total
        short = "，但分类最低分仍未全部达到" if met else "，仍不足"
    return (
        f"当前总分 {fmt(p.total)}{need}；完成下列 {len(p.steps)} 项后可达 "
        f"{fmt(p.total_after)} 分{short}。"
    )


def plan_lines(p: TierPlan) -> Iterator[str]:
    """The plan for one tier as plain lines: summary, must-fix conditions, steps, data to
    fill in, other routes and notes."""
    summary = plan_summary(p)
    if summary:
        yield summary
    if p.scored and p.route and p.alternatives:
        yield f"途径：{p.route}"
    for c in p.classes:
        if c.minimum is not None:
            yield f"  {c.title} {fmt(c.points)} → {fmt(c.after)}（≥ {fmt(c.minimum)}）"
    if p.must_fix:
        yield "必须解决的条件（分数无法替代）："
        for f in p.must_fix:
            yield f"  {'?' if f.unknown else '✗'} {f.summary}"
            for option in f.options:
                if option.advice:
                    yield f"    建议：{option.advice}"
    if p.steps:
        yield "提升步骤：" if p.reachable else "可争取的全部提升（仍不足以达到要求）："
        for n, st in enumerate(p.steps, 1):
            yield (
                f"  {n}. {st.title} {fmt(st.points_from)} → {fmt(st.points_to)} 分"
                f"（+{fmt(st.gain)}）：{st.text}"
            )
    elif p.scored and not p.must_fix:
        yield "评分已满足要求。"
    if p.missing:
        yield "先补齐数据："
        for i in p.missing:
            yield f"  ? {i.title}（满分 {fmt(i.max)}）：{i.reason}"
    for alt in p.alternatives:
        yield f"另一途径 — {alt.label}：" + "；".join(f.summary for f in alt.must_fix)
    for note in p.notes:
        yield f"! {note}"
