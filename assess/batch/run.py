"""`assess batch`: score a round of applicants into one output folder.

    OUTDIR/summary.xlsx        汇总 (ranked), 问题清单, 统计
    OUTDIR/results.jsonl       one line per applicant (see `applicant_json`)
    OUTDIR/reports/*.pdf       one report per scored applicant (unless --no-pdf)
    OUTDIR/cohort.pdf          the round at a glance
    OUTDIR/.assess-batch/      what is finished, for --resume (`assess.batch.journal`)

Files are read here, one after another, and their applicants handed to a pool as they are
read; only summary rows stay in memory (the scores go to the journal as they arrive and
are copied into results.jsonl at the end).  A bad applicant or even a crash while scoring
one is a row of the summary, never the end of the batch.  Every output file is written
atomically; on Ctrl-C the jobs in flight finish, the outputs are written for what is done
(the rest listed as 未完成), and `--resume` carries on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import time
import unicodedata
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    CancelledError,
    Future,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import assess
from assess.batch.executors import Pool, make_pool
from assess.batch.inputs import Source, discover, identify
from assess.batch.journal import Entry, Journal
from assess.batch.progress import Progress, make_progress
from assess.batch.task import Context, Job, Outcome, describe_exception, input_hash
from assess.errors import Problem, UserError
from assess.intake.firm import Firm, Record
from assess.report.cohort import ApplicantRow, Cohort, Issue, Standing, standings

if TYPE_CHECKING:
    from assess.rubric.models import Rubric

EXIT_OK, EXIT_SOME_REJECTED, EXIT_NOTHING_READ = 0, 1, 2
INTERRUPT_ENV = "ASSESS_BATCH_INTERRUPT_AFTER"  # tests: Ctrl-C after N finished applicants
STATE_EVERY = 2.0  # seconds between state.json rewrites during a run
MAX_CHUNK = 64  # applicants per round trip to a worker when no PDF is made
REPORTS = "reports"
SUMMARY = "summary.xlsx"
RESULTS = "results.jsonl"
COHORT = "cohort.pdf"


@dataclass(frozen=True)
class BatchOptions:
    inputs: tuple[Path, ...]
    outdir: Path
    rubrics: tuple[str, ...] = ()
    standard: int | None = None
    workers: int | None = None  # None: os.cpu_count(); 0: in this process, no pool
    pdf: bool = True
    resume: bool = False
    scheduler: str | None = None  # a Dask scheduler address
    progress: bool | None = None  # rich bar; None: when stderr is a terminal
    interrupt_after: int | None = None  # tests: behave as if Ctrl-C came after N applicants
    generated: dt.date | None = None  # the date on the reports (default: today)


@dataclass(frozen=True)
class BatchResult:
    applicants: int
    scored: int
    rejected: int
    failed: int
    reused: int  # taken over from the previous run by --resume
    interrupted: bool
    exit_code: int
    seconds: Mapping[str, float] = field(default_factory=dict)  # reading, scoring, outputs


# ---- which rubrics -----------------------------------------------------------------------


class RubricPlan:
    """The rubrics each applicant is scored against: the ones named with --rubric, or the
    official ladder in force for its assessment year (or of --standard) plus readiness."""

    def __init__(self, refs: Sequence[str], standard: int | None):
        from assess.rubric.loader import get_rubric, standards

        if refs and standard is not None:
            raise UserError("choose either --rubric or --standard, not both")
        if standard is not None and standard not in standards():
            raise UserError(f"no bundled standard {standard}; available: "
                            f"{', '.join(map(str, standards()))}")
        self.standard = standard
        self.custom: dict[str, Rubric] = {}
        self.fingerprints: dict[str, str] = {}
        self.fixed: tuple[str, ...] | None = None
        if refs:
            fixed = []
            for ref in refs:
                rubric = get_rubric(ref)  # a RubricError is the user's: exit 2
                path = Path(ref)
                if ref.endswith((".yaml", ".yml")) and path.is_file():
                    key = str(path.resolve())
                    self.custom[key] = rubric
                    self.fingerprints[key] = hashlib.sha256(path.read_bytes()).hexdigest()
                    fixed.append(key)
                else:
                    fixed.append(rubric.id)
            self.fixed = tuple(fixed)
        self._by_year: dict[object, tuple[str, ...]] = {}
        self.note_missing_innovative = False

    def for_firm(self, firm: Firm) -> tuple[str, ...]:
        if self.fixed is not None:
            return self.fixed
        # default_rubrics reads only the firm's assessment_year: one choice per year.
        year = firm.get("assessment_year")
        key = (type(year).__name__, year)
        chosen = self._by_year.get(key)
        if chosen is None:
            from assess.rubric.loader import default_rubrics

            rubrics = default_rubrics(firm, self.standard)
            chosen = tuple(r.id for r in rubrics)
            if rubrics and not any(r.tier == "innovative" for r in rubrics):
                self.note_missing_innovative = True
            self._by_year[key] = chosen
        return chosen

    def describe(self) -> str:
        if self.fixed is not None:
            return ", ".join(Path(r).name if r in self.custom else r for r in self.fixed)
        edition = f"{self.standard} 年版" if self.standard else "按评价年度适用的"
        return f"{edition}官方梯度 + 申报准备度"


# ---- names -------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
NAME_CHARS = 80
NAME_BYTES = 180  # of 255 a file name may have on most file systems, leaving room for -N.pdf


def safe_stem(text: str) -> str:
    """A file name stem from untrusted text: no path separators, control, format (bidi,
    zero-width) or Windows-reserved characters, no leading dot, bounded length."""
    text = unicodedata.normalize("NFC", text)
    text = "".join("_" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
                   for ch in text)
    text = _UNSAFE.sub("_", text).strip().strip(".").strip()
    text = re.sub(r"\s+", " ", text)[:NAME_CHARS]
    while len(text.encode("utf-8")) > NAME_BYTES:
        text = text[:-1]
    if text.split(".")[0].upper() in _RESERVED:
        text = "_" + text
    return text


class ReportNames:
    """`reports/<credit code or name>.pdf`, unique within the round (case-insensitively,
    for Windows and macOS disks): the second of a name gets `-2`."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, firm: Firm, index: int) -> str:
        code = firm.get("credit_code")
        base = safe_stem(str(code)) if code is not None else ""
        base = base or safe_stem(firm.name) or f"applicant-{index}"
        name, n = base, 2
        while name.casefold() in self.used:
            name = f"{base}-{n}"
            n += 1
        self.used.add(name.casefold())
        return f"{REPORTS}/{name}.pdf"


# ---- output files ------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_stream(path: Path) -> Iterator[IO[bytes]]:
    """Write a (large) file through a temp file beside it, renamed over `path` only once
    it is complete and on disk."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def publish(path: Path, data: bytes) -> None:
    """An output file, atomically, with the usual permissions (mkstemp makes 0600)."""
    from assess.atomic import write_bytes

    write_bytes(path, data)
    os.chmod(path, 0o666 & ~_umask())


def _number(value: Any) -> Any:
    from assess.report.jsonout import number

    return number(value)


def applicant_json(row: ApplicantRow, standing: Standing | None) -> dict[str, Any]:
    """results.jsonl's "applicant" object."""
    return {
        "index": row.index, "source": row.source, "sheet": row.sheet, "row": row.row,
        "name": row.name, "credit_code": row.credit_code, "status": row.status,
        "size_class": row.size_class, "score": _number(row.score),
        "rank": standing.rank if standing else None,
        "percentile": _number(standing.percentile) if standing else None,
        "report": row.report or None, "warnings": list(row.warnings),
        "problems": [{"kind": i.kind, "where": i.where, "field": i.field,
                      "message": i.message} for i in row.issues],
        "error": row.error or None, "input_hash": row.input_hash or None,
    }


def flag_duplicates(rows: Sequence[ApplicantRow]) -> tuple[list[ApplicantRow], int]:
    """Rows sharing a credit code each get a `duplicate` issue naming the others."""
    groups: dict[str, list[int]] = {}
    for pos, row in enumerate(rows):
        code = row.credit_code.strip().upper()
        if code:
            groups.setdefault(code, []).append(pos)
    out = list(rows)
    flagged = 0
    for code, members in groups.items():
        if len(members) < 2:
            continue
        for pos in members:
            others = [rows[p].where for p in members[:4] if p != pos][:3]
            more = len(members) - 1
            shown = "；".join(others) + (f" 等 {more} 处" if more > 3 else "")
            issue = Issue("duplicate", rows[pos].where, "credit_code",
                          f"统一社会信用代码 {code} 重复：另见 {shown}")
            out[pos] = replace(out[pos], issues=(*out[pos].issues, issue))
            flagged += 1
    return out, flagged


# ---- the batch ---------------------------------------------------------------------------


def _issue(problem: Problem, kind: str, fallback: str) -> Issue:
    field = problem.path.strip().strip("()")
    where, message = problem.where, problem.message
    if not where:  # "file.xlsx: is damaged": the place is in the message
        where = fallback
        message = message.removeprefix(f"{fallback}:").strip()
    return Issue("file" if kind == "file" else "error", where, field, message)


class _Batch:
    def __init__(self, options: BatchOptions, progress: Progress, pool: Pool,
                 journal: Journal, plan: RubricPlan, generated: dt.date):
        self.options = options
        self.outdir = options.outdir
        self.progress = progress
        self.pool = pool
        self.journal = journal
        self.plan = plan
        self.generated = generated
        self.context = Context(generated=generated,
                               outdir=str(self.outdir.resolve()) if pool.shared_disk
                               else None,
                               custom=plan.custom, fingerprints=plan.fingerprints,
                               file_mode=0o666 & ~_umask())
        self.rows: list[ApplicantRow] = []
        self.cohort = Cohort()
        self.queue: deque[Job] = deque()
        self.retry: deque[Job] = deque()
        self.inflight: dict[Future[list[Outcome]], list[Job]] = {}
        self.generation: dict[Future[list[Outcome]], int] = {}
        self.pool_generation = 0
        self.broken: set[int] = set()
        self.names = ReportNames()
        self.read_any = False
        self.finished_here = 0
        self.reused = 0
        self.last_state = 0.0
        self.cohort_failed = False
        self.reading = 0.0
        env = os.environ.get(INTERRUPT_ENV, "")
        self.interrupt_after = (options.interrupt_after if options.interrupt_after is not None
                                else int(env) if env.strip().isdigit() else None)

    # -- reading ---------------------------------------------------------------------------

    def run(self, sources: Sequence[Source]) -> None:
        for source in sources:
            self._read(source)
            self._pump(block=False)
        while self.queue or self.retry or self.inflight:
            self._pump(block=True)

    def _file_failure(self, source: Source, issues: Sequence[Issue]) -> None:
        key = f"{source.path.resolve()}||"
        row = ApplicantRow(index=len(self.rows) + 1, key=key, source=source.display,
                           status="rejected", issues=tuple(issues))
        self.rows.append(row)
        self.progress.grow(1)
        self._final(row, note=f"unreadable: {issues[0].where}: {issues[0].message}"
                    if issues else "")

    def _read(self, source: Source) -> None:
        from assess.intake import load_records

        if source.problem:
            self._file_failure(source, [Issue("file", source.display, "", source.problem)])
            return
        started = time.perf_counter()
        try:
            records = load_records(source.path)
        except UserError as exc:
            self._file_failure(source, [_issue(p, "file", source.display)
                                        for p in exc.problems])
            return
        except Exception as exc:  # a reader bug must not sink the round
            self._file_failure(source, [Issue("file", source.display, "",
                                              f"could not be read: {describe_exception(exc)}")])
            return
        self.reading += time.perf_counter() - started
        self.read_any = True
        self.progress.grow(len(records))
        names = identify(records) if any(r.firm is None for r in records) else {}
        for i, record in enumerate(records):
            self._applicant(record, names.get(i, ("", "")))
            if i % 256 == 255:
                self._pump(block=False)

    def _key(self, record: Record) -> str:
        return f"{Path(record.source).resolve()}|{record.sheet or ''}|{record.row or ''}"

    def _applicant(self, record: Record, ident: tuple[str, str]) -> None:
        index = len(self.rows) + 1
        key = self._key(record)
        base = ApplicantRow(index=index, key=key, source=record.source, sheet=record.sheet,
                            row=record.row, status="pending")
        firm = record.firm
        if firm is None or record.problems:
            issues = tuple(_issue(p, "error", record.where) for p in record.problems)
            row = replace(base, status="rejected", name=ident[0], credit_code=ident[1],
                          issues=issues)
            self.rows.append(row)
            first = issues[0] if issues else None
            self._final(row, note=f"rejected: {first.where} {first.field}: {first.message}"
                        if first else "")
            return
        code = firm.get("credit_code")
        base = replace(base, name=firm.name, credit_code=str(code) if code else "")
        rubrics = self.plan.for_firm(firm)
        if not rubrics:
            year = firm.get("assessment_year")
            issue = Issue("error", record.where, "assessment_year",
                          f"no bundled rubric is in force for assessment_year {year}; name "
                          "one with --rubric or an edition with --standard")
            row = replace(base, status="rejected", issues=(issue,),
                          warnings=firm.warnings)
            self.rows.append(row)
            self._final(row, note=f"rejected: {record.where}: {issue.message}")
            return
        report = self.names.take(firm, index) if self.options.pdf else ""
        reused = self._reuse(key, firm, rubrics, report, base)
        if reused is not None:
            self.rows.append(reused)
            self.reused += 1
            self._final(reused)
            return
        self.rows.append(base)
        self.queue.append(Job(index, key, record.source, record.sheet, record.row, firm,
                              rubrics, report))

    def _reuse(self, key: str, firm: Firm, rubrics: tuple[str, ...], report: str,
               base: ApplicantRow) -> ApplicantRow | None:
        """The previous run's row when --resume finds this applicant done, unchanged."""
        entry = self.journal.lookup(key)
        if entry is None or entry.status != "scored":
            return None
        if entry.hash != input_hash(firm, rubrics, self.plan.fingerprints):
            return None
        if not self.journal.intact(entry):
            return None
        row = self.journal.row(entry)
        if report and (row.report != report or not (self.outdir / report).is_file()):
            return None
        return replace(row, index=base.index, source=base.source, report=report)

    # -- running ---------------------------------------------------------------------------

    def _chunk(self) -> list[Job]:
        if self.retry:  # a job whose worker died goes alone, so it cannot take others down
            return [self.retry.popleft()]
        if self.options.pdf:
            size = 1
        else:
            size = max(1, min(MAX_CHUNK, len(self.queue) // (self.pool.workers * 4)))
        return [self.queue.popleft() for _ in range(min(size, len(self.queue)))]

    def _pump(self, *, block: bool) -> None:
        while (self.queue or self.retry) and len(self.inflight) < self.pool.slots:
            jobs = self._chunk()
            future = self.pool.submit(jobs, self.context)
            self.inflight[future] = jobs
            self.generation[future] = self.pool_generation
        if not self.inflight:
            return
        done, _ = wait(list(self.inflight), timeout=None if block else 0,
                       return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: self.inflight[f][0].index):
            self._collect(future)

    def _failed(self, job: Job, message: str) -> Outcome:
        code = job.firm.get("credit_code")
        where = job.source if job.sheet is None else \
            f"{job.source} › {job.sheet}" + (f"!{job.row}:{job.row}" if job.row else "")
        row = ApplicantRow(index=job.index, key=job.key, source=job.source, sheet=job.sheet,
                           row=job.row, name=job.firm.name,
                           credit_code=str(code) if code else "", status="failed",
                           error=f"{where}: {message}")
        return Outcome(job.index, row, "[]")

    def _collect(self, future: Future[list[Outcome]]) -> None:
        jobs = self.inflight.pop(future)
        generation = self.generation.pop(future, 0)
        try:
            outcomes = future.result()
        except CancelledError:
            self.queue.extendleft(reversed(jobs))
            return
        except BrokenExecutor as exc:
            # A worker process died (killed, out of memory, a crash in a C library).  Run
            # its jobs again one by one in a fresh pool; a job that breaks it twice fails.
            if generation == self.pool_generation:
                self.pool.restart()
                self.pool_generation += 1
            outcomes = []
            for job in jobs:
                if job.index in self.broken:
                    outcomes.append(self._failed(job, f"the worker process died while "
                                                      f"scoring it ({exc})"))
                else:
                    self.broken.add(job.index)
                    self.retry.append(job)
        except Exception as exc:  # e.g. a Dask worker lost for good
            outcomes = [self._failed(job, f"the worker failed: {describe_exception(exc)}")
                        for job in jobs]
        for outcome in outcomes:
            self._done(outcome)

    def _done(self, outcome: Outcome) -> None:
        row = outcome.row
        if outcome.pdf is not None and row.report:
            try:
                publish(self.outdir / row.report, outcome.pdf)
            except OSError as exc:
                row = replace(row, status="failed", report="",
                              error=f"{row.where}: cannot write {row.report}: {exc}")
        self.journal.record(row, outcome.results)
        note = f"failed: {row.error}" if row.status == "failed" else ""
        self._final(row, note=note)
        self.finished_here += 1
        now = time.monotonic()
        if now - self.last_state >= STATE_EVERY:
            self.last_state = now
            self.write_state(complete=False, interrupted=False)
        if self.interrupt_after is not None and self.finished_here >= self.interrupt_after:
            raise KeyboardInterrupt

    def _final(self, row: ApplicantRow, note: str = "") -> None:
        self.cohort.add(row)
        self.rows[row.index - 1] = replace(row, marks=()) if row.marks else row
        self.progress.advance(row.status, note)

    def drain(self) -> None:
        """After Ctrl-C: keep what finished while the pool shut down."""
        for future in list(self.inflight):
            if future.done() and not future.cancelled() and future.exception() is None:
                jobs = self.inflight.pop(future)
                del jobs
                for outcome in future.result():
                    self.journal.record(outcome.row, outcome.results)
                    if outcome.pdf is not None and outcome.row.report:
                        with contextlib.suppress(OSError):
                            publish(self.outdir / outcome.row.report, outcome.pdf)
                    self._final(outcome.row)

    # -- writing ---------------------------------------------------------------------------

    def write_state(self, *, complete: bool, interrupted: bool) -> None:
        counts = {k: v for k, v in self.cohort.counts.items() if v}
        self.journal.write_state({
            "assess": assess.__version__, "generated": self.generated.isoformat(),
            "options": {"inputs": [str(p) for p in self.options.inputs],
                        "rubrics": list(self.options.rubrics),
                        "standard": self.options.standard, "pdf": self.options.pdf},
            "applicants": len(self.rows), "counts": counts,
            "finished_this_run": self.finished_here, "reused": self.reused,
            "complete": complete, "interrupted": interrupted})

    def _results_of(self, row: ApplicantRow) -> bytes:
        if row.status not in ("scored", "failed"):
            return b"[]"
        entry: Entry | None = self.journal.lookup(row.key)
        if entry is None or entry.hash != row.input_hash:
            return b"[]"
        return self.journal.results(entry)

    def finish(self, *, interrupted: bool) -> tuple[int, int]:
        """Write results.jsonl, summary.xlsx, cohort.pdf and the state; return
        (duplicates flagged, ranked applicants)."""
        for row in self.rows:
            if row.status == "pending":
                self.cohort.add(row)
        rows, duplicates = flag_duplicates(self.rows)
        standing = standings(self.cohort.scores)
        # results.jsonl is mostly copying (and fsyncing) the journal's scores: let it run
        # in a thread while the summary workbook, which is CPU work, is built.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="results") as writer:
            results = writer.submit(self._write_results, rows, standing)
            self._write_reports(rows, standing, duplicates, interrupted)
            results.result()
        self.write_state(complete=not interrupted, interrupted=interrupted)
        self.rows = rows
        return duplicates, len(standing)

    def _write_results(self, rows: Sequence[ApplicantRow],
                       standing: Mapping[int, Standing]) -> None:
        with atomic_stream(self.outdir / RESULTS) as fh:
            for row in rows:
                head = json.dumps(applicant_json(row, standing.get(row.index)),
                                  ensure_ascii=False, separators=(",", ":"))
                fh.write(b'{"applicant":' + head.encode("utf-8") + b',"results":'
                         + self._results_of(row) + b"}\n")

    def _write_reports(self, rows: Sequence[ApplicantRow], standing: Mapping[int, Standing],
                       duplicates: int, interrupted: bool) -> None:
        from assess.report import cohort as cohort_report
        from assess.report.summary_xlsx import RunInfo, write_summary

        info = RunInfo(generated=self.generated.isoformat(),
                       inputs=tuple(str(p) for p in self.options.inputs),
                       rubrics=self.plan.describe(), pdf=self.options.pdf,
                       interrupted=interrupted, version=assess.__version__)
        write_summary(self.outdir / SUMMARY, rows, self.cohort, standing, info,
                      duplicates=duplicates)
        os.chmod(self.outdir / SUMMARY, 0o666 & ~_umask())
        try:
            html = cohort_report.render_html(
                self.cohort, generated=self.generated, interrupted=interrupted,
                top=cohort_report.top_rows(rows, standing), standing=standing,
                duplicates=duplicates)
            publish(self.outdir / COHORT, cohort_report.pdf_bytes(html))
        except Exception as exc:  # the other outputs stand; say what went wrong
            self.progress.say(f"error: cohort.pdf could not be made: "
                              f"{describe_exception(exc)}")
            self.cohort_failed = True


def run_batch(options: BatchOptions, progress: Progress | None = None) -> BatchResult:
    """Run a batch (see the module docstring).  Raises UserError for bad options or
    rubrics, and KeyboardInterrupt after writing the outputs when interrupted."""
    outdir = options.outdir
    if outdir.exists() and not outdir.is_dir():
        raise UserError(f"{outdir}: exists and is not a folder")
    if not options.inputs:
        raise UserError("name at least one questionnaire file or folder")
    plan = RubricPlan(options.rubrics, options.standard)
    outdir.mkdir(parents=True, exist_ok=True)
    if options.pdf:
        (outdir / REPORTS).mkdir(exist_ok=True)
        from assess.report.pdf import check_speed

        check_speed()
    sources = discover(options.inputs, exclude=outdir)
    workers = options.workers if options.workers is not None else (os.cpu_count() or 1)
    pool = make_pool(workers, pdf=options.pdf, scheduler=options.scheduler)
    try:
        journal = Journal(outdir, resume=options.resume)
    except BaseException:
        pool.close(cancel=True)
        raise
    generated = options.generated
    if generated is None and options.resume:
        with contextlib.suppress(KeyError, ValueError, TypeError):
            generated = dt.date.fromisoformat(journal.previous["generated"])
    generated = generated or dt.date.today()
    progress = progress or make_progress(options.progress)
    batch = _Batch(options, progress, pool, journal, plan, generated)
    interrupted = False
    started = time.perf_counter()
    try:
        try:
            batch.write_state(complete=False, interrupted=False)
            batch.run(sources)
        except KeyboardInterrupt:
            interrupted = True
            progress.say("interrupted: finishing the applicants in progress and writing "
                         "the outputs for what is done; run again with --resume to go on")
        finally:
            pool.close(cancel=True)
        if interrupted:
            batch.drain()
        if plan.note_missing_innovative:
            progress.say("note: the bottom tier of this edition (科技和创新型中小企业) has no "
                         "bundled criteria; --standard 2022 scores the 2022 创新型 standard")
        scored_at = time.perf_counter()
        duplicates, _ = batch.finish(interrupted=interrupted)
    finally:
        progress.close()
        journal.close()
    counts = batch.cohort.counts
    result = BatchResult(
        applicants=len(batch.rows), scored=counts.get("scored", 0),
        rejected=counts.get("rejected", 0), failed=counts.get("failed", 0),
        reused=batch.reused, interrupted=interrupted,
        exit_code=(EXIT_NOTHING_READ if not batch.read_any
                   else EXIT_OK if counts.get("scored", 0) == len(batch.rows)
                   and not batch.cohort_failed else EXIT_SOME_REJECTED),
        seconds={"reading": batch.reading, "reading_and_scoring": scored_at - started,
                 "outputs": time.perf_counter() - scored_at})
    if interrupted:
        raise KeyboardInterrupt
    progress.say(_summary_line(result, outdir, duplicates))
    return result


def _summary_line(result: BatchResult, outdir: Path, duplicates: int) -> str:
    parts = [f"{result.applicants} applicants: {result.scored} scored"]
    if result.rejected:
        parts.append(f"{result.rejected} rejected")
    if result.failed:
        parts.append(f"{result.failed} failed")
    if result.reused:
        parts.append(f"{result.reused} taken from the previous run")
    if duplicates:
        parts.append(f"{duplicates} with a duplicated credit code")
    return ", ".join(parts) + f" → {outdir}/{SUMMARY}"


def read_results(path: Path) -> Iterator[Mapping[str, Any]]:
    """The lines of a results.jsonl (for tools and tests)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
