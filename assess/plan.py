"""Improvement plans: the cheapest set of band steps that reaches a rubric's pass mark.

`build` is the one place a plan is made, from an `Assessment`, its rubric and the scope it
was scored in; the engine hands it its own context, and the assessment carries the plan
(`Assessment.plan`, made on first use), so every report shows the same plan and none makes
another.  For each tier the firm has not passed:

1. the pass rule is unfolded into *routes* (the ways to pass: "score ≥ 60 with class minima
   and every eligibility condition", "any direct condition and every eligibility
   condition", ...);
2. each indicator gets a *ladder*: the bands above the one it is in, the first one as the
   engine described it (with the lever: 研发费用由 238 万元调整到 340 万元), the higher ones
   from its operator (`Operator.rungs`), worked out by the same next-band function, so a
   printed lever figure always reaches its band;
3. an exact search picks one rung per indicator (or none) so that the total and every class
   minimum of the route are met at the lowest cost, where climbing k rungs of an indicator
   costs k × its `effort`; ties go to the plan with fewer changes;
4. conditions the route needs that fail (or cannot be decided) are must-fix items: points
   cannot buy them.

`remedies` then matches the firm's weak areas to the remedies of the Hunan Daily article
"切实促进中小企业专精特新发展" (R&D input, collaboration with universities, institutes and
chain leaders, the innovation ecosystem).  The wording is ours; the ideas are the article's.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from assess.catalog import t, table
from assess.intake.firm import Firm
from assess.numbers import fmt
from assess.results import Assessment, ConditionResult, IndicatorResult, Level
from assess.rubric import models as m
from assess.rubric.operators import Scope, ScoreModel, operator_for

__all__ = ["Level", "TierPlan", "build", "ladder", "plan", "plans", "remedies", "routes"]

ROUTE_LIMIT = 64  # a pathological pass rule must not explode the route list

# ---- routes: the ways a pass rule can be met --------------------------------------------


@dataclass(frozen=True)
class Route:
    """One way to pass: score thresholds plus condition groups that must all hold.

    A group holds when any of its conditions holds (`conditions: direct` is one group of
    every direct condition; `conditions: eligibility` is one group per condition).
    """

    total: Decimal | None = None
    classes: tuple[tuple[str, Decimal], ...] = ()
    needs: tuple[tuple[str, ...], ...] = ()
    label: str = ""
    opaque: bool = False  # holds a `not`: we cannot plan for it

    @property
    def scored(self) -> bool:
        return self.total is not None or bool(self.classes)

    @property
    def class_minima(self) -> dict[str, Decimal]:
        return dict(self.classes)


def _merge(a: Route, b: Route) -> Route:
    total = max((t for t in (a.total, b.total) if t is not None), default=None)
    classes = dict(a.classes)
    for cid, need in b.classes:
        classes[cid] = max(need, classes.get(cid, need))
    needs = tuple(dict.fromkeys(a.needs + b.needs))
    label = t("plan.separator").join(x for x in (a.label, b.label) if x)
    return Route(total, tuple(classes.items()), needs, label, a.opaque or b.opaque)


def _role_words(role: str) -> str:
    words = table("plan.role")
    return words.get(role, role)


class _Named(Protocol):
    """What a route needs of a condition: a `ConditionResult` or a rubric's condition."""

    @property
    def id(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def title(self) -> str: ...


@dataclass(frozen=True)
class _Declared:
    id: str
    role: str
    title: str


def _describe(rule: m.Rule, conditions: Sequence[_Named]) -> str:
    """A short name for a branch of an `any`, when the rubric gives it no label."""
    if rule.label:
        return str(rule.label)
    if rule.total_at_least is not None:
        return t("plan.branch.total", mark=fmt(rule.total_at_least))
    if rule.class_at_least is not None:
        return t("plan.branch.classes")
    if rule.condition is not None:
        return next((c.title for c in conditions if c.id == rule.condition), rule.condition)
    if rule.conditions is not None:
        return t("plan.branch.conditions", role=_role_words(rule.conditions))
    return ""


def routes(rule: m.Rule, conditions: Sequence[_Named]) -> tuple[Route, ...]:
    """The pass rule in disjunctive form: any one returned route passes.  A route's label
    names the branches it takes at each `any` of the rule."""
    if rule.all is not None:
        combos = [Route()]
        for sub in rule.all:
            options = routes(sub, conditions)
            combos = [_merge(a, b) for a in combos for b in options][:ROUTE_LIMIT]
        return tuple(combos)
    if rule.any is not None:
        out: list[Route] = []
        for sub in rule.any:
            name = _describe(sub, conditions)
            for r in routes(sub, conditions):
                out.append(r if r.label else replace(r, label=name))
        return tuple(out[:ROUTE_LIMIT])
    if rule.not_ is not None:
        return (Route(opaque=True),)
    if rule.total_at_least is not None:
        return (Route(total=rule.total_at_least),)
    if rule.class_at_least is not None:
        return (Route(classes=tuple(rule.class_at_least.items())),)
    if rule.condition is not None:
        return (Route(needs=((rule.condition,),)),)
    ids = tuple(c.id for c in conditions if c.role == rule.conditions)
    if rule.conditions == "direct":
        # "Any direct condition": with none declared the engine says False, so no route.
        return (Route(needs=(ids,)),) if ids else ()
    return (Route(needs=tuple((i,) for i in ids)),)


def class_minima(rule: m.Rule, conditions: Sequence[_Named] = ()) -> dict[str, Decimal]:
    """The class minima of the first scored route, for reports."""
    for r in routes(rule, conditions):
        if r.scored:
            return r.class_minima
    return {}


# By the rubric's id(), beside a weak reference that drops the entry with the rubric (a
# rubric is unhashable, and a live id is never reused).
_MINIMA: dict[int, tuple[weakref.ref[m.Rubric], dict[str, Decimal]]] = {}


def class_minima_of(rubric: m.Rubric) -> dict[str, Decimal]:
    """`class_minima` of a rubric's pass rule, worked out once per rubric (the engine asks
    for every firm).  Routes depend on the conditions declared, not on their outcome."""
    key = id(rubric)
    known = _MINIMA.get(key)
    if known is not None and known[0]() is rubric:
        return known[1]
    declared = [_Declared(c.id, c.role, str(c.title)) for c in rubric.conditions]
    minima = class_minima(rubric.pass_rule, declared)
    _MINIMA[key] = (weakref.ref(rubric, lambda _: _MINIMA.pop(key, None)), minima)
    return minima


# ---- ladders: the bands above the current one --------------------------------------------


def _ladder(
    result: IndicatorResult, score: ScoreModel | None, scope: Scope | None
) -> tuple[Level, ...]:
    """The rungs above an indicator's current band, lowest first: the engine's next step,
    then the operator's higher rungs (which need the firm's figures)."""
    if result.status != "ok":
        return ()
    first = None
    if result.next is not None:
        nx = result.next
        first = Level(
            result.points + nx.gain,
            nx.target,
            nx.text,
            nx.lever,
            nx.lever_from,
            nx.lever_to,
            nx.next_year,
        )
    rungs = [first] if first is not None else []
    if score is not None and scope is not None:
        floor = first.points if first is not None else result.points
        higher = operator_for(score).rungs(score, result, scope)
        rungs += [r for r in higher if r.points > floor]
    return tuple(rungs)


def ladder(
    result: IndicatorResult,
    indicator: m.Indicator | None = None,
    scope: Scope | None = None,
) -> tuple[Level, ...]:
    """The rungs above an indicator's current band, lowest first.  Without the firm's
    scoring scope (`engine.scoring_context`) only the engine's next step is known."""
    return _ladder(result, indicator.score if indicator is not None else None, scope)


# ---- the plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """Raise one indicator from its current band by one or more rungs."""

    indicator: str
    title: str
    class_id: str
    points_from: Decimal
    effort: Decimal
    levels: tuple[Level, ...]  # every rung climbed, lowest first

    @property
    def points_to(self) -> Decimal:
        return self.levels[-1].points

    @property
    def gain(self) -> Decimal:
        return self.points_to - self.points_from

    @property
    def cost(self) -> Decimal:
        return self.effort * len(self.levels)

    @property
    def text(self) -> str:
        return self.levels[-1].text


@dataclass(frozen=True)
class MustFix:
    """A condition group the route needs that does not hold: any one option fixes it."""

    options: tuple[ConditionResult, ...]
    unknown: bool  # no option failed outright: data is missing

    @property
    def title(self) -> str:
        return self.options[0].title if len(self.options) == 1 else t("plan.must_fix.any_title")

    @property
    def summary(self) -> str:
        """One line: the condition, or every option of the group."""
        if len(self.options) == 1:
            return self.options[0].title
        return t(
            "plan.must_fix.any", options=t("plan.separator").join(c.title for c in self.options)
        )


@dataclass(frozen=True)
class ClassTarget:
    id: str
    title: str
    points: Decimal  # now
    after: Decimal  # once the plan is carried out
    max: Decimal
    minimum: Decimal | None


@dataclass(frozen=True)
class Alternative:
    label: str
    must_fix: tuple[MustFix, ...]


@dataclass(frozen=True)
class TierPlan:
    rubric: str
    rubric_title: str
    tier: str
    pass_status: str
    route: str  # the route's label: 评分达标（总分 ≥ 60 …）
    target_total: Decimal | None
    total: Decimal
    total_after: Decimal
    classes: tuple[ClassTarget, ...]
    steps: tuple[Step, ...]
    must_fix: tuple[MustFix, ...]
    missing: tuple[IndicatorResult, ...]  # unknown indicators: fill in the data first
    reachable: bool  # the steps meet every score threshold of the route
    scored: bool  # the route has score thresholds (else it is conditions only)
    alternatives: tuple[Alternative, ...]
    notes: tuple[str, ...] = ()
    # Filling in the blanks comes first when that alone can add points or change the
    # verdict: `fill_gain` is the most the blanks could add (the engine's bounds).
    fill_first: bool = False
    fill_gain: Decimal = Decimal(0)

    @property
    def cost(self) -> Decimal:
        return sum((s.cost for s in self.steps), Decimal(0))

    @property
    def gain(self) -> Decimal:
        return sum((s.gain for s in self.steps), Decimal(0))


def _unmet(route: Route, conds: Mapping[str, ConditionResult]) -> tuple[MustFix, ...]:
    out = []
    for group in route.needs:
        members = tuple(conds[c] for c in group if c in conds)
        if any(c.ok is True for c in members):
            continue
        unknown = any(c.ok is None for c in members)
        out.append(MustFix(members, unknown))
    return tuple(out)


_Item = tuple[IndicatorResult, tuple[Level, ...], Decimal]
_Chain = tuple[tuple[int, int], "_Chain"] | None  # choices, newest first, as a linked list


def _scale(values: Iterable[Decimal]) -> int:
    """The power of ten that makes every one of `values` a whole number."""
    exponent = 0
    for value in values:
        e = value.as_tuple().exponent
        if isinstance(e, int) and e < exponent:
            exponent = e
    return int(10**-exponent)


def search(
    items: Sequence[_Item], need_total: Decimal, need_classes: Mapping[str, Decimal]
) -> tuple[tuple[int, int], ...] | None:
    """The cheapest choice of (item index, rungs climbed) meeting every need, or None.

    Exact dynamic programming over the gains still needed (capped at the need, so the
    states stay few): cost first, then the number of changes.  Points and costs are
    scaled to integers (exact: they are decimals) and each state keeps its choices as a
    linked list, which makes a report's plans ~6× cheaper than Decimal arithmetic and
    tuple copies; the choice made is the same.
    """
    keys = [c for c, need in need_classes.items() if need > 0]
    steps = [
        [(rung.points - result.points, effort * k) for k, rung in enumerate(rungs, 1)]
        for result, rungs, effort in items
    ]
    need_total = max(need_total, Decimal(0))
    point_scale = _scale(
        [*(g for s in steps for g, _ in s), need_total, *(need_classes[c] for c in keys)]
    )
    cost_scale = _scale(c for s in steps for _, c in s)
    caps = tuple(int(need_classes[c] * point_scale) for c in keys)
    cap_total = int(need_total * point_scale)
    classes = [keys.index(r.class_id) if r.class_id in keys else -1 for r, _, _ in items]
    gains = [[int(gain * point_scale) for gain, _ in s] for s in steps]
    # The least a state must hold after item idx for the items still to come to be able to
    # reach every need: a state below it can never complete a plan, nor can anything made
    # from it, and every state at its key is as short, so dropping it changes neither the
    # states kept, nor their order, nor the choice made.
    floor_cls = [list(caps)]
    floor_tot = [cap_total]
    for j, item_gains in zip(reversed(classes), reversed(gains), strict=True):
        top = max(item_gains, default=0)
        cls_floor = list(floor_cls[-1])
        if j >= 0:
            cls_floor[j] -= top
        floor_cls.append(cls_floor)
        floor_tot.append(floor_tot[-1] - top)
    floor_cls.reverse()
    floor_tot.reverse()
    if floor_tot[0] > 0 or any(lo > 0 for lo in floor_cls[0]):
        return None  # every rung of every item together falls short
    best: dict[tuple[tuple[int, ...], int], tuple[int, int, _Chain]] = {
        (tuple(0 for _ in keys), 0): (0, 0, None)
    }
    for idx, (j, item_steps, item_gains) in enumerate(zip(classes, steps, gains, strict=True)):
        cap = caps[j] if j >= 0 else 0
        moves = [
            (gain, int(cost * cost_scale), (idx, k))
            for k, (gain, (_, cost)) in enumerate(zip(item_gains, item_steps, strict=True), 1)
        ]
        low_tot = floor_tot[idx + 1]
        low_cls = floor_cls[idx + 1]
        low_j = low_cls[j] if j >= 0 else 0
        # States carried over without this item: only those that can still complete.
        grown = {
            key: value
            for key, value in best.items()
            if key[1] >= low_tot and all(h >= lo for h, lo in zip(key[0], low_cls, strict=True))
        }
        get = grown.get
        for (have_cls, have_tot), (cost, count, chosen) in best.items():
            count += 1
            for gain, step_cost, move in moves:
                # The hot loop of a plan: plain comparisons instead of min(), slices.
                cls = have_cls
                if j >= 0:
                    h = have_cls[j] + gain
                    if h < low_j:
                        continue
                    cls = (*have_cls[:j], cap if h > cap else h, *have_cls[j + 1 :])
                t = have_tot + gain
                if t < low_tot:
                    continue
                key = (cls, cap_total if t > cap_total else t)
                new_cost = cost + step_cost
                old = get(key)
                if old is None or new_cost < old[0] or (new_cost == old[0] and count < old[1]):
                    grown[key] = (new_cost, count, (move, chosen))
        best = grown
    found = best.get((caps, cap_total))
    if found is None:
        return None
    out: list[tuple[int, int]] = []
    node = found[2]
    while node is not None:
        out.append(node[0])
        node = node[1]
    return tuple(reversed(out))


def _route_plan(
    a: Assessment,
    rubric: m.Rubric | None,
    scope: Scope | None,
    route: Route,
    conds: Mapping[str, ConditionResult],
) -> TierPlan:
    models = {i.id: i.score for i in rubric.indicators} if rubric is not None else {}
    items: list[_Item] = []
    for res in a.indicators:
        rungs = _ladder(res, models.get(res.id), scope)
        if rungs:
            items.append((res, rungs, res.effort))
    minima = route.class_minima
    need_total = (route.total - a.total) if route.total is not None else Decimal(0)
    need_classes = {c.id: minima[c.id] - c.points for c in a.classes if c.id in minima}
    notes: list[str] = []
    chosen = search(items, need_total, need_classes)
    reachable = chosen is not None
    if chosen is None:
        # Not reachable with known data: show everything known that could still be gained.
        chosen = tuple((i, len(rungs)) for i, (_, rungs, _) in enumerate(items))
        blanks = any(i.status == "unknown" for i in a.indicators)
        notes.append(t("plan.note.unreachable_blanks" if blanks else "plan.note.unreachable"))
    steps = [
        Step(
            items[i][0].id,
            items[i][0].title,
            items[i][0].class_id,
            items[i][0].points,
            items[i][2],
            items[i][1][:k],
        )
        for i, k in chosen
    ]
    # Cheapest first: effort per point gained, then the larger gain.
    steps.sort(key=lambda s: (s.cost / s.gain if s.gain else Decimal("Inf"), -s.gain))
    gained: dict[str, Decimal] = {}
    for s in steps:
        gained[s.class_id] = gained.get(s.class_id, Decimal(0)) + s.gain
    classes = tuple(
        ClassTarget(
            c.id,
            c.title,
            c.points,
            c.points + gained.get(c.id, Decimal(0)),
            c.max,
            minima.get(c.id),
        )
        for c in a.classes
    )
    total_after = a.total + sum(gained.values(), Decimal(0))
    missing = tuple(i for i in a.indicators if i.status == "unknown")
    return TierPlan(
        a.rubric,
        a.rubric_title,
        a.tier,
        a.pass_status,
        route.label,
        route.total,
        a.total,
        total_after,
        classes,
        tuple(steps),
        _unmet(route, conds),
        missing,
        reachable,
        route.scored,
        (),
        tuple(notes),
    )


def plan(
    a: Assessment, rubric: m.Rubric | None = None, firm: Firm | None = None
) -> TierPlan | None:
    """The improvement plan for one assessment, or None when it has passed.

    An assessment from `evaluate` carries its plan (`a.plan`, made once from the context
    it was scored in): that is the plan returned.  Otherwise (an assessment built by hand)
    it is made here from the engine's next steps and the rubric's pass rule; the firm's
    figures are not scored again here, so the higher rungs they would give are left out.
    Without the rubric the plan knows no class minima either.  (`firm` is accepted for
    callers that pass it; the carried plan already holds what it gave.)
    """
    if a.planner is not None:
        return a.plan
    # Not made by `evaluate` (so no scoring scope): the rungs the firm's figures would add
    # are unknown here; the engine's next steps and the pass rule still make a plan.
    return build(a, rubric, None)


def build(a: Assessment, rubric: m.Rubric | None, scope: Scope | None) -> TierPlan | None:
    """The one place a plan is made: from an assessment, its rubric and the scope it was
    scored in (`Assessment.plan` calls it through the engine)."""
    if a.pass_status == "pass":
        return None
    conds = {c.id: c for c in a.conditions}
    if rubric is not None:
        all_routes = [r for r in routes(rubric.pass_rule, a.conditions) if not r.opaque]
    else:
        all_routes = (
            [Route(total=a.pass_mark, label=t("plan.branch.total", mark=fmt(a.pass_mark)))]
            if a.pass_mark is not None
            else []
        )
    scored = [r for r in all_routes if r.scored]
    plans = [_route_plan(a, rubric, scope, r, conds) for r in scored]
    if plans:
        main = min(plans, key=lambda p: (not p.reachable, len(p.must_fix), p.cost, len(p.steps)))
        main_route = scored[plans.index(main)]
    else:
        # Only condition routes: the one with the fewest unmet groups, no score steps.
        if not all_routes:
            all_routes = [Route()]
        main_route = min(all_routes, key=lambda r: len(_unmet(r, conds)))
        main = _route_plan(a, rubric, scope, main_route, conds)
    alternatives = []
    for r in all_routes:
        if r is main_route or r.scored:
            continue
        unmet = _unmet(r, conds)
        # Only what this route asks beyond the main route is worth a line.
        extra = tuple(f for f in unmet if f not in main.must_fix)
        if extra:
            alternatives.append(Alternative(r.label or t("plan.other_route"), extra))
    notes = list(main.notes)
    if a.pass_status == "platform_pending" and a.platform_need is not None:
        # The one step left when only the platform's development score is missing.
        notes.insert(0, t("plan.note.platform", line=fmt(a.platform_need)))
    if rubric is None:
        notes.append(t("plan.note.no_rubric"))
    fill_gain = sum((i.at_most - i.points for i in main.missing), Decimal(0))
    undecided = a.pass_status == "undetermined" or any(f.unknown for f in main.must_fix)
    fill_first = bool(main.missing or undecided) and (fill_gain > 0 or undecided)
    return replace(
        main,
        alternatives=tuple(alternatives),
        notes=tuple(notes),
        fill_first=fill_first,
        fill_gain=fill_gain,
    )


def plans(
    assessments: Sequence[Assessment], rubrics: Mapping[str, m.Rubric], firm: Firm | None = None
) -> tuple[TierPlan, ...]:
    out = []
    for a in assessments:
        p = plan(a, rubrics.get(a.rubric), firm)  # an assessment's own plan when it has one
        if p is not None:
            out.append(p)
    return tuple(out)


# ---- remedies from the article -----------------------------------------------------------

# The article's title, source and diagnosis, in the language in force when read (the report
# reads `ARTICLE_SOURCE` and `ARTICLE_DIAGNOSIS` as it renders): `plan.article.*`.
_ARTICLE = {
    "ARTICLE_TITLE": "plan.article.title",
    "ARTICLE_SOURCE": "plan.article.source",
    "ARTICLE_DIAGNOSIS": "plan.article.diagnosis",
}


def __getattr__(name: str) -> str:
    if name in _ARTICLE:
        return t(_ARTICLE[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Remedy:
    id: str
    title: str
    diagnosis: str  # the article's diagnosis for this area, in our words
    actions: tuple[str, ...]  # what the firm can do, drawn from the article's remedies
    reasons: tuple[str, ...]  # why it applies to this firm


# Each remedy's words are `plan.remedy.<id>.*` (title, diagnosis, action1…); `words` are
# what an indicator's or condition's title contains when it belongs to the area, in each
# language ("、" between them), matched against the titles as worded.
_REMEDIES: tuple[tuple[str, int], ...] = (("rd_input", 4), ("collaboration", 4), ("ecosystem", 4))


def _firm_reasons(firm: Firm) -> dict[str, list[str]]:
    """Weak spots read straight from the questionnaire."""
    v = firm.values
    out: dict[str, list[str]] = {"rd_input": [], "collaboration": [], "ecosystem": []}
    if v.get("rd_super_deduction") is False:
        out["rd_input"].append(t("plan.reason.no_super_deduction"))
    if v.get("rd_institution") in ("none", "below_municipal"):
        out["rd_input"].append(t("plan.reason.no_institution"))
    rd, rev = v.get("rd_expense"), v.get("revenue")
    if (
        isinstance(rd, Decimal | int)
        and isinstance(rev, Decimal | int)
        and rev > 0
        and not isinstance(rd, bool)
        and rd * 100 < rev * 3
    ):
        share = fmt(Fraction(rd) * 100 / Fraction(rev))
        out["rd_input"].append(t("plan.reason.rd_share", share=share))
    if v.get("univ_partners") == 0:
        out["collaboration"].append(t("plan.reason.no_partners"))
    if v.get("univ_projects") == 0:
        out["collaboration"].append(t("plan.reason.no_projects"))
    if v.get("talent_cotraining") is False:
        out["collaboration"].append(t("plan.reason.no_cotraining"))
    if v.get("chain_leader_supplier") is False:
        out["collaboration"].append(t("plan.reason.no_chain_leader"))
    if v.get("public_platform") is False:
        out["ecosystem"].append(t("plan.reason.no_platform"))
    level = v.get("digital_level")
    if isinstance(level, int) and not isinstance(level, bool) and level <= 1:
        out["ecosystem"].append(t("plan.reason.digital_low", level=level))
    if v.get("ip_class1") == 0:
        out["ecosystem"].append(t("plan.reason.no_ip"))
    return out


def _weak(assessments: Sequence[Assessment]) -> Iterable[tuple[str, str]]:
    """(title, why) of every indicator short of its maximum and every failed condition."""
    for a in assessments:
        for _, part in a.rows():
            if part.status == "unknown":
                yield part.title, t("plan.weak.missing", title=part.title)
            elif part.status == "ok" and part.points < part.max:
                yield (
                    part.title,
                    t(
                        "plan.weak.points",
                        title=part.title,
                        points=fmt(part.points),
                        max=fmt(part.max),
                    ),
                )
        for c in a.conditions:
            if c.ok is False and c.role != "direct":
                yield c.title, t("plan.weak.failed", title=c.title)


def remedies(assessments: Sequence[Assessment], firm: Firm) -> tuple[Remedy, ...]:
    """The article's remedies for the areas where this firm is weak, each with why."""
    from_firm = _firm_reasons(firm)
    weak = list(_weak(assessments))
    out = []
    for rid, count in _REMEDIES:
        words = [w for w in t(f"plan.remedy.{rid}.words").split("、") if w]
        reasons = list(from_firm[rid])
        for name, why in weak:
            if any(w in name for w in words) and why not in reasons:
                reasons.append(why)
        if reasons:
            actions = tuple(t(f"plan.remedy.{rid}.action{i}") for i in range(1, count + 1))
            title, diagnosis = t(f"plan.remedy.{rid}.title"), t(f"plan.remedy.{rid}.diagnosis")
            out.append(Remedy(rid, title, diagnosis, actions, tuple(reasons[:6])))
    return tuple(out)
