"""evaluate(rubric, firm) -> Assessment: pure, exact, and explained.

The engine imports neither report nor cli.  It never raises on missing or odd data: an
indicator it cannot decide is `unknown` with its reason and 0 points, and the assessment
says it is incomplete.  All arithmetic is on `fractions.Fraction`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Any

from assess.fields import FIELDS_BY_ID, FieldType
from assess.intake.firm import Firm
from assess.numbers import fmt, fmt_unit, to_decimal
from assess.results import (
    Assessment,
    ClassResult,
    ConditionResult,
    IndicatorResult,
    NextStep,
    PassStatus,
)
from assess.rubric import models as m
from assess.rubric.expr import Expr, Result, Unknown
from assess.rubric.loader import load_size_standard
from assess.rubric.size import SIZE_LABELS, classify

_FIELD_UNITS = {FieldType.MONEY: "wan_yuan", FieldType.PERCENT: "percent"}


@dataclass(frozen=True)
class _Outcome:
    points: Decimal
    status: str
    reason: str
    figure: str = ""
    value: Fraction | None = None
    band: str = ""
    next: NextStep | None = None
    advice: str = ""
    missing: tuple[str, ...] = ()
    parts: tuple[IndicatorResult, ...] = ()
    provisional: bool = False  # the figures used come from a provisional source


class _Context:
    """The firm's values and computed metrics for one rubric; lives for one evaluation."""

    def __init__(self, rubric: m.Rubric, firm: Firm):
        self.rubric = rubric
        self.firm = firm
        self.metrics = {x.id: x for x in rubric.metrics}
        self.env: dict[str, Any] = {}
        for name in rubric.inputs:
            raw = firm.get(name)
            self.env[name] = (
                Fraction(raw)
                if isinstance(raw, Decimal | int) and not isinstance(raw, bool)
                else raw
            )
        self.size_class: str | None = None
        self.size_reason = ""
        if rubric.size_standard is not None:
            standard = load_size_standard(rubric.size_standard)
            figures = {k: self.env.get(k) for k in ("employees", "revenue", "total_assets")}
            industry = self.env.get("industry")
            sized = classify(standard, industry if isinstance(industry, str) else None, figures)
            self.size_class, self.size_reason = sized.size_class, sized.reason
            self.env["size_class"] = (
                sized.size_class
                if sized.size_class is not None
                else Unknown((sized.reason,), sized.missing)
            )
        for metric in rubric.metrics:
            self.env[metric.id] = metric.expr.evaluate(self.env, self.describe)

    def describe(self, name: str) -> str:
        if name in self.metrics:
            return self.metrics[name].title.zh
        spec = FIELDS_BY_ID.get(name)
        return f"{spec.label} ({name})" if spec else name

    def label(self, name: str) -> str:
        if name in self.metrics:
            return self.metrics[name].title.zh
        spec = FIELDS_BY_ID.get(name)
        return spec.label if spec else name

    def unit(self, name: str) -> str:
        if name in self.metrics:
            return self.metrics[name].unit
        spec = FIELDS_BY_ID.get(name)
        if spec is None:
            return "number"
        return _FIELD_UNITS.get(spec.type, "number")

    def eval(self, expr: Expr) -> Result:
        return expr.evaluate(self.env, self.describe)

    def number(self, name: str) -> Fraction | Unknown:
        value = self.env.get(name)
        if value is None:
            return Unknown((f"缺少数据：{self.describe(name)}",), (name,))
        if isinstance(value, Unknown | Fraction):
            return value
        return Unknown((f"{self.describe(name)} 不是数值",))

    def show(self, name: str) -> str:
        """`上年度研发费用 420 万元` for a field; a metric with its inputs."""
        value = self.env.get(name)
        if name == "size_class":
            return f"企业规模 {SIZE_LABELS.get(str(value), '未知')}"
        if isinstance(value, Unknown) or value is None:
            return f"{self.label(name)} 未知"
        if isinstance(value, bool):
            return f"{self.label(name)}：{'是' if value else '否'}"
        if isinstance(value, str):
            spec = FIELDS_BY_ID.get(name)
            return f"{self.label(name)}：{spec.choice_label(value) if spec else value}"
        return f"{self.label(name)} {fmt_unit(value, self.unit(name))}"

    def inputs_of(self, name: str) -> list[str]:
        """The fields a metric is computed from, in order of first use."""
        if name not in self.metrics:
            return [name]
        out: list[str] = []
        for n in sorted(self.metrics[name].expr.names):
            for leaf in self.inputs_of(n):
                if leaf not in out:
                    out.append(leaf)
        return out

    def figure(self, name: str) -> str:
        value = self.env.get(name)
        head = fmt_unit(value, self.unit(name)) if isinstance(value, Fraction) else "未知"
        if name not in self.metrics:
            return head
        parts = "，".join(self.show(x) for x in self.inputs_of(name))
        return f"{head}（{parts}）"


# ---- scoring operators: one function each, dispatched by a table -----------------------


def _band_matches(band: m.Band, value: Fraction) -> bool:
    lo, hi = band.lo, band.hi
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def band_for(score: m.BandsScore, edge: str, value: Fraction) -> m.Band:
    """The band a value falls in; on a shared edge the edge rule picks one."""
    hits = [b for b in score.bands if _band_matches(b, value)]
    if len(hits) == 1:
        return hits[0]
    # On a shared edge: the edge rule picks one of the two bands.
    if edge == "better_band":
        return max(hits, key=lambda b: b.points)
    lower = min(hits, key=lambda b: b.min if b.min is not None else Decimal("-Infinity"))
    upper = max(hits, key=lambda b: b.min if b.min is not None else Decimal("-Infinity"))
    return lower if edge == "lower_band" else upper


def band_label(
    band: m.Band, unit: str, score: m.BandsScore | None = None, edge: str = "better_band"
) -> str:
    """ "≥ 5%", "< 1%", "3%–5%": one-sided labels say whether the edge itself belongs."""
    if band.label:
        return band.label
    lo = None if band.min is None else fmt_unit(band.min, unit)
    hi = None if band.max is None else fmt_unit(band.max, unit)
    if lo and hi:
        return f"{lo}–{hi}"

    def owns(bound: Decimal) -> bool:
        return score is None or band_for(score, edge, Fraction(bound)) is band

    if lo and band.min is not None:
        return f"{'≥' if owns(band.min) else '>'} {lo}"
    if hi and band.max is not None:
        return f"{'≤' if owns(band.max) else '<'} {hi}"
    return "任意值"


def solve_lever(
    ctx: _Context, metric: str, target: Fraction
) -> tuple[str, Fraction, Fraction] | None:
    """The lever value that brings `metric` to `target`, when the metric is linear in it."""
    lever = ctx.metrics[metric].lever if metric in ctx.metrics else metric
    if lever is None:
        return None
    start = ctx.env.get(lever)
    if not isinstance(start, Fraction):
        return None
    if lever == metric:
        return lever, start, target

    chain = _metric_chain(ctx.rubric, metric)

    def at(x: Fraction) -> Fraction | None:
        env = dict(ctx.env)
        env[lever] = x
        for mm in chain:
            env[mm.id] = mm.expr.evaluate(env, ctx.describe)
        v = env[metric]
        return v if isinstance(v, Fraction) else None

    current = ctx.env.get(metric)
    f0 = current if isinstance(current, Fraction) else None
    f1, f2 = at(start + 1), at(start + 2)
    if f0 is None or f1 is None or f2 is None or f1 == f0 or (f2 - f1) != (f1 - f0):
        return None
    return lever, start, start + (target - f0) / (f1 - f0)


def scoring_context(rubric: m.Rubric, firm: Firm) -> _Context:
    """The firm's values and computed metrics for one rubric, for `solve_lever`."""
    return _Context(rubric, firm)


def _metric_chain(rubric: m.Rubric, metric: str) -> tuple[m.Metric, ...]:
    """The metrics `metric` is computed from, itself last, in declaration order."""
    by_id = {x.id: x for x in rubric.metrics}
    needed: set[str] = set()

    def visit(name: str) -> None:
        if name in by_id and name not in needed:
            needed.add(name)
            for dep in by_id[name].expr.names:
                visit(dep)

    visit(metric)
    return tuple(x for x in rubric.metrics if x.id in needed)


def _bands_next(
    ctx: _Context,
    score: m.BandsScore,
    edge: str,
    name: str,
    title: str,
    value: Fraction,
    points: Decimal,
) -> NextStep | None:
    """The nearest band worth more than `points`, and what reaching it takes."""
    better = [b for b in score.bands if b.points > points]
    if not better:
        return None
    nxt = min(better, key=lambda b: b.points)
    bound = nxt.min if score.direction == "higher" else nxt.max
    if bound is None:
        return None
    target = Fraction(bound)
    inclusive = band_for(score, edge, target) is nxt
    unit = ctx.unit(name)
    word = (
        ("达到" if inclusive else "超过")
        if score.direction == "higher"
        else ("降到" if inclusive else "降到低于")
    )
    gain = nxt.points - points
    text = (
        f"{title} {fmt_unit(value, unit)} → {word} {fmt_unit(target, unit)} 可再得 {fmt(gain)} 分"
    )
    lever = lever_from = lever_to = None
    solved = solve_lever(ctx, name, target)
    if solved is not None:
        lever, start, goal = solved
        if not inclusive:
            goal_text = f"略{'高' if goal > start else '低'}于 {fmt_unit(goal, ctx.unit(lever))}"
        else:
            goal_text = fmt_unit(goal, ctx.unit(lever))
        delta = goal - start
        sign = "+" if delta > 0 else "−"
        text += (
            f"（{ctx.label(lever)}由 {fmt_unit(start, ctx.unit(lever))} 调整到 "
            f"{goal_text}，{sign}{fmt_unit(abs(delta), ctx.unit(lever))}）"
        )
        lever_from, lever_to = to_decimal(start), to_decimal(goal)
    return NextStep(
        gain,
        band_label(nxt, unit, score, edge),
        text,
        to_decimal(target),
        lever,
        lever_from,
        lever_to,
    )


def _score_bands(ctx: _Context, ind_title: str, score: m.BandsScore) -> _Outcome:
    value = ctx.number(score.metric)
    if isinstance(value, Unknown):
        return _Outcome(Decimal(0), "unknown", value.reason, missing=value.missing)
    edge = score.edge or ctx.rubric.edge_rule
    band = band_for(score, edge, value)
    unit = ctx.unit(score.metric)
    label = band_label(band, unit, score, edge)
    figure = ctx.figure(score.metric)
    nxt = _bands_next(ctx, score, edge, score.metric, ctx.label(score.metric), value, band.points)
    reason = f"{ctx.label(score.metric)} = {figure}，处于「{label}」档，得 {fmt(band.points)} 分"
    return _Outcome(band.points, "ok", reason, figure, value, label, nxt, band.advice)


def _score_best_of(ctx: _Context, ind_title: str, score: m.BestOfScore) -> _Outcome:
    outcomes = [_score_bands(ctx, ind_title, option) for option in score.options]
    known = [o for o in outcomes if o.status == "ok"]
    unknown = [o for o in outcomes if o.status != "ok"]
    best = max(known, key=lambda o: o.points, default=None)
    if best is None or (unknown and best.points < score.max_points):
        missing = tuple(dict.fromkeys(x for o in unknown for x in o.missing))
        reason = "；".join(o.reason for o in unknown)
        if best is not None:
            reason += f"（已知一项得 {fmt(best.points)} 分，另一项可能更高）"
        return _Outcome(Decimal(0), "unknown", reason, missing=missing)
    # The next step: the cheapest among the options that would lift the indicator.
    steps = []
    for option, o in zip(score.options, outcomes, strict=True):
        if o.value is not None:
            edge = option.edge or ctx.rubric.edge_rule
            step = _bands_next(
                ctx, option, edge, option.metric, ctx.label(option.metric), o.value, best.points
            )
            if step is not None:
                steps.append(step)
    steps.sort(
        key=lambda s: (
            (s.lever_to - s.lever_from)
            if s.lever_to is not None and s.lever_from is not None
            else Decimal("Infinity")
        )
    )
    reason = "；".join(o.reason for o in outcomes) + f"。取较高者 {fmt(best.points)} 分"
    return replace(
        best,
        reason=reason,
        next=steps[0] if steps else None,
        figure="；".join(o.figure for o in outcomes),
    )


def _score_tiers(ctx: _Context, ind_title: str, score: m.TiersScore) -> _Outcome:
    unknown: Unknown | None = None
    for i, tier in enumerate(score.tiers):
        ok = ctx.eval(tier.when)
        if isinstance(ok, Unknown):
            unknown = ok if unknown is None else unknown | ok
            continue
        if ok is True:
            if unknown is not None:
                return _Outcome(
                    Decimal(0),
                    "unknown",
                    unknown.reason + "（可能达到更高档）",
                    missing=unknown.missing,
                )
            figure = _names_figure(ctx, tier.when.names)
            nxt = _tier_next(score.tiers[:i], tier.points)
            return _Outcome(
                tier.points,
                "ok",
                f"{figure}，符合「{tier.label}」，得 {fmt(tier.points)} 分",
                figure,
                band=tier.label,
                next=nxt,
                advice=tier.advice,
            )
    if unknown is not None:
        return _Outcome(Decimal(0), "unknown", unknown.reason, missing=unknown.missing)
    names = frozenset().union(*(t.when.names for t in score.tiers))
    figure = _names_figure(ctx, names)
    other = score.otherwise
    return _Outcome(
        other.points,
        "ok",
        f"{figure}，{other.label}，得 {fmt(other.points)} 分",
        figure,
        band=other.label,
        next=_tier_next(score.tiers, other.points),
        advice=other.advice,
    )


def _tier_next(better: list[m.Tier], points: Decimal) -> NextStep | None:
    above = [t for t in better if t.points > points]
    if not above:
        return None
    nxt = min(above, key=lambda t: t.points)
    gain = nxt.points - points
    return NextStep(gain, nxt.label, f"达到「{nxt.label}」可再得 {fmt(gain)} 分")


def _names_figure(ctx: _Context, names: Iterable[str]) -> str:
    return "，".join(ctx.show(n) for n in sorted(names))


def _score_enum(ctx: _Context, ind_title: str, score: m.EnumScore) -> _Outcome:
    spec = FIELDS_BY_ID[score.field]
    value = ctx.env.get(score.field)
    if not isinstance(value, str):
        return _Outcome(
            Decimal(0), "unknown", f"缺少数据：{ctx.describe(score.field)}", missing=(score.field,)
        )
    points = score.points[value]
    label = spec.choice_label(value)
    better = sorted((p, v) for v, p in score.points.items() if p > points)
    nxt = None
    if better:
        p, v = better[0]
        nxt = NextStep(
            p - points,
            spec.choice_label(v),
            f"{spec.label}达到「{spec.choice_label(v)}」可再得 {fmt(p - points)} 分",
        )
    return _Outcome(
        points,
        "ok",
        f"{spec.label}：{label}，得 {fmt(points)} 分",
        label,
        band=label,
        next=nxt,
        advice=score.advice.get(value, ""),
    )


def _score_items(ctx: _Context, ind_title: str, score: m.ItemsScore) -> _Outcome:
    held: list[m.Item] = []
    lacking: list[m.Item] = []
    reasons = Unknown(())
    for item in score.items:
        ok = ctx.eval(item.when)
        if isinstance(ok, Unknown):
            reasons = reasons | ok
        else:
            (held if ok else lacking).append(item)
    points = min(score.cap, score.points_each * len(held))
    labels = "、".join(i.label for i in held) or "无"
    if reasons.reasons and points < score.cap:
        return _Outcome(
            Decimal(0), "unknown", f"已具备：{labels}；{reasons.reason}", missing=reasons.missing
        )
    nxt = None
    if lacking and points < score.cap:
        gain = min(score.cap, points + score.points_each) - points
        options = "、".join(i.label for i in lacking)
        nxt = NextStep(gain, lacking[0].label, f"再具备其中一项（{options}）可再得 {fmt(gain)} 分")
    reason = (
        f"具备 {len(held)} 项（{labels}），每项 {fmt(score.points_each)} 分、"
        f"最多 {fmt(score.cap)} 分，得 {fmt(points)} 分"
    )
    return _Outcome(
        points,
        "ok",
        reason,
        f"{len(held)} 项",
        band=labels,
        next=nxt,
        advice=score.advice if nxt else "",
    )


def _score_stepped(ctx: _Context, ind_title: str, score: m.SteppedScore) -> _Outcome:
    value = ctx.number(score.metric)
    if isinstance(value, Unknown):
        return _Outcome(Decimal(0), "unknown", value.reason, missing=value.missing)
    step = Fraction(score.step)
    steps = max(0, floor(value / step))
    points = min(score.cap, score.points_per_step * steps)
    unit = ctx.unit(score.metric)
    nxt = None
    if points < score.cap:
        target = (steps + 1) * step
        gain = min(score.cap, points + score.points_per_step) - points
        nxt = NextStep(
            gain,
            fmt_unit(target, unit),
            f"{ctx.label(score.metric)} {fmt_unit(value, unit)} → 满 "
            f"{fmt_unit(target, unit)} 可再得 {fmt(gain)} 分",
            to_decimal(target),
        )
    figure = fmt_unit(value, unit)
    reason = (
        f"{ctx.label(score.metric)} {figure}，每满 {fmt_unit(step, unit)} 得 "
        f"{fmt(score.points_per_step)} 分、最多 {fmt(score.cap)} 分，得 {fmt(points)} 分"
    )
    return _Outcome(
        points, "ok", reason, figure, value, f"{steps} 档", nxt, score.advice if nxt else ""
    )


_PROVINCE_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
)


def _province_key(name: str) -> str:
    name = name.strip()
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _score_local(ctx: _Context, ind: m.Indicator, score: m.LocalScore) -> _Outcome:
    override = ctx.env.get(score.override) if score.override else None
    if isinstance(override, Fraction):
        points = min(Decimal(ind.max), to_decimal(override))
        return _Outcome(
            points,
            "ok",
            f"采用省级主管部门给出的地方特色化得分 {fmt(points)} 分"
            f"（{ctx.describe(score.override or '')}）",
            f"{fmt(points)} 分",
        )
    province = ctx.env.get(score.selector)
    if not isinstance(province, str):
        return _Outcome(
            Decimal(0),
            "unknown",
            f"缺少数据：{ctx.describe(score.selector)}，无法选择地方特色化指标",
            missing=(score.selector,),
        )
    block = next(
        (b for b in score.blocks if _province_key(b.province) == _province_key(province)), None
    )
    if block is None:
        return _Outcome(
            Decimal(0),
            "not_assessed",
            f"未评估：{province} 无内置地方特色化指标 (not assessed: no local "
            f"indicators for {province})；如已取得省级主管部门评分，请填写 "
            f"local_points (0–{fmt(ind.max)})",
        )
    parts = []
    for part in block.parts:
        o = _SCORERS[part.score.operator](ctx, part.title.zh, part.score)
        parts.append(
            IndicatorResult(
                id=part.id,
                title=part.title.zh,
                class_id=ind.class_,
                points=o.points,
                max=part.max,
                status=o.status,  # type: ignore[arg-type]
                reason=o.reason,
                figure=o.figure,
                value=None if o.value is None else to_decimal(o.value),
                band=o.band,
                next=o.next,
                advice=o.advice or part.advice,
                evidence=tuple(part.evidence),
                missing=o.missing,
                provisional=block.status == "provisional",
                source=part.source or block.source,
            )
        )
    unknown = [p for p in parts if p.status == "unknown"]
    points = sum((p.points for p in parts), Decimal(0))
    if unknown:
        return _Outcome(
            Decimal(0),
            "unknown",
            "；".join(p.reason for p in unknown),
            missing=tuple(x for p in unknown for x in p.missing),
            parts=tuple(parts),
        )
    steps = [p.next for p in parts if p.next is not None]
    nxt = max(steps, key=lambda s: s.gain, default=None)
    detail = "；".join(f"{p.title} {fmt(p.points)}/{fmt(p.max)}" for p in parts)
    note = f"（{block.note}）" if block.note else ""
    return _Outcome(
        points,
        "ok",
        f"按{block.province}地方特色化指标：{detail}{note}",
        f"{fmt(points)} 分",
        band=block.province,
        next=nxt,
        parts=tuple(parts),
        provisional=block.status == "provisional",
    )


_SCORERS: dict[str, Callable[..., _Outcome]] = {
    "bands": _score_bands,
    "best_of": _score_best_of,
    "tiers": _score_tiers,
    "enum": _score_enum,
    "items": _score_items,
    "stepped": _score_stepped,
}


def _score_indicator(ctx: _Context, ind: m.Indicator) -> IndicatorResult:
    if isinstance(ind.score, m.LocalScore):
        o = _score_local(ctx, ind, ind.score)
    else:
        o = _SCORERS[ind.score.operator](ctx, ind.title.zh, ind.score)
    status = ind.status or ctx.rubric.status
    return IndicatorResult(
        id=ind.id,
        title=ind.title.zh,
        class_id=ind.class_,
        points=o.points,
        max=ind.max,
        status=o.status,  # type: ignore[arg-type]
        reason=o.reason,
        figure=o.figure,
        value=None if o.value is None else to_decimal(o.value),
        band=o.band,
        next=o.next,
        advice=o.advice or ind.advice,
        evidence=tuple(ind.evidence),
        missing=o.missing,
        provisional=status == "provisional" or o.provisional,
        parts=o.parts,
        source=ind.source,
        effort=ind.effort,
    )


# ---- conditions and pass rules ---------------------------------------------------------


def _condition(ctx: _Context, cond: m.Condition) -> ConditionResult:
    failed: list[m.Check] = []
    open_checks: list[m.Check] = []
    unknown = Unknown(())
    for check in cond.require:
        ok = ctx.eval(check.when)
        if isinstance(ok, Unknown):
            unknown = unknown | ok
            open_checks.append(check)
        elif ok is not True:
            failed.append(check)
    provisional = (cond.status or ctx.rubric.status) == "provisional"
    evidence = tuple(cond.evidence)
    # Show the figures of the checks that decided the outcome, not every figure used.
    shown = failed or open_checks or list(cond.require)
    figure = _names_figure(ctx, frozenset().union(*(c.when.names for c in shown)))
    if failed:
        labels = "；".join(c.label for c in failed)
        return ConditionResult(
            cond.id,
            cond.title.zh,
            cond.role,
            cond.group,
            False,
            f"不满足：{labels}（{figure}）",
            cond.advice,
            provisional=provisional,
            evidence=evidence,
        )
    if unknown.reasons:
        return ConditionResult(
            cond.id,
            cond.title.zh,
            cond.role,
            cond.group,
            None,
            f"无法判断：{unknown.reason}",
            cond.advice,
            unknown.missing,
            provisional=provisional,
            evidence=evidence,
        )
    return ConditionResult(
        cond.id,
        cond.title.zh,
        cond.role,
        cond.group,
        True,
        f"满足（{figure}）",
        provisional=provisional,
        evidence=evidence,
    )


_ROLE_LABEL = {
    "eligibility": "资格条件",
    "basic": "基本条件",
    "requirement": "认定条件",
    "direct": "直通条件",
}


def _mark(v: bool | None) -> str:
    return "✓" if v is True else "✗" if v is False else "?"


class _Judge:
    def __init__(
        self,
        rubric: m.Rubric,
        total: Decimal,
        open_total: Decimal,
        classes: dict[str, ClassResult],
        conds: dict[str, ConditionResult],
    ):
        self.rubric, self.total, self.open_total = rubric, total, open_total
        self.classes, self.conds = classes, conds
        self.lines: list[str] = []

    def at_least(self, have: Decimal, open_: Decimal, need: Decimal) -> bool | None:
        if have >= need:
            return True
        return None if have + open_ >= need else False

    def rule(self, rule: m.Rule, depth: int = 0) -> bool | None:
        pad = "  " * depth
        if rule.all is not None or rule.any is not None:
            is_all = rule.all is not None
            at = len(self.lines)
            values = [self.rule(r, depth + 1) for r in (rule.all or rule.any or [])]
            if is_all:
                v = False if False in values else None if None in values else True
            else:
                v = True if True in values else None if None in values else False
            head = rule.label or ("以下全部满足" if is_all else "以下任一满足")
            self.lines.insert(at, f"{pad}{_mark(v)} {head}")
            return v
        if rule.not_ is not None:
            inner = self.rule(rule.not_, depth + 1)
            return None if inner is None else not inner
        if rule.total_at_least is not None:
            v = self.at_least(self.total, self.open_total, rule.total_at_least)
            self.lines.append(
                f"{pad}{_mark(v)} {rule.label or '总分'} {fmt(self.total)} ≥ "
                f"{fmt(rule.total_at_least)}"
            )
            return v
        if rule.class_at_least is not None:
            if rule.label:
                self.lines.append(f"{pad}{rule.label}")
                pad += "  "
            results = []
            for cid, need in rule.class_at_least.items():
                cls = self.classes[cid]
                v = self.at_least(cls.points, cls.unknown_max, need)
                self.lines.append(f"{pad}{_mark(v)} {cls.title} {fmt(cls.points)} ≥ {fmt(need)}")
                results.append(v)
            return False if False in results else None if None in results else True
        if rule.condition is not None:
            c = self.conds[rule.condition]
            self.lines.append(f"{pad}{_mark(c.ok)} {rule.label or c.title}")
            return c.ok
        role = rule.conditions
        chosen = [c for c in self.conds.values() if c.role == role]
        oks = [c.ok for c in chosen]
        if role == "direct":
            v = True if True in oks else None if None in oks else False
            word = "任一直通条件"
        else:
            v = False if False in oks else None if None in oks else True
            word = f"全部{_ROLE_LABEL.get(role or '', '')}"
        self.lines.append(f"{pad}{_mark(v)} {rule.label or word}")
        return v


def evaluate(rubric: m.Rubric, firm: Firm) -> Assessment:
    """Score one firm against one rubric."""
    ctx = _Context(rubric, firm)
    indicators = tuple(_score_indicator(ctx, ind) for ind in rubric.indicators)
    classes = []
    for cls in rubric.classes:
        members = [i for i in indicators if i.class_id == cls.id]
        points = sum((i.points for i in members), Decimal(0))
        classes.append(
            ClassResult(
                cls.id,
                cls.title.zh,
                points,
                cls.max,
                sum((i.max for i in members if i.status == "unknown"), Decimal(0)),
                maturity_level(
                    rubric,
                    points,
                    cls.max,
                    sum((i.max for i in members if i.status == "unknown"), Decimal(0)),
                ),
            )
        )
    total = sum((i.points for i in indicators), Decimal(0))
    open_total = sum((i.max for i in indicators if i.status == "unknown"), Decimal(0))
    conditions = tuple(_condition(ctx, c) for c in rubric.conditions)
    judge = _Judge(
        rubric, total, open_total, {c.id: c for c in classes}, {c.id: c for c in conditions}
    )
    verdict = judge.rule(rubric.pass_rule)
    status: PassStatus = "pass" if verdict else "fail" if verdict is False else "undetermined"
    notes = []
    if rubric.status == "advisory":
        notes.append(
            f"{rubric.title.zh}是自评参考，不是官方认定标准：它衡量申报准备程度，"
            "用于发现短板和改进方向。"
        )
    elif rubric.status == "provisional":
        notes.append(
            f"本评价标准（{rubric.title.zh}）为暂定版本：部分数值来自第三方整理或尚未"
            "核实，结果仅供参考。"
        )
    else:
        provisional = [i.title for i in indicators if i.provisional]
        provisional += [c.title for c in conditions if c.provisional]
        if provisional:
            notes.append(
                "以下指标或条件的数值来自第三方整理、尚未核实，结果仅供参考："
                f"{'、'.join(provisional)}。"
            )
    if open_total:
        notes.append(
            f"数据不完整：{sum(1 for i in indicators if i.status == 'unknown')} 项指标"
            f"无法计算，最多还有 {fmt(open_total)} 分未计入。"
        )
    return Assessment(
        rubric=rubric.id,
        rubric_title=rubric.title.zh,
        rubric_version=rubric.version,
        rubric_status=rubric.status,
        tier=rubric.tier,
        document=rubric.document,
        firm=firm.name,
        source=firm.source,
        total=total,
        max=rubric.max_total,
        pass_status=status,
        pass_mark=rubric.pass_mark,
        size_class=ctx.size_class,
        size_reason=ctx.size_reason,
        classes=tuple(classes),
        indicators=indicators,
        conditions=conditions,
        pass_explanation=tuple(judge.lines),
        warnings=firm.warnings,
        notes=tuple(notes),
        maturity=maturity_level(rubric, total, rubric.max_total, open_total),
    )


def maturity_level(
    rubric: m.Rubric, points: Decimal, maximum: Decimal, unknown: Decimal = Decimal(0)
) -> str | None:
    """The highest level whose min_percent the share of the maximum reaches; marked when
    points still unknown could lift it to another level."""
    if not rubric.maturity or not maximum:
        return None

    def level(p: Decimal) -> str:
        share = p * 100 / maximum
        return [lv.label for lv in rubric.maturity if share >= lv.min_percent][-1]

    reached = level(points)
    if unknown and level(points + unknown) != reached:
        return f"{reached}（数据不全，可能更高）"
    return reached
