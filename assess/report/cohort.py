"""The round at a glance: one summary row per applicant, the round's statistics, cohort.pdf.

A batch (`assess.batch`) turns every applicant into an `ApplicantRow`: small, immutable,
JSON-serialisable, and all the summary workbook, results.jsonl's applicant block and the
cohort report need.  Assessments themselves are never kept: `Cohort.add` folds each row into
running totals (exact `Decimal` sums, so the figures do not depend on the order in which
parallel workers finish) and the caller may then drop the row's indicator marks.

cohort.pdf is `templates/cohort.html.j2` (autoescaped) made a PDF by
`assess.report.pdf.pdf_bytes`, with the same URL fetcher as the applicant reports: nothing
outside the templates folder is loaded.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

import assess
from assess.intake.firm import place
from assess.report.charts import ACCENT, ACCENT_LIGHT, FAIL, FONT_STACK, GRID, INK, PASS, TRACK

TEMPLATE = "cohort.html.j2"
STYLESHEET = "cohort.css"

Status = Literal["scored", "rejected", "failed", "pending"]
IssueKind = Literal["error", "file", "duplicate", "warning"]

STATUS_LABELS: dict[str, str] = {
    "scored": "已评分",
    "rejected": "数据有误",
    "failed": "处理出错",
    "pending": "未完成",
}
PASS_LABELS: dict[str, str] = {"pass": "通过", "fail": "未通过", "undetermined": "待定"}
ISSUE_LABELS: dict[str, str] = {
    "error": "数据错误",
    "file": "文件无法读取",
    "duplicate": "信用代码重复",
    "warning": "提示",
}
TIER_ORDER = ("innovative", "srdi", "little_giant", "readiness")
TIER_SHORT: dict[str, str] = {
    "innovative": "创新型",
    "srdi": "专精特新",
    "little_giant": "小巨人",
    "readiness": "准备度",
}
TIER_LABELS: dict[str, str] = {
    "innovative": "创新型中小企业",
    "srdi": "专精特新中小企业",
    "little_giant": "专精特新“小巨人”企业",
    "readiness": "申报准备度",
}
SIZE_LABELS: dict[str, str] = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
PERCENTILES = (10, 25, 50, 75, 90)
HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")


def _dec(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


# ---- one applicant -----------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One thing to send back to an applicant: where it is and what is wrong."""

    kind: IssueKind
    where: str  # "申报表.xlsx › 批量!D14", or the file
    field: str  # a field id, or ""
    message: str


@dataclass(frozen=True)
class ClassScore:
    id: str
    title: str
    points: Decimal
    max: Decimal


@dataclass(frozen=True)
class RubricLine:
    """What one rubric made of one applicant: the verdict, the total and each class."""

    rubric: str
    title: str
    version: str
    tier: str
    pass_status: str  # pass, fail, undetermined
    total: Decimal
    max: Decimal
    classes: tuple[ClassScore, ...] = ()


@dataclass(frozen=True)
class IndicatorMark:
    """One indicator of one applicant, for the round's weakest-indicator table."""

    rubric: str
    id: str
    title: str
    points: Decimal
    max: Decimal
    status: str  # ok, unknown (not_assessed ones are not kept)


@dataclass(frozen=True)
class ApplicantRow:
    """One applicant of a round, whatever became of it."""

    index: int  # 1-based, in input order
    key: str  # stable identity across runs: the file (absolute), sheet and row
    source: str  # the file as the user named it
    sheet: str | None = None
    row: int | None = None
    name: str = ""
    credit_code: str = ""
    status: Status = "scored"
    size_class: str | None = None
    lines: tuple[RubricLine, ...] = ()
    warnings: tuple[str, ...] = ()
    issues: tuple[Issue, ...] = ()
    error: str = ""  # for a failed one: what went wrong, located
    report: str = ""  # the applicant's PDF, relative to the output folder
    input_hash: str = ""
    marks: tuple[IndicatorMark, ...] = field(default=(), compare=False)

    @property
    def where(self) -> str:
        return place(self.source, self.sheet, self.row)

    @property
    def score(self) -> Decimal | None:
        """The ranking score: points as % of the maximum over every rubric that awards
        points (conditions-only rubrics have a maximum of 0); None when none does."""
        scored = [line for line in self.lines if line.max > 0]
        if self.status != "scored" or not scored:
            return None
        total = sum((line.total for line in scored), Decimal(0))
        maximum = sum((line.max for line in scored), Decimal(0))
        return (total * HUNDRED / maximum).quantize(_CENT, rounding=ROUND_HALF_UP)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (Decimals as strings, so nothing is rounded)."""
        return {
            "index": self.index,
            "key": self.key,
            "source": self.source,
            "sheet": self.sheet,
            "row": self.row,
            "name": self.name,
            "credit_code": self.credit_code,
            "status": self.status,
            "size_class": self.size_class,
            "lines": [
                [
                    ln.rubric,
                    ln.title,
                    ln.version,
                    ln.tier,
                    ln.pass_status,
                    str(ln.total),
                    str(ln.max),
                    [[c.id, c.title, str(c.points), str(c.max)] for c in ln.classes],
                ]
                for ln in self.lines
            ],
            "warnings": list(self.warnings),
            "issues": [[i.kind, i.where, i.field, i.message] for i in self.issues],
            "error": self.error,
            "report": self.report,
            "input_hash": self.input_hash,
            "marks": [
                [k.rubric, k.id, k.title, str(k.points), str(k.max), k.status] for k in self.marks
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApplicantRow:
        return cls(
            index=int(data["index"]),
            key=data["key"],
            source=data["source"],
            sheet=data["sheet"],
            row=data["row"],
            name=data["name"],
            credit_code=data["credit_code"],
            status=data["status"],
            size_class=data["size_class"],
            lines=tuple(
                RubricLine(
                    r,
                    t,
                    v,
                    tier,
                    p,
                    Decimal(total),
                    Decimal(mx),
                    tuple(
                        ClassScore(ci, ct, Decimal(cp), Decimal(cm)) for ci, ct, cp, cm in classes
                    ),
                )
                for r, t, v, tier, p, total, mx, classes in data["lines"]
            ),
            warnings=tuple(data["warnings"]),
            issues=tuple(Issue(k, w, f, m) for k, w, f, m in data["issues"]),
            error=data["error"],
            report=data["report"],
            input_hash=data["input_hash"],
            marks=tuple(
                IndicatorMark(r, i, t, Decimal(p), Decimal(m), s)
                for r, i, t, p, m, s in data["marks"]
            ),
        )


# Indicator sums of several applicants, (rubric, indicator id) → [title, points, max, n,
# unknown]: what `Cohort.add_marks` takes instead of each row's marks (a batch's workers
# send these per chunk, which is much less to pickle than 60 marks per applicant).
MarkTally = dict[tuple[str, str], list[Any]]


# ---- the round ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """An applicant's place in the round: rank 1 is the best score (ties share a rank);
    the percentile is the share of scored applicants below it, counting ties as half."""

    rank: int
    percentile: Decimal


def standings(scores: Mapping[int, Decimal]) -> dict[int, Standing]:
    """Applicant index → standing, from index → score."""
    ordered = sorted(scores.values())
    n = len(ordered)
    out: dict[int, Standing] = {}
    if not n:
        return out
    import bisect

    for index, score in scores.items():
        below = bisect.bisect_left(ordered, score)
        equal = bisect.bisect_right(ordered, score) - below
        pct = (Decimal(below) + Decimal(equal) / 2) * HUNDRED / n
        out[index] = Standing(n - below - equal + 1, pct.quantize(_TENTH, rounding=ROUND_HALF_UP))
    return out


def quantile(values: Sequence[Decimal], q: int) -> Decimal:
    """The q-th percentile of sorted `values`, interpolated linearly between ranks."""
    if not values:
        raise ValueError("no values")
    pos = Decimal(q) / HUNDRED * (len(values) - 1)
    low = int(pos)
    high = min(low + 1, len(values) - 1)
    frac = pos - low
    value = values[low] + (values[high] - values[low]) * frac
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass
class RubricTally:
    rubric: str
    title: str
    version: str
    tier: str
    max: Decimal
    outcomes: dict[str, int] = field(
        default_factory=lambda: {"pass": 0, "fail": 0, "undetermined": 0}
    )
    classes: dict[str, str] = field(default_factory=dict)  # class id → title, in order
    totals: list[Decimal] = field(default_factory=list)

    @property
    def n(self) -> int:
        return sum(self.outcomes.values())

    @property
    def pass_rate(self) -> Decimal | None:
        if not self.n:
            return None
        return (Decimal(self.outcomes["pass"]) * HUNDRED / self.n).quantize(_TENTH)

    @property
    def label(self) -> str:
        return TIER_SHORT.get(self.tier, self.tier)


@dataclass
class IndicatorTally:
    rubric: str
    id: str
    title: str
    points: Decimal = Decimal(0)
    max: Decimal = Decimal(0)
    n: int = 0
    unknown: int = 0

    @property
    def mean_percent(self) -> Decimal:
        if self.max <= 0:
            return HUNDRED
        return (self.points * HUNDRED / self.max).quantize(_TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Bin:
    low: int
    high: int
    count: int

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"


class Cohort:
    """Running statistics of a round.  `add` each finished row once, in any order."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {s: 0 for s in STATUS_LABELS}
        self.rubrics: dict[str, RubricTally] = {}
        self.indicators: dict[tuple[str, str], IndicatorTally] = {}
        self.scores: dict[int, Decimal] = {}
        self.sizes: dict[str, int] = {}

    def add(self, row: ApplicantRow) -> None:
        self.counts[row.status] = self.counts.get(row.status, 0) + 1
        if row.status != "scored":
            return
        score = row.score
        if score is not None:
            self.scores[row.index] = score
        size = row.size_class or "unknown"
        self.sizes[size] = self.sizes.get(size, 0) + 1
        for line in row.lines:
            tally = self.rubrics.get(line.rubric)
            if tally is None:
                tally = self.rubrics[line.rubric] = RubricTally(
                    line.rubric, line.title, line.version, line.tier, line.max
                )
            tally.outcomes[line.pass_status] = tally.outcomes.get(line.pass_status, 0) + 1
            tally.totals.append(line.total)
            for c in line.classes:
                tally.classes.setdefault(c.id, c.title)
        for mark in row.marks:
            key = (mark.rubric, mark.id)
            ind = self.indicators.get(key)
            if ind is None:
                ind = self.indicators[key] = IndicatorTally(mark.rubric, mark.id, mark.title)
            ind.points += mark.points
            ind.max += mark.max
            ind.n += 1
            ind.unknown += mark.status == "unknown"

    def add_marks(self, tally: MarkTally) -> None:
        """Indicator sums for rows added without their marks."""
        for key, (title, points, maximum, n, unknown) in tally.items():
            ind = self.indicators.get(key)
            if ind is None:
                ind = self.indicators[key] = IndicatorTally(key[0], key[1], title)
            ind.points += points
            ind.max += maximum
            ind.n += n
            ind.unknown += unknown

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def ordered_rubrics(self) -> list[RubricTally]:
        """Ladder order (创新型 → 小巨人, then 准备度), then id: the same on every run."""
        rank = {t: i for i, t in enumerate(TIER_ORDER)}
        return sorted(self.rubrics.values(), key=lambda t: (rank.get(t.tier, len(rank)), t.rubric))

    def histogram(self, width: int = 10) -> list[Bin]:
        """Scores (0–100 %) in bins of `width` points; 100 falls in the top bin."""
        edges = list(range(0, 100, width))
        counts = [0] * len(edges)
        for score in self.scores.values():
            slot = min(int(score // width), len(edges) - 1)
            counts[max(slot, 0)] += 1
        return [Bin(low, min(low + width, 100), n) for low, n in zip(edges, counts, strict=True)]

    def bands(self) -> dict[int, Decimal]:
        """The score at each of PERCENTILES, or {} when nothing was scored."""
        ordered = sorted(self.scores.values())
        return {q: quantile(ordered, q) for q in PERCENTILES} if ordered else {}

    def rubric_bands(self, tally: RubricTally) -> dict[int, Decimal]:
        ordered = sorted(tally.totals)
        return {q: quantile(ordered, q) for q in PERCENTILES} if ordered else {}

    def weakest(self, limit: int = 12) -> list[IndicatorTally]:
        """The indicators with the lowest mean share of their maximum."""
        rows = [t for t in self.indicators.values() if t.max > 0]
        return sorted(rows, key=lambda t: (t.mean_percent, t.rubric, t.id))[:limit]


# ---- charts (inline SVG) -----------------------------------------------------------------


def _n(x: float) -> str:
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(
    x: float,
    y: float,
    body: str,
    *,
    size: float = 7,
    anchor: str = "middle",
    fill: str = INK,
    weight: str = "normal",
) -> str:
    from html import escape

    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" text-anchor="{anchor}" '
        f'fill="{fill}" font-weight="{weight}" font-family="{escape(FONT_STACK)}">'
        f"{escape(body)}</text>"
    )


def histogram_svg(
    bins: Sequence[Bin],
    *,
    width: float = 500,
    height: float = 200,
    marks: Mapping[int, Decimal] | None = None,
) -> str:
    """A column chart of the score distribution, with the median and quartiles marked."""
    left, right, top, bottom = 30.0, 8.0, 22.0, 30.0
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((b.count for b in bins), default=0)
    step = max(1, -(-peak // 4))  # four grid lines, whole numbers
    scale_top = max(step * 4, 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart histogram" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}">'
    ]
    for k in range(5):
        y = top + plot_h - plot_h * k * step / scale_top
        out.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(width - right)}" y2="{_n(y)}" '
            f'stroke="{GRID}" stroke-width="{0.8 if k == 0 else 0.4}"/>'
        )
        out.append(_text(left - 4, y + 2.5, str(k * step), anchor="end", size=6.5))
    slot = plot_w / max(len(bins), 1)
    for i, b in enumerate(bins):
        x = left + i * slot
        h = plot_h * b.count / scale_top
        if b.count:
            out.append(
                f'<rect x="{_n(x + 2)}" y="{_n(top + plot_h - h)}" '
                f'width="{_n(slot - 4)}" height="{_n(h)}" fill="{ACCENT}"/>'
            )
            out.append(_text(x + slot / 2, top + plot_h - h - 2.5, str(b.count), size=6.5))
        out.append(_text(x + slot / 2, top + plot_h + 10, b.label, size=6.5))
    out.append(_text(left + plot_w / 2, height - 4, "得分率（%，占满分）", size=7))
    if marks:
        for q, style in ((25, "3 2"), (50, ""), (75, "3 2")):
            value = marks.get(q)
            if value is None:
                continue
            x = left + plot_w * float(value) / 100
            dash = f' stroke-dasharray="{style}"' if style else ""
            out.append(
                f'<line x1="{_n(x)}" y1="{_n(top - 12)}" x2="{_n(x)}" '
                f'y2="{_n(top + plot_h)}" stroke="{FAIL}" stroke-width="1"{dash}/>'
            )
            out.append(_text(x, top - 14, f"P{q}", size=6, fill=FAIL))
    out.append("</svg>")
    return "".join(out)


def band_svg(
    bands: Mapping[int, Decimal], maximum: Decimal, *, width: float = 220, height: float = 14
) -> str:
    """P10–P90 as a light band, P25–P75 darker, the median as a tick, on 0..maximum."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart band" width="{_n(width)}" '
        f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}">',
        f'<rect x="0" y="{_n(height / 2 - 1)}" width="{_n(width)}" height="2" fill="{TRACK}"/>',
    ]
    if bands and maximum > 0:

        def x(q: int) -> float:
            return width * min(max(float(bands[q] / maximum), 0.0), 1.0)

        out.append(
            f'<rect x="{_n(x(10))}" y="2" width="{_n(max(x(90) - x(10), 1))}" '
            f'height="{_n(height - 4)}" fill="{ACCENT_LIGHT}"/>'
        )
        out.append(
            f'<rect x="{_n(x(25))}" y="2" width="{_n(max(x(75) - x(25), 1))}" '
            f'height="{_n(height - 4)}" fill="{ACCENT}"/>'
        )
        out.append(
            f'<rect x="{_n(x(50) - 0.8)}" y="0" width="1.6" height="{_n(height)}" fill="{FAIL}"/>'
        )
    out.append("</svg>")
    return "".join(out)


def rate_svg(counts: Mapping[str, int], *, width: float = 200, height: float = 12) -> str:
    """A stacked bar: passed, undetermined, failed."""
    n = sum(counts.values())
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart rate" width="{_n(width)}" '
        f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}">',
        f'<rect x="0" y="0" width="{_n(width)}" height="{_n(height)}" fill="{TRACK}"/>',
    ]
    x = 0.0
    for key, colour in (("pass", PASS), ("undetermined", "#b26a00"), ("fail", FAIL)):
        w = width * counts.get(key, 0) / n if n else 0
        if w > 0:
            out.append(
                f'<rect x="{_n(x)}" y="0" width="{_n(w)}" height="{_n(height)}" fill="{colour}"/>'
            )
        x += w
    out.append("</svg>")
    return "".join(out)


# ---- the cohort report -------------------------------------------------------------------


def _pct(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = f"{value:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def _num(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def build_context(
    cohort: Cohort,
    *,
    title: str = "",
    generated: dt.date | None = None,
    interrupted: bool = False,
    top: Sequence[ApplicantRow] = (),
    standing: Mapping[int, Standing] | None = None,
    duplicates: int = 0,
) -> dict[str, Any]:
    """Everything cohort.html.j2 shows."""
    from markupsafe import Markup

    generated = generated or dt.date.today()
    bands = cohort.bands()
    bins = cohort.histogram()
    tiers = []
    for t in cohort.ordered_rubrics():
        rb = cohort.rubric_bands(t)
        tiers.append(
            {
                "label": t.label,
                "tier": TIER_LABELS.get(t.tier, t.tier),
                "rubric": t.rubric,
                "title": t.title,
                "version": t.version,
                "n": t.n,
                **t.outcomes,
                "rate": _pct(t.pass_rate),
                "bar": Markup(rate_svg(t.outcomes)),
                "max": _num(t.max),
                "bands": {q: _num(v) for q, v in rb.items()} if t.max > 0 else {},
                "band_svg": Markup(band_svg(rb, t.max)) if t.max > 0 and rb else None,
            }
        )
    weakest = [
        {
            "title": w.title,
            "rubric": w.rubric,
            "label": TIER_SHORT.get(cohort.rubrics[w.rubric].tier, w.rubric)
            if w.rubric in cohort.rubrics
            else w.rubric,
            "mean": _pct(w.mean_percent),
            "n": w.n,
            "unknown": w.unknown,
            "bar": Markup(band_bar(w.mean_percent)),
        }
        for w in cohort.weakest()
    ]
    standing = standing or {}
    leaders = [
        {
            "rank": standing[r.index].rank,
            "name": r.name,
            "score": _pct(r.score),
            "percentile": _num(standing[r.index].percentile),
            "where": Path(r.source).name + (f" 第 {r.row} 行" if r.row else ""),
        }
        for r in top
        if r.index in standing
    ]
    sizes = [
        (SIZE_LABELS.get(k, "未能划型"), v)
        for k, v in sorted(
            cohort.sizes.items(),
            key=lambda kv: (
                ("large", "medium", "small", "micro", "unknown").index(kv[0])
                if kv[0] in ("large", "medium", "small", "micro", "unknown")
                else 9
            ),
        )
    ]
    return {
        "title": title or "专精特新批量自评 · 批次概览",
        "generated": generated.isoformat(),
        "version": assess.__version__,
        "interrupted": interrupted,
        "counts": [
            (STATUS_LABELS[s], cohort.counts.get(s, 0))
            for s in STATUS_LABELS
            if s != "pending" or cohort.counts.get(s, 0)
        ],
        "total": cohort.total,
        "scored": cohort.counts.get("scored", 0),
        "ranked": len(cohort.scores),
        "duplicates": duplicates,
        "tiers": tiers,
        "histogram": Markup(histogram_svg(bins, marks=bands)) if cohort.scores else None,
        "bins": bins,
        "bands": [(q, _num(v)) for q, v in bands.items()],
        "band_svg": Markup(band_svg(bands, HUNDRED, width=300)) if bands else None,
        "weakest": weakest,
        "leaders": leaders,
        "sizes": sizes,
        "css": Markup(_stylesheet()),
    }


def band_bar(percent: Decimal, *, width: float = 120, height: float = 9) -> str:
    fill = width * min(max(float(percent) / 100, 0.0), 1.0)
    colour = FAIL if percent < 40 else ACCENT
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bar" width="{_n(width)}" '
        f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}">'
        f'<rect x="0" y="0" width="{_n(width)}" height="{_n(height)}" fill="{TRACK}"/>'
        f'<rect x="0" y="0" width="{_n(fill)}" height="{_n(height)}" fill="{colour}"/>'
        "</svg>"
    )


@functools.cache
def _environment() -> Any:
    import jinja2

    from assess.rubric.loader import data_dir

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        autoescape=True,  # names and titles come from applicants: text, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def _stylesheet() -> str:
    # Inline, like the applicant report: the document needs nothing fetched at all.
    from assess.rubric.loader import data_dir

    return (data_dir("templates") / STYLESHEET).read_text(encoding="utf-8")


def render_html(cohort: Cohort, **context: Any) -> str:
    """cohort.html.j2 filled from `cohort`; `context` goes to `build_context`."""
    return str(_environment().get_template(TEMPLATE).render(build_context(cohort, **context)))


# One font configuration per process (per thread, for Dask workers that run several
# threads): WeasyPrint sets fontconfig up once and every later document reuses it.
_FONTS = threading.local()


def font_config() -> Any:
    """This process's (thread's) WeasyPrint FontConfiguration, made on first use."""
    import os

    pid = os.getpid()
    if getattr(_FONTS, "pid", None) != pid:  # a forked child must not reuse its parent's
        from weasyprint.text.fonts import FontConfiguration

        _FONTS.config = FontConfiguration()
        _FONTS.pid = pid
    return _FONTS.config


def write_pdf(cohort: Cohort, path: Path, **context: Any) -> None:
    """cohort.pdf, written atomically (`assess.report.pdf.pdf_bytes`: the templates-only
    URL fetcher), with this process's font configuration."""
    from assess.atomic import write_bytes
    from assess.report.pdf import pdf_bytes

    write_bytes(path, pdf_bytes(render_html(cohort, **context), font_config=font_config()))


def top_rows(
    rows: Iterable[ApplicantRow], standing: Mapping[int, Standing], limit: int = 10
) -> list[ApplicantRow]:
    """The best `limit` scored applicants, by rank then input order."""
    ranked = [r for r in rows if r.index in standing]
    ranked.sort(key=lambda r: (standing[r.index].rank, r.index))
    return ranked[:limit]
