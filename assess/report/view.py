"""The report's view model: everything the HTML template shows, built from the
assessments (and their plans) alone, so the template only lays things out.

Nothing here loads a rubric or makes a plan: an assessment carries what the report says
about its rubric and its own plan (`Assessment.plan`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from markupsafe import Markup

import assess
from assess import plan as planning
from assess.catalog import t
from assess.fields import FIELDS_BY_ID
from assess.intake.firm import Firm
from assess.numbers import fmt
from assess.report import charts
from assess.report.environment import page_css, safe_glyphs, stylesheet
from assess.report.words import (
    INDICATOR_STATUS,
    PASS_WORDS,
    RUBRIC_STATUS,
    SIZE_LABELS,
    TIER_LABELS,
    TIER_SHORT,
    VERDICT_WORDS,
    fill_heading,
    plain,
    reference_words,
    rule_text,
)
from assess.results import Assessment, CohortPlace, ConditionResult, IndicatorResult, RuleLine

TIER_ORDER = ("innovative", "srdi", "little_giant", "readiness")
STANDARD_TIERS = ("innovative", "srdi", "little_giant")
STATUS_CSS = {
    "official": "tag-official",
    "provisional": "tag-provisional",
    "advisory": "tag-advisory",
}
ROLE_ORDER = ("eligibility", "basic", "requirement", "direct")


def numeral(i: int) -> str:
    """The number of the report's i-th section (from 0): 一、二、… in Chinese, 1, 2, …
    in English."""
    numerals = t("report.html.numerals").split(",")
    return numerals[i % len(numerals)]


_STATUS = {  # pass status → (glyph, css class); the word is `VERDICT_WORDS`
    "pass": ("✓", "pass"),
    "fail": ("×", "fail"),
    "undetermined": ("?", "pending"),
    "platform_pending": ("…", "pending"),
}


def _mark(ok: bool | None) -> tuple[str, str, str]:
    """(word, glyph, css class) for a yes/no/unknown."""
    if ok is True:
        return t("report.html.mark.met"), "✓", "pass"
    if ok is False:
        return t("report.html.mark.not_met"), "×", "fail"
    return t("report.html.mark.unknown"), "?", "pending"


# ---- the view model ----------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    tier: str
    tier_label: str
    assessed: bool
    word: str = ""  # the verdict's word; "not assessed" for a tier the report did not score
    glyph: str = "–"
    css: str = "none"
    rubric: str = ""
    rubric_title: str = ""
    version: str = ""
    rubric_status: str = ""
    status_css: str = ""
    total: Decimal | None = None
    max: Decimal | None = None
    pass_mark: Decimal | None = None
    maturity: str | None = None
    anchor: str = ""
    scored: bool = False
    basis: str = ""
    at_most: Decimal | None = None  # the most the total could reach once blanks are filled
    reference: str = ""  # a reference figure shown beside a verdict waiting for the platform
    advisory: bool = False  # a self-assessment aid (readiness): advice, never a verdict
    status: str = ""  # the pass status, for the advice's words

    @property
    def mark_label(self) -> str:
        """What the line the total is held against is called: a self-assessment aid has
        a reference line, not a pass mark."""
        return t("report.html.reference_line" if self.advisory else "report.html.pass_line")

    @property
    def advice(self) -> str:
        """What a self-assessment aid says on the cover, in place of a verdict."""
        if self.total is None or self.max is None:
            return ""
        points = (
            t("report.cover.advice_range", low=fmt(self.total), high=fmt(self.at_most))
            if self.at_most is not None and self.at_most != self.total
            else fmt(self.total)
        )
        head = t("report.cover.advice_points", points=points, max=fmt(self.max))
        if self.pass_mark is not None:
            head += t("report.cover.advice_mark", mark=fmt(self.pass_mark))
        if self.status == "pass":
            state = t("report.cover.advice_ready")
        elif self.status == "fail":
            gap = None if self.pass_mark is None else self.pass_mark - self.total
            state = (
                t("report.cover.advice_gap", gap=fmt(gap))
                if gap is not None and gap > 0
                else t("report.cover.advice_classes")
            )
        else:
            state = t("report.cover.advice_open")
        level = t("report.cover.advice_level", level=self.maturity) if self.maturity else ""
        return f"{head}{state}{level}"


@dataclass(frozen=True)
class ClassRow:
    title: str
    points: Decimal
    max: Decimal
    percent: float
    minimum: Decimal | None
    unknown_max: Decimal
    maturity: str | None
    bar: Markup
    short: bool  # below its minimum


@dataclass(frozen=True)
class Line:
    depth: int
    glyph: str
    css: str
    text: str


@dataclass(frozen=True)
class IndicatorView:
    r: IndicatorResult
    class_title: str
    bar: Markup
    state: str  # ok / unknown / not_assessed
    state_label: str
    missing: tuple[str, ...]
    next_points: Decimal | None
    explain: bool  # the reason says more than the figure and the band
    parts: tuple[IndicatorView, ...] = ()
    source: str = ""  # where the criterion comes from, less the section's common prefix


@dataclass(frozen=True)
class ConditionView:
    c: ConditionResult
    word: str
    glyph: str
    css: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class ConditionGroup:
    title: str
    note: str
    items: tuple[ConditionView, ...]


@dataclass(frozen=True)
class Section:
    a: Assessment
    number: str
    anchor: str
    verdict: Verdict
    radar: Markup | None
    classes: tuple[ClassRow, ...]
    explanation: tuple[Line, ...]
    indicators: tuple[IndicatorView, ...]
    conditions: tuple[ConditionGroup, ...]
    unknown_count: int
    source_prefix: str = ""  # the source every indicator shares, said once
    provisional: bool = False  # the whole rubric is: its items need no tag of their own
    planned: frozenset[str] = frozenset()  # conditions whose advice the plan gives


@dataclass(frozen=True)
class PlanView:
    p: planning.TierPlan
    verdict: Verdict
    class_titles: Mapping[str, str]
    total_bar: Markup | None

    @property
    def fill_heading(self) -> str:
        return fill_heading(self.p).rstrip("：:")


@dataclass(frozen=True)
class EvidenceItem:
    document: str
    needed_for: dict[str, list[str]] = field(default_factory=dict)  # what → which tiers

    @property
    def uses(self) -> list[str]:
        sep = t("report.html.list_sep")
        return [
            t("report.html.evidence_use", what=what, tiers=sep.join(tiers))
            for what, tiers in self.needed_for.items()
        ]


@dataclass(frozen=True)
class EvidenceVariant:
    qualifier: str  # "（利润表）" of "上年度经审计的财务报表（利润表）"; "" for the document itself
    uses: list[str]


@dataclass(frozen=True)
class EvidenceGroup:
    """One checklist line: a document and its variants (the same document, a named part)."""

    document: str
    variants: tuple[EvidenceVariant, ...]


@dataclass(frozen=True)
class SourceView:
    a: Assessment
    status: str
    status_css: str
    notes: tuple[str, ...] = ()  # the rubric's source notes no other rubric shown shares


@dataclass(frozen=True)
class CohortView:
    """The firm's place in its batch round, in words."""

    headline: str
    detail: str
    method: str
    changes: tuple[str, ...] = ()  # since the previous round of the same agency


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def _field_label(name: str) -> str:
    # The label the questionnaire shows: a finance officer fills in 前年主营业务收入, not an id.
    spec = FIELDS_BY_ID.get(name)
    return spec.label if spec else name


def _verdict(a: Assessment, anchor: str) -> Verdict:
    status = a.pass_status if a.pass_status in _STATUS else "undetermined"
    advisory = a.rubric_status == "advisory"
    # A self-assessment aid meets or misses its reference line: it never "passes" beside
    # the official tiers.
    word = t(f"report.html.advisory.{status}") if advisory else VERDICT_WORDS[status]
    glyph, css = _STATUS[status]
    scored = a.max > 0
    basis = ""
    if a.passed and scored and a.pass_mark is not None and a.total < a.pass_mark:
        basis = t("report.html.direct_pass")
    if a.pass_status == "platform_pending":
        basis = PASS_WORDS["platform_pending"]
    return Verdict(
        a.tier,
        TIER_LABELS.get(a.tier, a.tier),
        True,
        word,
        glyph,
        css,
        a.rubric,
        a.rubric_title,
        a.rubric_version,
        RUBRIC_STATUS.get(a.rubric_status, a.rubric_status),
        STATUS_CSS.get(a.rubric_status, ""),
        a.total,
        a.max,
        a.pass_mark,
        a.maturity,
        anchor,
        scored,
        basis,
        a.at_most,
        reference_words(a),
        advisory,
        a.pass_status,
    )


def _verdicts(assessments: Sequence[Assessment], anchors: Mapping[int, str]) -> list[Verdict]:
    out = [_verdict(a, anchors[i]) for i, a in enumerate(assessments)]
    seen = {a.tier for a in assessments}
    out += [
        Verdict(tier, TIER_LABELS[tier], False, t("report.html.unassessed"))
        for tier in STANDARD_TIERS
        if tier not in seen
    ]
    rank = {tier: i for i, tier in enumerate(TIER_ORDER)}
    return sorted(out, key=lambda v: (rank.get(v.tier, len(rank)), not v.assessed))


def _explanation(lines: Sequence[RuleLine]) -> tuple[Line, ...]:
    out = []
    for line in lines:
        glyph, css = "", ""
        if line.marked:
            _, glyph, css = _mark(line.ok)
        out.append(Line(line.depth, glyph, css, safe_glyphs(rule_text(line))))
    return tuple(out)


def _indicator_view(ind: IndicatorResult, class_title: str, scale: Decimal) -> IndicatorView:
    next_points = ind.points + ind.next.gain if ind.next is not None else None
    state = ind.status
    label = INDICATOR_STATUS.get(state, state)
    bar = Markup(
        charts.css_bar(
            ind.points, ind.max, scale=scale, next_points=next_points, unknown=state != "ok"
        )
    )
    parts = tuple(_indicator_view(p, class_title, scale) for p in ind.parts)
    explain = not (ind.figure and ind.band and ind.figure in ind.reason and ind.band in ind.reason)
    return IndicatorView(
        ind,
        class_title,
        bar,
        state,
        label,
        tuple(_field_label(x) for x in ind.missing),
        next_points,
        explain,
        parts,
        ind.source,
    )


def common_source(sources: Sequence[str]) -> str:
    """The leading part every source shares, cut after a 》 or before a space ("63号文 附件2
    评分标准", "罗海云、刘泽锋《切实促进中小企业专精特新发展》"), when each source says more
    than it; else "".  The report then names it once and each indicator only its rest."""
    if len(sources) < 2 or not all(sources):
        return ""
    first, last = min(sources), max(sources)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    head = first[:n]
    cut = head.rfind("》") + 1 or head.rfind(" ")
    prefix = head[:cut].rstrip() if cut > 0 else ""
    if len(prefix) < 4 or any(not src[len(prefix) :].strip() for src in sources):
        return ""
    return prefix


def _condition_groups(a: Assessment) -> tuple[ConditionGroup, ...]:
    groups: list[ConditionGroup] = []
    for role in (*ROLE_ORDER, *sorted({c.role for c in a.conditions} - set(ROLE_ORDER))):
        chosen = [c for c in a.conditions if c.role == role]
        if not chosen:
            continue
        views = []
        for c in chosen:
            word, glyph, css = _mark(c.ok)
            views.append(
                ConditionView(c, word, glyph, css, tuple(_field_label(x) for x in c.missing))
            )
        note = ""
        if role == "direct":
            held = sum(1 for c in chosen if c.ok)
            note = (
                t("report.html.direct_held", count=held) if held else t("report.html.direct_none")
            )
        title = t(f"report.html.role.{role}") if role in ROLE_ORDER else role
        groups.append(ConditionGroup(title, note, tuple(views)))
    return tuple(groups)


def _section(a: Assessment, number: str, anchor: str) -> Section:
    plan = a.plan
    minima = {c.id: c.minimum for c in a.classes if c.minimum is not None}
    rows = []
    for c in a.classes:
        pct = float(c.points / c.max * 100) if c.max > 0 else 0.0
        need = c.minimum
        rows.append(
            ClassRow(
                c.title,
                c.points,
                c.max,
                pct,
                need,
                c.unknown_max,
                c.maturity,
                Markup(
                    charts.bar(
                        c.points,
                        c.max,
                        marker=need,
                        width=120,
                        status="fail" if need is not None and c.points < need else "",
                    )
                ),
                need is not None and c.points < need,
            )
        )
    radar = None
    if len(a.classes) >= 3 and all(c.max > 0 for c in a.classes):
        axes = [
            charts.Axis(
                c.title,
                float(c.points / c.max * 100),
                float(minima[c.id] / c.max * 100) if c.id in minima else None,
            )
            for c in a.classes
        ]
        radar = Markup(charts.radar(axes, label=t("report.html.radar", title=a.rubric_title)))
    titles = {c.id: c.title for c in a.classes}
    scale = max((i.max for i in a.indicators), default=Decimal(1))
    indicators = tuple(
        _indicator_view(i, titles.get(i.class_id, i.class_id), scale) for i in a.indicators
    )
    prefix = common_source([i.source for i in a.indicators])
    if prefix:
        indicators = tuple(replace(v, source=v.source[len(prefix) :].strip()) for v in indicators)
    unknown = sum(1 for i in a.indicators if i.status == "unknown")
    # The plan repeats each must-fix condition with its advice: the check list then gives
    # only the finding.
    planned = (
        frozenset(c.id for f in plan.must_fix for c in f.options if c.advice)
        if plan is not None
        else frozenset()
    )
    return Section(
        a,
        number,
        anchor,
        _verdict(a, anchor),
        radar,
        tuple(rows),
        _explanation(a.explanation),
        indicators,
        _condition_groups(a),
        unknown,
        prefix,
        a.rubric_status == "provisional",
        planned,
    )


def evidence_checklist(assessments: Sequence[Assessment]) -> list[EvidenceItem]:
    """Documents to prepare: for every indicator that scores (points > 0) and every
    condition the firm relies on (all gates; direct conditions it meets)."""
    items: dict[str, EvidenceItem] = {}

    def add(doc: str, what: str, tier: str) -> None:
        tiers = items.setdefault(doc, EvidenceItem(doc)).needed_for.setdefault(what, [])
        if tier not in tiers:
            tiers.append(tier)

    for a in assessments:
        tier = TIER_SHORT.get(a.tier, a.tier)
        for c in a.conditions:
            if c.role == "direct" and c.ok is not True:
                continue
            for doc in c.evidence:
                add(doc, c.title, tier)
        for ind, part in a.rows():
            if part.status == "ok" and part.points > 0:
                for doc in part.evidence or ind.evidence:
                    add(doc, part.title, tier)
    return list(items.values())


def _split_document(document: str) -> tuple[str, str]:
    """("上年度经审计的财务报表", "（利润表）") from "上年度经审计的财务报表（利润表）"."""
    cut = document.rfind("（")
    if cut > 0 and document.endswith("）") and "）" not in document[cut:-1]:
        return document[:cut], document[cut:]
    return document, ""


def evidence_groups(items: Sequence[EvidenceItem]) -> list[EvidenceGroup]:
    """The checklist's lines: documents that differ only in a trailing （…） share one."""
    groups: dict[str, list[tuple[str, EvidenceItem]]] = {}
    for item in items:
        base, qualifier = _split_document(item.document)
        groups.setdefault(base, []).append((qualifier, item))
    out = []
    for base, members in groups.items():
        if len(members) == 1:
            item = members[0][1]
            out.append(EvidenceGroup(item.document, (EvidenceVariant("", item.uses),)))
        else:  # the document itself first, then its parts
            members.sort(key=lambda member: member[0] != "")
            out.append(
                EvidenceGroup(base, tuple(EvidenceVariant(q, item.uses) for q, item in members))
            )
    return out


def _sources(
    assessments: Sequence[Assessment],
) -> tuple[list[SourceView], list[tuple[str, list[str]]]]:
    """A source per rubric, and the notes several rubrics share (said once, with the
    rubrics they apply to)."""
    titles: dict[str, list[str]] = {}
    for a in assessments:
        for note in a.source_notes:
            if a.rubric_title not in titles.setdefault(note, []):
                titles[note].append(a.rubric_title)
    shared = [(note, ts) for note, ts in titles.items() if len(ts) > 1]
    common = {note for note, _ in shared}
    views = []
    for a in assessments:
        notes = tuple(plain(n) for n in a.source_notes if n not in common)
        views.append(
            SourceView(
                a,
                RUBRIC_STATUS.get(a.rubric_status, a.rubric_status),
                STATUS_CSS.get(a.rubric_status, ""),
                notes,
            )
        )
    return views, [(plain(note), ts) for note, ts in shared]


def cohort_view(place: CohortPlace) -> CohortView:
    """The cover line and the method note for a firm's place in its batch round."""
    if not place.ranked or place.ladder or place.score_pct is None:
        return _ladder_place(place)
    pct, rate = fmt(place.percentile), fmt(place.score_pct)
    if place.size <= 1:
        headline = t("report.cohort.alone", round=place.round_name, rate=rate)
    else:
        headline = t(
            "report.cohort.headline",
            round=place.round_name,
            size=place.size,
            rank=place.rank,
            rate=rate,
            percentile=pct,
        )
    detail = t("report.cohort.detail", section=t("report.html.quality_title"))
    method = t("report.cohort.method", size=place.size, percentile=pct)
    return CohortView(headline, detail, method, place.changes)


def _ladder_place(place: CohortPlace) -> CohortView:
    """A place in a round ranked by the official ladder (`assess.batch.records.rank_round`),
    or only the movement since the previous round when no place is shown."""
    if not place.ranked:
        return CohortView("", "", "", place.changes)
    ladder = ("innovative", "srdi", "little_giant")
    verdict = t(f"label.tier_short.{place.tier}") if place.tier else t("summary.cover.no_tier")
    if place.verdict in ("undetermined", "platform_pending"):
        above = ladder[ladder.index(place.tier) + 1] if place.tier else ladder[0]
        tier, said = t(f"label.tier_short.{above}"), t(f"label.pass.{place.verdict}")
        verdict = t("summary.cover.verdict", place=verdict, tier=tier, verdict=said)
    headline = t(
        "summary.cover.headline",
        round=place.round_name,
        size=place.size,
        rank=place.rank,
        verdict=verdict,
        percentile=fmt(place.percentile),
    )
    return CohortView(headline, t("summary.cover.detail"), t("summary.cover.method"), place.changes)


def _facts(firm: Firm, assessments: Sequence[Assessment]) -> list[Fact]:
    v = firm.values
    facts = []
    if v.get("credit_code"):
        facts.append(Fact(FIELDS_BY_ID["credit_code"].label, str(v["credit_code"])))
    # Place names as written (山东省济南市), in either language.
    place = "".join(str(v[k]) for k in ("province", "city", "district") if v.get(k))
    if place:
        facts.append(Fact(t("report.fact.place"), place))
    industry = v.get("industry")
    if isinstance(industry, str):
        label = FIELDS_BY_ID["industry"].choice_label(industry)
        facts.append(Fact(t("report.fact.industry"), label))
    for key in ("main_product", "niche_market"):
        if v.get(key):
            facts.append(Fact(FIELDS_BY_ID[key].label, str(v[key])))
    employees = v.get("employees")
    if employees is not None and not isinstance(employees, bool | str):
        persons = t("report.fact.amount", value=fmt(employees), unit=t("label.unit.persons"))
        facts.append(Fact(t("report.fact.employees"), persons))
    revenue = v.get("revenue")
    if revenue is not None and not isinstance(revenue, bool | str):
        amount = t("report.fact.amount", value=fmt(revenue), unit=t("label.unit.wan_yuan"))
        facts.append(Fact(FIELDS_BY_ID["revenue"].label, amount))
    size = next((a for a in assessments if a.size_class is not None), None)
    if size is not None and size.size_class is not None:
        facts.append(
            Fact(
                t("report.fact.size_label"),
                t(
                    "report.fact.size",
                    size=t("report.size_firm", size=SIZE_LABELS.get(size.size_class, "?")),
                    reason=size.size_reason,
                ),
            )
        )
    elif assessments:
        reason = assessments[0].size_reason or t("report.fact.no_data")
        facts.append(Fact(t("report.fact.size_label"), t("report.fact.no_size", reason=reason)))
    if firm.source:
        facts.append(Fact(t("report.fact.source"), Path(firm.source).name))
    return facts


def _dedupe(texts: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(t for t in texts if t))


def build_context(
    assessments: Sequence[Assessment],
    firm: Firm,
    *,
    generated: dt.date | None = None,
    cohort: CohortPlace | None = None,
) -> dict[str, Any]:
    """Everything the template shows, from the assessments alone."""
    generated = generated or dt.date.today()
    anchors = {i: f"r{i + 1}-{a.rubric}" for i, a in enumerate(assessments)}
    sections = [_section(a, numeral(i), anchors[i]) for i, a in enumerate(assessments)]
    verdict_by_rubric = {s.a.rubric: s.verdict for s in sections}
    plans = []
    for a in assessments:
        p = a.plan
        if p is None:
            continue
        bar = None
        if p.scored and a.max > 0:
            bar = Markup(
                charts.bar(
                    p.total,
                    a.max,
                    next_points=p.total_after,
                    marker=p.target_total,
                    width=220,
                    height=12,
                )
            )
        plans.append(
            PlanView(p, verdict_by_rubric[a.rubric], {c.id: c.title for c in a.classes}, bar)
        )
    year = firm.get("assessment_year")
    verdicts = _verdicts(assessments, anchors)
    warnings = _dedupe([*firm.warnings, *(w for a in assessments for w in a.warnings)])
    sources, shared_notes = _sources(assessments)
    n = len(sections)
    return {
        "title": t("report.html.title", firm=firm.name),
        "firm_name": firm.name,
        "year": year,
        "prior_year": year - 1 if isinstance(year, int) and not isinstance(year, bool) else None,
        "generated": generated.isoformat(),
        "facts": _facts(firm, assessments),
        # The official verdicts lead the cover; a self-assessment aid is advice below them.
        "verdicts": [v for v in verdicts if not v.advisory],
        "advice": [v for v in verdicts if v.advisory],
        # Cards side by side: three to a row up to three tiers, four when there are four.
        "card_columns": 4 if sum(1 for v in verdicts if not v.advisory) == 4 else 3,
        "cohort": cohort_view(cohort) if cohort is not None else None,
        "sections": sections,
        "plans": plans,
        "plan_number": numeral(n),
        "evidence_number": numeral(n + 1),
        "quality_number": numeral(n + 2),
        "remedies": planning.remedies(assessments, firm),
        "article_source": planning.ARTICLE_SOURCE,
        "article_diagnosis": planning.ARTICLE_DIAGNOSIS,
        "evidence": evidence_groups(evidence_checklist(assessments)),
        "warnings": warnings,
        "notes": [(s.verdict, note) for s in sections for note in s.a.notes],
        # Provisional indicators the engine's notes do not already name.
        "provisional": [
            (s.verdict, i.r.title)
            for s in sections
            for i in s.indicators
            if i.r.provisional
            and s.a.rubric_status != "provisional"
            and not any(i.r.title in note for note in s.a.notes)
        ],
        "unknowns": [
            (s.verdict, i) for s in sections for i in s.indicators if i.state == "unknown"
        ],
        "sources": sources,
        "shared_notes": shared_notes,
        "version": assess.__version__,
        "css": Markup(stylesheet()),
        "page_css": page_css(),
        "bar_css": Markup(charts.css_bar_rules(str(i.bar) for s in sections for i in s.indicators)),
    }
