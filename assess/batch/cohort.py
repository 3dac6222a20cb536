"""cohort.pdf: the round at a glance — pass rates per tier, the score distribution,
percentile bands, the weakest indicators and the leaders — and the Chinese labels the
summary workbook shares with it.

The figures come from `assess.batch.stats.Cohort`, the applicants from
`assess.batch.records.ApplicantRow`; this module only words and draws them.
cohort.pdf is `templates/cohort.html.j2` (autoescaped) made a PDF by
`assess.report.pdf.pdf_bytes`, with the same URL fetcher as the applicant reports: nothing
outside the templates folder is loaded.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import assess
from assess import catalog
from assess.batch.records import HUNDRED, LADDER_TIERS, ApplicantRow, Ranking, Standing, in_order
from assess.batch.stats import Bin, Cohort
from assess.report.charts import ACCENT, ACCENT_LIGHT, FAIL, FONT_STACK, GRID, INK, PASS, TRACK
from assess.report.words import SIZE_LABELS, TIER_LABELS, TIER_SHORT, LabelTable

TEMPLATE = "cohort.html.j2"
STYLESHEET = "cohort.css"

# The catalog's label tables, read in the language current when a label is looked up.
STATUS_LABELS = LabelTable("label.applicant")
PASS_LABELS = LabelTable("label.pass")
ISSUE_LABELS = LabelTable("label.issue")


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
    out.append(_text(left + plot_w / 2, height - 4, catalog.t("summary.cohort.axis"), size=7))
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
    """A stacked bar: passed, waiting for the platform's score, undetermined, failed."""
    n = sum(counts.values())
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart rate" width="{_n(width)}" '
        f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}">',
        f'<rect x="0" y="0" width="{_n(width)}" height="{_n(height)}" fill="{TRACK}"/>',
    ]
    x = 0.0
    stack = (
        ("pass", PASS),
        ("platform_pending", ACCENT),
        ("undetermined", "#b26a00"),
        ("fail", FAIL),
    )
    for key, colour in stack:
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
    ranking: Ranking | None = None,
) -> dict[str, Any]:
    """Everything cohort.html.j2 shows."""
    from markupsafe import Markup

    from assess.batch.previous import word_place
    from assess.batch.summary_xlsx import industry_rows, region_rows

    generated = generated or dt.date.today()
    bands = cohort.bands()
    bins = cohort.histogram()
    tiers = []
    for t in cohort.ordered_rubrics():
        rb = cohort.rubric_bands(t)
        tiers.append(
            {
                "label": TIER_SHORT.get(t.tier, t.tier),
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
    standing = standing if standing is not None else (ranking.standing if ranking else {})
    official = ranking.official if ranking is not None else cohort.official
    leaders = [
        {
            "rank": standing[r.index].rank,
            "name": r.name,
            "verdict": word_place(r.ladder_place()) if official else "",
            "score": _pct(r.rate(official)),
            "percentile": _num(standing[r.index].percentile),
            "where": Path(r.source).name
            + (" " + catalog.t("summary.cohort.row", row=r.row) if r.row else ""),
        }
        for r in top
        if r.index in standing
    ]
    sizes = [
        (SIZE_LABELS.get(k, catalog.t("label.no_size")), v)
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
        "title": title or catalog.t("summary.cohort.title"),
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
        "ranked": ranking.size if ranking is not None else len(cohort.scores),
        "duplicates": duplicates,
        "tiers": tiers,
        "histogram": Markup(histogram_svg(bins, marks=bands)) if cohort.scores else None,
        "bins": bins,
        "bands": [(q, _num(v)) for q, v in bands.items()],
        "band_svg": Markup(band_svg(bands, HUNDRED, width=300)) if bands else None,
        "weakest": weakest,
        "leaders": leaders,
        "sizes": sizes,
        "official": official,
        "rule": catalog.t("summary.rule.official" if official else "summary.rule.own"),
        "barred": len(ranking.barred) if ranking is not None else 0,
        "superseded": len(ranking.superseded) if ranking is not None else 0,
        "unmet": [
            {"tier": TIER_SHORT.get(tier, tier), "title": title, "n": n}
            for tier, title, n in cohort.most_unmet(10)
        ],
        "regions": region_rows(cohort)[:15],
        "industries": industry_rows(cohort)[:10],
        "ladder": [TIER_SHORT.get(x, x) for x in LADDER_TIERS],
        "css": Markup(_stylesheet()),
    }


def round_title(round_name: str) -> str:
    """cohort.pdf's title: the round named (第一批 · 批次概览)."""
    if not round_name:
        return catalog.t("summary.cohort.title")
    return catalog.t("summary.cohort.round_title", round=round_name)


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

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        autoescape=True,  # names and titles come from applicants: text, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = catalog.t  # the catalog's words, in the language current at render
    return env


@functools.cache
def _stylesheet() -> str:
    # Inline, like the applicant report: the document needs nothing fetched at all.
    from assess.rubric.loader import data_dir

    return (data_dir("templates") / STYLESHEET).read_text(encoding="utf-8")


def render_html(cohort: Cohort, **context: Any) -> str:
    """cohort.html.j2 filled from `cohort`; `context` goes to `build_context`.  A lone
    surrogate (a file name that is not UTF-8) becomes "?": the PDF renderer cannot take it."""
    html = str(_environment().get_template(TEMPLATE).render(build_context(cohort, **context)))
    return html.encode("utf-8", "replace").decode("utf-8")


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
    """The best `limit` scored applicants, by rank then input order (picked from the
    standings, so the rows are only walked to fetch these few)."""
    import heapq

    best = heapq.nsmallest(limit, ((s.rank, index) for index, s in standing.items()))
    wanted = {index for _, index in best}
    found: dict[int, ApplicantRow] = {}
    if not isinstance(rows, Sequence):  # walked twice when a standing has no row
        rows = list(rows)
    # a round's rows are in input order, index 1 first: looked up where they should be
    spots = [index - 1 for _, index in best if 0 < index <= len(rows)]
    if len(spots) == len(best):
        found = {r.index: r for r in in_order(rows, spots) if r.index in wanted}
        if len(found) == len(wanted):
            return [found[index] for _, index in best]
        found = {}
    for r in rows:
        if r.index in wanted:
            found[r.index] = r
            if len(found) == len(wanted):
                return [found[index] for _, index in best]
    # a standing of no row given: the best of the rows there are
    ranked = [r for r in rows if r.index in standing]
    ranked.sort(key=lambda r: (standing[r.index].rank, r.index))
    return ranked[:limit]
