"""The per-applicant task: plain picklable data in, plain data out.

`run_job(job, context)` scores one applicant against its rubrics and, when asked, renders
its PDF.  It runs wherever the executor puts it: in this process (`--workers 0`), in a
local worker process, or on a Dask worker on another machine; so it reads no global state
but the bundled rubrics, and it never raises for a bad applicant: an exception while
scoring or rendering becomes a "failed" row naming the applicant and the stage, and the
batch goes on.  `run_jobs` runs a few jobs in one call, to save round trips when no PDF
is made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import assess
from assess.intake.firm import Firm
from assess.report.cohort import ApplicantRow, ClassScore, IndicatorMark, RubricLine

if TYPE_CHECKING:
    from assess.results import Assessment
    from assess.rubric.models import Rubric


@dataclass(frozen=True)
class Job:
    """One applicant to score."""

    index: int
    key: str
    source: str
    sheet: str | None
    row: int | None
    firm: Firm
    rubrics: tuple[str, ...]  # bundled rubric ids, or keys of Context.custom
    report: str = ""  # the PDF to make, relative to the output folder; "" for none


@dataclass(frozen=True)
class Context:
    """What every job of a batch shares."""

    generated: dt.date  # the date printed on the reports
    outdir: str | None = None  # workers write PDFs here; None: send them back as bytes
    custom: Mapping[str, Rubric] = field(default_factory=dict)  # rubric files by ref
    fingerprints: Mapping[str, str] = field(default_factory=dict)  # ref → content hash
    file_mode: int = 0o644  # for the PDFs workers write (mkstemp would leave 0600)


@dataclass(frozen=True)
class Outcome:
    """What became of one job."""

    index: int
    row: ApplicantRow
    results: str  # a JSON array of score-contract records (`jsonout.record`), "[]" if none
    pdf: bytes | None = None  # when the context has no outdir
    seconds: float = 0.0


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot hash {type(value).__name__}")


def input_hash(firm: Firm, rubrics: Sequence[str],
               fingerprints: Mapping[str, str] | None = None) -> str:
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
    payload = json.dumps({"values": dict(firm.values), "rubrics": prints,
                          "assess": assess.__version__},
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                         default=_plain)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _dedupe(texts: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in texts if t))


def scored_row(job: Job, assessments: Sequence[Assessment], digest: str) -> ApplicantRow:
    """The summary row of a scored applicant (everything but the PDF)."""
    firm = job.firm
    lines = tuple(
        RubricLine(a.rubric, a.rubric_title, a.rubric_version, a.tier, a.pass_status,
                   a.total, a.max, tuple(ClassScore(c.id, c.title, c.points, c.max)
                                         for c in a.classes))
        for a in assessments)
    marks = tuple(IndicatorMark(a.rubric, i.id, i.title, i.points, i.max, i.status)
                  for a in assessments for i in a.indicators
                  if i.status != "not_assessed" and i.max > 0)
    size = next((a.size_class for a in assessments if a.size_class), None)
    warnings = _dedupe([*firm.warnings, *(w for a in assessments for w in a.warnings)])
    code = firm.get("credit_code")
    return ApplicantRow(index=job.index, key=job.key, source=job.source, sheet=job.sheet,
                        row=job.row, name=firm.name,
                        credit_code=str(code) if code is not None else "",
                        status="scored", size_class=size, lines=lines, warnings=warnings,
                        input_hash=digest, marks=marks)


def _where(job: Job) -> str:
    if job.sheet is None:
        return job.source
    return f"{job.source} › {job.sheet}" + (f"!{job.row}:{job.row}" if job.row else "")


def describe_exception(exc: BaseException) -> str:
    """`ValueError: … (engine.py:123)`: the message and the innermost frame."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" ({Path(last.filename).name}:{last.lineno})"
    return text


# Bundled rubrics by id, per process: `get_rubric` checks the file system on every call.
_BUNDLED: dict[str, Rubric] = {}


def bundled(ref: str) -> Rubric:
    rubric = _BUNDLED.get(ref)
    if rubric is None:
        from assess.rubric.loader import get_rubric

        rubric = _BUNDLED[ref] = get_rubric(ref)
    return rubric


def _rubric(ref: str, context: Context) -> Rubric:
    custom = context.custom.get(ref)
    return custom if custom is not None else bundled(ref)


def _results_json(assessments: Sequence[Assessment]) -> str:
    from assess.report.jsonout import record

    return json.dumps([record(a) for a in assessments], ensure_ascii=False,
                      separators=(",", ":"))


def _pdf(job: Job, assessments: Sequence[Assessment], context: Context) -> bytes | None:
    from assess.report.cohort import pdf_bytes
    from assess.report.html import render_html

    extra = {r.id: r for r in context.custom.values()}
    html = render_html(assessments, job.firm, generated=context.generated,
                       rubrics=extra or None)
    data = pdf_bytes(html)
    if context.outdir is None:
        return data
    from assess.atomic import write_bytes

    path = Path(context.outdir) / job.report
    write_bytes(path, data)
    os.chmod(path, context.file_mode)
    return None


def run_job(job: Job, context: Context) -> Outcome:
    """Score one applicant (and render its PDF when `job.report` is set)."""
    start = time.perf_counter()
    digest = ""
    try:
        from assess.engine import evaluate

        digest = input_hash(job.firm, job.rubrics, context.fingerprints)
        assessments = [evaluate(_rubric(ref, context), job.firm) for ref in job.rubrics]
        results = _results_json(assessments)
        row = scored_row(job, assessments, digest)
    except Exception as exc:
        code = job.firm.get("credit_code")
        row = ApplicantRow(index=job.index, key=job.key, source=job.source, sheet=job.sheet,
                           row=job.row, name=job.firm.name,
                           credit_code=str(code) if code is not None else "",
                           status="failed", input_hash=digest,
                           error=f"{_where(job)}: scoring failed: {describe_exception(exc)}")
        return Outcome(job.index, row, "[]", None, time.perf_counter() - start)
    data = None
    if job.report:
        try:
            data = _pdf(job, assessments, context)
            row = replace(row, report=job.report)
        except Exception as exc:
            row = replace(row, status="failed",
                          error=f"{_where(job)}: the PDF report failed: "
                                f"{describe_exception(exc)}")
    return Outcome(job.index, row, results, data, time.perf_counter() - start)


def run_jobs(jobs: Sequence[Job], context: Context) -> list[Outcome]:
    """`run_job` over a few jobs: one round trip to the worker for all of them."""
    return [run_job(job, context) for job in jobs]


def worker_init() -> None:
    """In a local worker process: leave Ctrl-C to the parent, which stops the batch
    cleanly and lets the jobs in flight finish."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
