"""The work the web mode hands to its process pools: read an upload, score it, render its
PDF, write a filled questionnaire.  Everything here runs in a pool process, never on the
server's event loop, and takes and returns plain values (bytes, strings, dicts): a scored
assessment holds compiled formulas that do not cross a process boundary, so the worker
sends back the texts the pages, the API and the PDF need.

Nothing the firm sent is written to disk.  The workbook reader reads a path; the upload is
handed to it as an anonymous in-memory file (`memfd_create`) under `/proc/self/fd`, and the
places in its messages are given back the name the firm's browser sent.

Each job runs under a time limit in CPU seconds (`limited`): a timer signal in the worker
raises `Overtime`, a `BaseException`, so that no reader's `except Exception` turns it into
a "damaged file" message.  The server adds its own deadline around the job in case native
code holds the worker past the signal.
"""

from __future__ import annotations

import dataclasses
import os
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from assess.catalog import Lang, using
from assess.errors import InputError, Problem, UserError

R = TypeVar("R")


class Overtime(BaseException):  # not Exception: no reader's `except Exception` may catch it
    """The job ran past its time limit."""


def limited(seconds: float, fn: Callable[..., R], *args: Any) -> R:
    """`fn(*args)` in this (pool) process, stopped with `Overtime` once it has used
    `seconds` of CPU time (`ITIMER_PROF`): what the limit guards against is a job that
    computes too long, and on a busy machine the wall time of a sound job grows."""

    def on_timer(signum: int, frame: object) -> None:
        raise Overtime

    previous = signal.signal(signal.SIGPROF, on_timer)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        return fn(*args)
    except Exception as exc:
        # Python wraps what is raised in some places (a class body's `__set_name__` gives a
        # RuntimeError): the limit, reached there, is still the limit.
        if _overtime_within(exc):
            raise Overtime from exc
        raise
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _overtime_within(exc: BaseException) -> bool:
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, Overtime):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


@dataclass(frozen=True)
class Options:
    """What the firm chose besides its data: the standard's edition and a review."""

    standard: int | None = None
    review: bool = False


@dataclass(frozen=True)
class Scored:
    """One firm scored: what the result page, the API and the downloads need."""

    name: str
    report_html: str  # the report, as `assess score --html` writes it
    records: list[dict[str, Any]]  # the score contract, plan included, one per rubric
    values: dict[str, Any]  # field id → value, for the filled questionnaire
    warnings: list[str] = field(default_factory=list)
    summary: list[dict[str, str]] = field(default_factory=list)  # tier, verdict, rubric


@dataclass(frozen=True)
class Refused:
    """Input that cannot be scored: every problem, each with its place."""

    problems: list[Problem]


Outcome = Scored | Refused


_JOB_MODULES = (
    "assess.intake.firm",
    "assess.intake.workbook",
    "assess.engine",
    "assess.fields",
    "assess.report.jsonout",
    "assess.report.view",
    "assess.rubric.selection",
)


def warm() -> None:
    """Load what every job needs once per pool process (rubrics, templates, catalog)."""
    import importlib

    from assess.catalog import catalog
    from assess.report.environment import template
    from assess.rubric.loader import builtin_rubrics

    # What a job imports, imported here: the first job would otherwise import it inside its
    # time limit, on a busy machine past it.
    for module in _JOB_MODULES:
        importlib.import_module(module)
    catalog()
    builtin_rubrics()
    template()


def warm_pdf() -> None:
    # A PDF takes a second or more of CPU; scoring an upload and answering pages take tens
    # of milliseconds.  The PDF workers give way to them (a quarter of their CPU share when
    # both want it), so a queue of PDFs does not hold up an upload or the server itself on a
    # two-core machine; at 10 they starved when other programs kept the machine busy.
    os.nice(5)
    warm()
    from assess.report.startup import import_weasyprint

    import_weasyprint()  # the PDF worker's one slow import, paid at start


# ---------------------------------------------------------------- reading an upload


def _renamed(problem: Problem, memfd: str, name: str) -> Problem:
    return dataclasses.replace(
        problem,
        where=problem.where.replace(memfd, name),
        message=problem.message.replace(memfd, name),
    )


def looks_like_json(data: bytes) -> bool:
    """Firm data as JSON, by its content: the first character is `{`."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def read_json(data: bytes, name: str) -> Any:
    """The firm of a JSON upload, through intake's JSON reader (duplicate keys, nesting
    depth and figures as exact decimals are its concern)."""
    from assess.intake.firm import _EXAMPLE, _load_json, file_error, firm_from_mapping

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise file_error(name, "intake.file.not_utf8") from None
    mapping = _load_json(text, name)
    if not isinstance(mapping, dict):
        raise file_error(name, "intake.file.not_object", example=_EXAMPLE)
    return firm_from_mapping(mapping, name)


def read_xlsx(data: bytes, name: str) -> Any:
    """The one firm of a questionnaire workbook, read from memory by intake's reader (its
    file guard first: zip bombs, DTDs, oversized sheets, .xls, a text file renamed)."""
    from assess.intake.workbook import read_workbook

    fd = os.memfd_create("upload", os.MFD_CLOEXEC)
    memfd = f"/proc/self/fd/{fd}"
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        try:
            records = read_workbook(Path(memfd))
        except UserError as exc:
            raise InputError([_renamed(p, memfd, name) for p in exc.problems]) from None
    finally:
        os.close(fd)
    if len(records) != 1:
        raise InputError([Problem.coded(name, "", "web.upload.many_firms", count=len(records))])
    record = records[0]
    if record.firm is None or record.problems:
        raise InputError([_renamed(p, memfd, name) for p in record.problems])
    firm = record.firm
    return dataclasses.replace(
        firm,
        source=name,
        warnings=tuple(w.replace(memfd, name) for w in firm.warnings),
        notices=tuple(_renamed(p, memfd, name) for p in firm.notices),
    )


def read_upload(data: bytes, name: str) -> Any:
    """The firm in an uploaded file, by its content: JSON, else a workbook (whose guard
    words what else it may be: .xls, CSV, PDF, a text file)."""
    if not data:
        raise InputError([Problem.coded(name, "", "web.upload.empty")])
    if looks_like_json(data):
        return read_json(data, name)
    return read_xlsx(data, name)


# ---------------------------------------------------------------- scoring


def score_firm(firm: Any, options: Options) -> Outcome:
    """Score a firm read by intake exactly as `assess score` does, and render its report."""
    from assess.engine import evaluate
    from assess.report.environment import template
    from assess.report.jsonout import record
    from assess.report.view import build_context
    from assess.rubric.selection import RubricPlan, no_rubric_in_force, reference_rubric

    plan = RubricPlan((), options.standard, options.review)
    chosen = plan.rubrics_for(firm)
    if not chosen:
        year = firm.get("assessment_year")
        return Refused([Problem("", "assessment_year", no_rubric_in_force(year))])
    reference = reference_rubric()
    assessments = [evaluate(rubric, firm, reference) for rubric in chosen]
    context = build_context(assessments, firm)
    # The official verdicts; the readiness score is advice, which the report words itself.
    summary = [
        {"tier": v.tier_label, "verdict": v.word, "css": v.css, "rubric": v.rubric}
        for v in context["verdicts"]
        if v.assessed
    ]
    return Scored(
        name=firm.name,
        report_html=template().render(context),  # render_html, without a second context
        records=[record(a) for a in assessments],
        values=dict(firm.values),
        warnings=list(context["warnings"]),
        summary=summary,
    )


def _outcome(read: Callable[[], Any], options: Options) -> Outcome:
    try:
        firm = read()
        return score_firm(firm, options)
    except UserError as exc:
        return Refused(list(exc.problems))


def score_upload(data: bytes, name: str, options: Options, lang: Lang, seconds: float) -> Outcome:
    """Pool job: an uploaded file (xlsx or JSON) → its scorecard or its problems."""
    with using(lang):
        return limited(seconds, _outcome, lambda: read_upload(data, name), options)


def answers_firm(answers: Mapping[str, str], source: str) -> Any:
    """The firm of the online questionnaire's answers (field id → text as typed), checked
    by the same value reader as a cell of the Excel questionnaire; `InputError` with every
    problem, each placed at its question's label.  Blank answers are unknown."""
    from assess.fields import FIELDS_BY_ID
    from assess.intake.firm import firm_from_mapping

    where = {k: FIELDS_BY_ID[k].label for k in answers if k in FIELDS_BY_ID}
    values = {k: v for k, v in answers.items() if k in FIELDS_BY_ID and v.strip()}
    return firm_from_mapping(values, source, where)


def form_firm(answers: Mapping[str, str], source: str) -> Any:
    """`answers_firm`, with the questionnaire's required answers (企业名称) required, as
    the 问卷 sheet's reader requires them."""
    from assess.fields import FIELDS

    missing = [
        Problem.coded(spec.label, spec.id, "intake.value.required", label=spec.label)
        for spec in FIELDS
        if spec.required and not answers.get(spec.id, "").strip()
    ]
    try:
        firm = answers_firm(answers, source)
    except InputError as exc:
        raise InputError([*exc.problems, *missing]) from None
    if missing:
        raise InputError(missing)
    return firm


def score_form(
    answers: dict[str, str], source: str, options: Options, lang: Lang, seconds: float
) -> Outcome:
    """Pool job: the online questionnaire's answers → the scorecard or the problems."""
    with using(lang):
        return limited(seconds, _outcome, lambda: form_firm(answers, source), options)


# ---------------------------------------------------------------- downloads


def render_pdf(report_html: str, seconds: float) -> bytes:
    """Pool job: the PDF of a report, rendered into memory (WeasyPrint writes a BytesIO)."""
    from assess.report.pdf import pdf_bytes

    return limited(seconds, pdf_bytes, report_html)


def _template(values: Mapping[str, object] | None) -> bytes:
    from assess.intake.template import template_bytes

    return template_bytes(None, form=values)


def questionnaire(values: dict[str, Any] | None, lang: Lang, seconds: float) -> bytes:
    """Pool job: the Excel questionnaire, blank or filled with a firm's answers."""
    with using(lang):
        return limited(seconds, _template, values)


@dataclass(frozen=True)
class Workbook:
    """A filled Excel questionnaire and the firm's name, for the file's name."""

    name: str
    data: bytes


def _answers_workbook(answers: Mapping[str, str], source: str) -> Workbook | Refused:
    try:
        firm = answers_firm(answers, source)
    except UserError as exc:
        return Refused(list(exc.problems))
    return Workbook(firm.name, _template(dict(firm.values)))


def answers_workbook(
    answers: dict[str, str], source: str, lang: Lang, seconds: float
) -> Workbook | Refused:
    """Pool job: the online questionnaire's answers as a filled Excel questionnaire, to go
    on later; a partial form is fine, answers that do not read come back as problems."""
    with using(lang):
        return limited(seconds, _answers_workbook, answers, source)
