"""The per-applicant tasks: plain picklable data in, compact plain data out.

A batch runs in two phases (`assess.batch.run`), and each has its task here:

1. `score_jobs(jobs, context)` scores a chunk of applicants against their rubrics and sends
   back, per applicant, its summary row, its score records already encoded as JSON (the
   bytes results.jsonl will hold) and its journal line, and, per chunk, the indicator
   tallies of the round's weakest-indicator table: no `Assessment` and no per-indicator
   object crosses the process boundary.
2. `render_reports(jobs, context)` scores an applicant again (a millisecond, against the
   half second of its PDF) and renders its report, which shows the applicant's place in
   the round (`CohortPlace`), known only once every applicant has been scored.

They run wherever the executor puts them: in this process (`--workers 0`), in a local
worker process, or on a Dask worker on another machine; so they read no global state but
the bundled rubrics, and they never raise for a bad applicant: an exception while scoring
or rendering one becomes a "failed" outcome naming the applicant and the stage.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import json
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import assess
from assess.batch.records import ApplicantRow, ClassScore, MarkTally, RubricLine
from assess.batch.verdicts import facts
from assess.catalog import Lang, language, t, using
from assess.intake.firm import Firm
from assess.intake.places import place

if TYPE_CHECKING:
    from assess.results import Assessment, CohortPlace
    from assess.rubric.models import Rubric


@dataclass(frozen=True)
class Job:
    """One applicant to score (and, in phase 2, whose report to render)."""

    index: int
    key: str
    source: str
    sheet: str | None
    row: int | None
    firm: Firm
    rubrics: tuple[str, ...]  # bundled rubric ids, or keys of Context.custom
    report: str = ""  # its PDF, relative to the output folder; "" for none


@dataclass(frozen=True)
class Context:
    """What every job of a batch shares."""

    generated: dt.date  # the date printed on the reports
    outdir: str | None = None  # workers write PDFs here; None: send them back as bytes
    custom: Mapping[str, Rubric] = field(default_factory=dict)  # rubric files by ref
    fingerprints: Mapping[str, str] = field(default_factory=dict)  # ref → content hash
    file_mode: int = 0o644  # for the PDFs workers write (mkstemp would leave 0600)
    lang: Lang = "zh"  # the parent's language: a worker words problems and reports in it


@dataclass(frozen=True)
class Outcome:
    """What became of one applicant in phase 1."""

    index: int
    row: ApplicantRow  # its summary row, without indicator marks (see `Scored.marks`)
    results: bytes  # a JSON array of score records (`jsonout.compact_record`), b"[]" if none
    journal: bytes  # its line for the journal, less the position of `results` there


@dataclass(frozen=True)
class Scored:
    """What a chunk of phase 1 sends back."""

    outcomes: list[Outcome]
    marks: MarkTally  # the chunk's indicator sums, for `Cohort.add_marks`
    seconds: float = 0.0  # CPU time the worker spent on the chunk


@dataclass(frozen=True)
class ReportJob:
    """One report to render in phase 2."""

    job: Job
    place: CohortPlace | None  # None: the applicant has no ranking score


@dataclass(frozen=True)
class Rendered:
    """What became of one report."""

    index: int
    report: str
    error: str = ""  # "" when the PDF was made
    pdf: bytes | None = None  # when the context has no outdir
    seconds: float = 0.0  # CPU time the worker spent on it


# ---- hashes ------------------------------------------------------------------------------


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot hash {type(value).__name__}")


def input_hash(
    firm: Firm, rubrics: Sequence[str], fingerprints: Mapping[str, str] | None = None
) -> str:
    """sha256 of the applicant's values (canonical JSON) and of the rubrics applied to
    them (id and version for bundled ones, the file's content for rubric files), plus the
    version of assess: the same hash means the same scores."""
    prints = []
    for ref in rubrics:
        if fingerprints and ref in fingerprints:
            prints.append([ref, fingerprints[ref]])
        else:
            rubric = bundled(ref)
            prints.append([rubric.id, rubric.version])
    payload = json.dumps(
        {"values": dict(firm.values), "rubrics": prints, "assess": assess.__version__},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_plain,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def place_hash(place: CohortPlace | None, generated: dt.date) -> str:
    """What a report shows beyond the applicant's own data: its place in the round, the
    date printed and the language it is worded in.  A report is made again when this (or
    the input hash) changed."""
    fields: list[Any] = [generated.isoformat(), language()]
    if place is not None:
        fields += [
            place.round_name,
            place.size,
            place.rank,
            str(place.percentile),
            str(place.score_pct),
            place.tier,
            place.verdict,
            place.ladder,
            place.ranked,
            list(place.changes),
        ]
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# ---- helpers -----------------------------------------------------------------------------


def _dedupe(texts: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in texts if t))


def _where(job: Job) -> str:
    return place(job.source, job.sheet, job.row)


def describe_exception(exc: BaseException) -> str:
    """`ValueError: … (engine.py:123)`: the message and the innermost frame."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" ({Path(last.filename).name}:{last.lineno})"
    return text


# Bundled rubrics by id, per process: `get_rubric` checks the file system on every call.
# `assess.batch.warm` fills it in the forkserver (`preload_bundled`), so local workers
# start with it filled.
_BUNDLED: dict[str, Rubric] = {}


def preload_bundled() -> None:
    """Load every bundled rubric into this process's cache at once."""
    from assess.rubric.loader import builtin_rubrics

    _BUNDLED.update(builtin_rubrics())


def bundled(ref: str) -> Rubric:
    rubric = _BUNDLED.get(ref)
    if rubric is None:
        from assess.rubric.loader import get_rubric

        rubric = _BUNDLED[ref] = get_rubric(ref)
    return rubric


def _rubric(ref: str, context: Context) -> Rubric:
    custom = context.custom.get(ref)
    return custom if custom is not None else bundled(ref)


# Phase 1 words each indicator and condition once per distinct input it reads, per worker
# (`engine.decide_reusing`, equal to `engine.decide`); False: every applicant afresh.
REUSE_WORDS = True


def _assess(job: Job, context: Context, *, decided: bool = False) -> list[Assessment]:
    """The applicant's assessments, a verdict waiting for the platform's score with the
    2022 专精特新 points beside it.  `decided`: without the next bands (`engine.decide`,
    each item's result reused from an earlier applicant whose values it reads were the
    same: `engine.decide_reusing`), for phase 1, which writes no report."""
    from assess.engine import decide, decide_reusing, evaluate
    from assess.errors import RubricError
    from assess.rubric.selection import REFERENCE_RUBRIC

    try:
        reference: Rubric | None = bundled(REFERENCE_RUBRIC)
    except RubricError:  # not bundled: no reference figure
        reference = None
    if decided and REUSE_WORDS:
        from assess.compiled import reacher

        firm = job.firm
        out = []
        for ref in job.rubrics:
            rubric = _rubric(ref, context)
            reaches = functools.partial(reacher, rubric, firm)
            out.append(decide_reusing(rubric, firm, reference, reaches))
        return out
    score = decide if decided else evaluate
    return [score(_rubric(ref, context), job.firm, reference) for ref in job.rubrics]


# What every score record of a bundled rubric shares (`jsonout.rubric_part`), by id and
# language, per process: the workers leave it out of each line and results.jsonl writes
# it once.
_PARTS: dict[tuple[str, str], dict[str, Any]] = {}


def rubric_part(ref: str) -> dict[str, Any]:
    """The shared part of a bundled rubric's score records, made from a firm with no data
    (those keys do not depend on the firm)."""
    key = (ref, language())
    part = _PARTS.get(key)
    if part is None:
        from assess.engine import decide
        from assess.report.jsonout import rubric_part as make

        part = _PARTS[key] = make(decide(bundled(ref), Firm({}, "")))
    return part


def result_records(job: Job, context: Context, assessments: Sequence[Assessment]) -> bytes:
    """The applicant's score records as results.jsonl holds them: a bundled rubric's
    without the part it shares with every applicant (`jsonout.line_json`), a rubric
    file's whole (`jsonout.compact_record`); their texts marked for the writer to number
    (`jsonout.marked_array`, `outputs.write_results`)."""
    from assess.report.jsonout import compact_record, line_json, marked_array, marked_dumps

    return marked_array(
        [
            marked_dumps(compact_record(a))
            if ref in context.custom
            else line_json(a, rubric_part(ref), _where(job))
            for ref, a in zip(job.rubrics, assessments, strict=True)
        ]
    )


def _dumps(obj: Any) -> bytes:
    # backslashreplace: a lone surrogate in an applicant's text stays a valid JSON escape
    # (`assess.batch.outputs.utf8`) instead of failing the applicant.
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "backslashreplace")


def journal_line(row: ApplicantRow, marks: list[list[str]] | None = None) -> bytes:
    """The journal's line for a finished applicant, without the `offset` and `length` of
    its scores (`Journal.record_many` puts them in front): `"key":…,"row":{…}}`."""
    data = row.to_json()
    if marks is not None:
        data["marks"] = marks
    line = _dumps({"key": row.key, "hash": row.input_hash, "status": row.status, "row": data})
    return line[1:]


def failed_outcome(job: Job, message: str, digest: str = "") -> Outcome:
    """A "failed" outcome: the applicant is named and `message` says what went wrong."""
    code = job.firm.get("credit_code")
    row = ApplicantRow(
        index=job.index,
        key=job.key,
        source=job.source,
        sheet=job.sheet,
        row=job.row,
        name=job.firm.name,
        credit_code=str(code) if code is not None else "",
        status="failed",
        input_hash=digest,
        error=f"{_where(job)}: {message}",
    )
    return Outcome(job.index, row, b"[]", journal_line(row))


# ---- phase 1: scoring --------------------------------------------------------------------


def scored_row(job: Job, assessments: Sequence[Assessment], digest: str) -> ApplicantRow:
    """The summary row of a scored applicant (no indicator marks: see `score_jobs`)."""
    firm = job.firm
    lines = tuple(
        RubricLine(
            a.rubric,
            a.rubric_title,
            a.rubric_version,
            a.tier,
            a.pass_status,
            a.total,
            a.max,
            tuple(ClassScore(c.id, c.title, c.points, c.max) for c in a.classes),
        )
        for a in assessments
    )
    size = next((a.size_class for a in assessments if a.size_class), None)
    warnings = _dedupe([*firm.warnings, *(w for a in assessments for w in a.warnings)])
    code = firm.get("credit_code")
    return ApplicantRow(
        index=job.index,
        key=job.key,
        source=job.source,
        sheet=job.sheet,
        row=job.row,
        name=firm.name,
        credit_code=str(code) if code is not None else "",
        status="scored",
        size_class=size,
        lines=lines,
        warnings=warnings,
        input_hash=digest,
        **facts(assessments),
    )


def _marks(assessments: Sequence[Assessment], tally: MarkTally) -> list[list[str]]:
    """The applicant's indicator marks as the journal keeps them, added to `tally`."""
    out = []
    for a in assessments:
        rubric = a.rubric
        for i in a.indicators:
            if i.status == "not_assessed" or i.max <= 0:
                continue
            out.append([rubric, i.id, i.title, str(i.points), str(i.max), i.status])
            key = (rubric, i.id)
            sums = tally.get(key)
            if sums is None:
                tally[key] = [i.title, i.points, i.max, 1, int(i.status == "unknown")]
            else:
                sums[1] += i.points
                sums[2] += i.max
                sums[3] += 1
                sums[4] += i.status == "unknown"
    return out


def score_job(job: Job, context: Context, tally: MarkTally) -> Outcome:
    """Score one applicant; its indicator marks go into `tally`."""
    digest = ""
    try:
        digest = input_hash(job.firm, job.rubrics, context.fingerprints)
        assessments = _assess(job, context, decided=True)
        results = result_records(job, context, assessments)
        row = scored_row(job, assessments, digest)
        journal = journal_line(row, _marks(assessments, tally))
    except Exception as exc:
        return failed_outcome(
            job, t("batch.scoring_failed", reason=describe_exception(exc)), digest
        )
    return Outcome(job.index, row, results, journal)


def score_jobs(jobs: Sequence[Job], context: Context) -> Scored:
    """Phase 1 for a chunk of applicants: one round trip to the worker for all of them."""
    start = time.thread_time()
    tally: MarkTally = {}
    with using(context.lang):
        outcomes = [score_job(job, context, tally) for job in jobs]
    return Scored(outcomes, tally, time.thread_time() - start)


# ---- phase 2: reports --------------------------------------------------------------------


def _pdf(
    job: Job, assessments: Sequence[Assessment], place: CohortPlace | None, context: Context
) -> bytes | None:
    from assess.batch.cohort import font_config
    from assess.report.html import render_html
    from assess.report.pdf import pdf_bytes

    extra = {r.id: r for r in context.custom.values()}
    html = render_html(
        assessments, job.firm, generated=context.generated, rubrics=extra or None, cohort=place
    )
    # A lone surrogate (from a file name that is not UTF-8) becomes "?" rather than
    # failing the report: the PDF renderer cannot encode it.
    html = html.encode("utf-8", "replace").decode("utf-8")
    data = pdf_bytes(html, font_config=font_config())
    if context.outdir is None:
        return data
    from assess.atomic import write_bytes

    path = Path(context.outdir) / job.report
    write_bytes(path, data, mode=context.file_mode)
    return None


def render_report(item: ReportJob, context: Context) -> Rendered:
    """Score one applicant again and render its report with its place in the round."""
    start = time.thread_time()
    job = item.job
    try:
        assessments = _assess(job, context)
        data = _pdf(job, assessments, item.place, context)
    except Exception as exc:
        return Rendered(
            job.index,
            job.report,
            t("batch.report_failed", place=_where(job), reason=describe_exception(exc)),
            None,
            time.thread_time() - start,
        )
    return Rendered(job.index, job.report, "", data, time.thread_time() - start)


def render_reports(items: Sequence[ReportJob], context: Context) -> list[Rendered]:
    """Phase 2 for a few reports (usually one: a report takes long enough on its own)."""
    with using(context.lang):
        return [render_report(item, context) for item in items]


def cohort_pdf_bytes(html: str) -> bytes:
    """cohort.pdf from its HTML (`assess.batch.cohort.render_html`), rendered by an idle
    worker while the batch process writes the summary."""
    from assess.batch.cohort import font_config
    from assess.report.pdf import pdf_bytes

    return pdf_bytes(html, font_config=font_config())


def worker_init() -> None:
    """In a local worker process: leave Ctrl-C to the parent, which stops the batch
    cleanly and lets the jobs in flight finish."""
    import signal

    from assess.batch.procs import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    # What the worker was forked with (modules, the bundled rubrics) lives as long as the
    # worker: the cyclic collector need never walk it.
    gc.freeze()
