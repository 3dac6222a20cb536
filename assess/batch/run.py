"""`assess batch`: score a round of applicants into one output folder.

    OUTDIR/summary.xlsx        汇总 (ranked), 问题清单, 统计
    OUTDIR/results.jsonl       one line per applicant (see `applicant_json`)
    OUTDIR/reports/*.pdf       one report per scored applicant (unless --no-pdf)
    OUTDIR/cohort.pdf          the round at a glance
    OUTDIR/.assess-batch/      what is finished, for --resume (`assess.batch.journal`)

Two phases.  1: files are read here, one after another, and their applicants handed to a
pool in chunks as they are read (`task.score_jobs`); only summary rows stay in memory (the
scores go to the journal as they arrive and are copied into results.jsonl at the end).
Then the round is ranked.  2 (with PDFs): each scored applicant's report is rendered on
the pool with its place in the round (`task.render_reports`), which only the whole round
decides; a PDF made by a previous run is kept when neither the applicant's data nor its
place changed.  Finally summary.xlsx, results.jsonl and cohort.pdf (on an idle worker).

A bad applicant or even a crash while scoring one is a row of the summary, never the end
of the batch; a report that cannot be made leaves its applicant scored and ranked, with
the error in its row.  Every output file is written atomically; on Ctrl-C the jobs in
flight finish, the outputs are written for what is done (the rest listed as 未完成, or
without a report), and `--resume` carries on.
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
from assess.batch.task import (
    Context,
    Job,
    Rendered,
    ReportJob,
    Scored,
    cohort_pdf_bytes,
    describe_exception,
    failed_outcome,
    input_hash,
    place_hash,
    render_reports,
    score_jobs,
)
from assess.errors import Problem, UserError
from assess.intake.firm import Firm, Record
from assess.report.cohort import ApplicantRow, Cohort, Issue, Standing, standings

if TYPE_CHECKING:
    from assess.results import CohortPlace
    from assess.rubric.models import Rubric

EXIT_OK, EXIT_SOME_REJECTED, EXIT_NOTHING_READ = 0, 1, 2
INTERRUPT_ENV = "ASSESS_BATCH_INTERRUPT_AFTER"  # tests: Ctrl-C after N (interrupt_after)
STATE_EVERY = 2.0  # seconds between state.json rewrites during a run
MAX_CHUNK = 64  # applicants per round trip to a worker while scoring
AHEAD = 2048  # applicants handed to the pool ahead of the workers while scoring
RESULTS_GROUP = 512  # applicants whose scores are read from the journal at once
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
    # tests: behave as if Ctrl-C came once N applicants were scored or reports made (checked
    # after each chunk of scores and each report)
    interrupt_after: int | None = None
    generated: dt.date | None = None  # the date on the reports (default: today)
    round_name: str | None = None  # the round, on each report (default: OUTDIR's name)


@dataclass(frozen=True)
class BatchResult:
    applicants: int
    scored: int
    rejected: int
    failed: int
    reused: int  # taken over from the previous run by --resume
    interrupted: bool
    exit_code: int
    # reading (the files alone), reading_and_scoring (phase 1), reports (phase 2), outputs
    seconds: Mapping[str, float] = field(default_factory=dict)
    reports: int = 0  # PDFs made by this run
    reports_reused: int = 0  # PDFs kept from the previous run (same data, same place)
    reports_failed: int = 0  # scored applicants whose PDF could not be made


# ---- which rubrics -----------------------------------------------------------------------


class RubricPlan:
    """The rubrics each applicant is scored against: the ones named with --rubric, or the
    official ladder in force for its assessment year (or of --standard) plus readiness."""

    def __init__(self, refs: Sequence[str], standard: int | None):
        from assess.rubric.loader import get_rubric, standards

        if refs and standard is not None:
            raise UserError("choose either --rubric or --standard, not both")
        if standard is not None and standard not in standards():
            raise UserError(
                f"no bundled standard {standard}; available: {', '.join(map(str, standards()))}"
            )
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
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
NAME_CHARS = 80
NAME_BYTES = 180  # of 255 a file name may have on most file systems, leaving room for -N.pdf


def safe_stem(text: str) -> str:
    """A file name stem from untrusted text: no path separators, control, format (bidi,
    zero-width) or Windows-reserved characters, no leading dot, bounded length."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        "_" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
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
        "index": row.index,
        "source": row.source,
        "sheet": row.sheet,
        "row": row.row,
        "name": row.name,
        "credit_code": row.credit_code,
        "status": row.status,
        "size_class": row.size_class,
        "score": _number(row.score),
        "rank": standing.rank if standing else None,
        "percentile": _number(standing.percentile) if standing else None,
        "report": row.report or None,
        "warnings": list(row.warnings),
        "problems": [
            {"kind": i.kind, "where": i.where, "field": i.field, "message": i.message}
            for i in row.issues
        ],
        "error": row.error or None,
        "input_hash": row.input_hash or None,
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
            issue = Issue(
                "duplicate",
                rows[pos].where,
                "credit_code",
                f"统一社会信用代码 {code} 重复：另见 {shown}",
            )
            out[pos] = replace(out[pos], issues=(*out[pos].issues, issue))
            flagged += 1
    return out, flagged


# ---- the batch ---------------------------------------------------------------------------


def _load(source: Source) -> tuple[list[Record] | None, list[Issue], float]:
    """Read one file (in the reader thread): (its records, [], seconds), or (None, why it
    could not be read, seconds)."""
    from assess.intake import load_records

    if source.problem:
        return None, [Issue("file", source.display, "", source.problem)], 0.0
    started = time.perf_counter()
    try:
        records = load_records(source.path)
    except UserError as exc:
        return None, [_issue(p, "file", source.display) for p in exc.problems], 0.0
    except Exception as exc:  # a reader bug must not sink the round
        return (
            None,
            [Issue("file", source.display, "", f"could not be read: {describe_exception(exc)}")],
            0.0,
        )
    return records, [], time.perf_counter() - started


def _index(item: Job | ReportJob) -> int:
    return item.index if isinstance(item, Job) else item.job.index


def _first_index(task: tuple[str, list[Any]]) -> int:
    return _index(task[1][0])


def _issue(problem: Problem, kind: str, fallback: str) -> Issue:
    field = problem.path.strip().strip("()")
    where, message = problem.where, problem.message
    if not where:  # "file.xlsx: is damaged": the place is in the message
        where = fallback
        message = message.removeprefix(f"{fallback}:").strip()
    return Issue("file" if kind == "file" else "error", where, field, message)


class _Batch:
    def __init__(
        self,
        options: BatchOptions,
        progress: Progress,
        pool: Pool,
        journal: Journal,
        plan: RubricPlan,
        generated: dt.date,
    ):
        self.options = options
        self.outdir = options.outdir
        self.round_name = options.round_name or options.outdir.resolve().name or str(options.outdir)
        self.progress = progress
        self.pool = pool
        self.journal = journal
        self.plan = plan
        self.generated = generated
        self.context = Context(
            generated=generated,
            outdir=str(self.outdir.resolve()) if pool.shared_disk else None,
            custom=plan.custom,
            fingerprints=plan.fingerprints,
            file_mode=0o666 & ~_umask(),
        )
        self.rows: list[ApplicantRow] = []
        self.cohort = Cohort()
        self.queue: deque[Job] = deque()
        self.retry: deque[Any] = deque()
        self.inflight: dict[Future[Any], tuple[str, list[Any]]] = {}
        self.generation: dict[Future[Any], int] = {}
        self.pool_generation = 0
        self.broken: set[int] = set()
        self.names = ReportNames()
        self.to_report: dict[int, Job] = {}  # index → its job, for phase 2 (with PDFs)
        self.read_any = False
        self.finished_here = 0
        self.reused = 0
        self.reports_made = 0
        self.reports_reused = 0
        self.reports_failed = 0
        self.last_state = 0.0
        self.cohort_failed = False
        self.reading = 0.0
        self.worker_cpu = 0.0  # what the workers report of their CPU time
        self.phase = "scoring"
        self.place_hashes: dict[int, str] = {}
        self.timings: dict[str, float] = {}
        self._cohort_started = 0.0
        self._resolved: dict[str, str] = {}
        env = os.environ.get(INTERRUPT_ENV, "")
        self.interrupt_after = (
            options.interrupt_after
            if options.interrupt_after is not None
            else int(env)
            if env.strip().isdigit()
            else None
        )

    # -- phase 1: reading and scoring ------------------------------------------------------

    def run(self, sources: Sequence[Source]) -> None:
        """Phase 1.  A thread reads the next file while this one hands out the applicants
        of the file before and collects the scores coming back.  (Reading in the pool's
        workers instead was measured: as fast for 100,000 applicants, where every core is
        busy either way, with a higher peak of memory here.)"""
        reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read")
        try:
            loading = [reader.submit(_load, s) for s in sources[:1]]
            for i, source in enumerate(sources):
                current = loading.pop(0)
                if i + 1 < len(sources):
                    loading.append(reader.submit(_load, sources[i + 1]))
                while not current.done():
                    self._pump(block=True, also=current)
                loaded = current.result()
                del current  # its records, once handed out, need not stay in memory
                self._take(source, *loaded)
                del loaded
                self._pump(block=False)
        finally:
            reader.shutdown(wait=False, cancel_futures=True)
        while self.queue or self.retry or self.inflight:
            self._pump(block=True, final=True)

    def _file_failure(self, source: Source, issues: Sequence[Issue]) -> None:
        key = f"{source.path.resolve()}||"
        row = ApplicantRow(
            index=len(self.rows) + 1,
            key=key,
            source=source.display,
            status="rejected",
            issues=tuple(issues),
        )
        self.rows.append(row)
        self.progress.grow(1)
        self._final(
            row, note=f"unreadable: {issues[0].where}: {issues[0].message}" if issues else ""
        )

    def _take(
        self,
        source: Source,
        records: Sequence[Record] | None,
        issues: Sequence[Issue],
        seconds: float,
    ) -> None:
        """A file read by `_load`: its applicants, or the reason it could not be read."""
        self.reading += seconds
        if records is None:
            self._file_failure(source, issues)
            return
        self.read_any = True
        self.progress.grow(len(records))
        names = identify(records) if any(r.firm is None for r in records) else {}
        for i, record in enumerate(records):
            self._applicant(record, names.get(i, ("", "")))
            if i % 256 == 255:
                self._pump(block=False)

    def _key(self, record: Record) -> str:
        path = self._resolved.get(record.source)
        if path is None:
            path = self._resolved[record.source] = str(Path(record.source).resolve())
        return f"{path}|{record.sheet or ''}|{record.row or ''}"

    def _applicant(self, record: Record, ident: tuple[str, str]) -> None:
        index = len(self.rows) + 1
        key = self._key(record)
        firm = record.firm
        if firm is None or record.problems:
            issues = tuple(_issue(p, "error", record.where) for p in record.problems)
            row = ApplicantRow(
                index=index,
                key=key,
                source=record.source,
                sheet=record.sheet,
                row=record.row,
                status="rejected",
                name=ident[0],
                credit_code=ident[1],
                issues=issues,
            )
            self.rows.append(row)
            first = issues[0] if issues else None
            self._final(
                row, note=f"rejected: {first.where} {first.field}: {first.message}" if first else ""
            )
            return
        code = firm.get("credit_code")
        base = ApplicantRow(
            index=index,
            key=key,
            source=record.source,
            sheet=record.sheet,
            row=record.row,
            status="pending",
            name=firm.name,
            credit_code=str(code) if code else "",
        )
        rubrics = self.plan.for_firm(firm)
        if not rubrics:
            year = firm.get("assessment_year")
            issue = Issue(
                "error",
                record.where,
                "assessment_year",
                f"no bundled rubric is in force for assessment_year {year}; name "
                "one with --rubric or an edition with --standard",
            )
            row = replace(base, status="rejected", issues=(issue,), warnings=firm.warnings)
            self.rows.append(row)
            self._final(row, note=f"rejected: {record.where}: {issue.message}")
            return
        report = self.names.take(firm, index) if self.options.pdf else ""
        job = Job(index, key, record.source, record.sheet, record.row, firm, rubrics, report)
        if report:
            self.to_report[index] = job
        reused = self._reuse(job, base)
        if reused is not None:
            self.rows.append(reused)
            self.reused += 1
            self._final(reused)
            return
        self.rows.append(base)
        self.queue.append(job)

    def _reuse(self, job: Job, base: ApplicantRow) -> ApplicantRow | None:
        """The previous run's row when --resume finds this applicant scored, unchanged."""
        entry = self.journal.lookup(job.key)
        if entry is None or entry.status != "scored":
            return None
        if entry.hash != input_hash(job.firm, job.rubrics, self.plan.fingerprints):
            return None
        if not self.journal.intact(entry):
            return None
        row = self.journal.row(entry)
        return replace(row, index=base.index, source=base.source, report="")

    def _limit(self) -> int:
        """Tasks in flight: enough chunks (about a second of work) that the workers keep
        scoring while this process is busy, few enough that the scores coming back do not
        pile up in memory before they are collected."""
        return max(self.pool.slots, AHEAD // MAX_CHUNK)

    def _chunk(self) -> list[Job]:
        if self.retry:  # a job whose worker died goes alone, so it cannot take others down
            return [self.retry.popleft()]
        # MAX_CHUNK while there is plenty; smaller ones when few are left (the tail, or a
        # small file while the workers wait), so that every worker gets a share.
        size = max(1, min(MAX_CHUNK, -(-len(self.queue) // (self.pool.workers * 4))))
        return [self.queue.popleft() for _ in range(min(size, len(self.queue)))]

    def _pump(self, *, block: bool, final: bool = False, also: Future[Any] | None = None) -> None:
        """Hand out chunks up to the limit, then collect what came back; with `block`,
        wait for at least one chunk (or for `also`, the file being read)."""
        while (self.queue or self.retry) and len(self.inflight) < self._limit():
            if (
                not final
                and not self.retry
                and len(self.queue) < MAX_CHUNK
                and len(self.inflight) >= self.pool.workers
            ):
                break  # wait for a whole chunk while the workers are busy
            self._submit("score", self._chunk())
        self._wait(block=block, also=also)

    def _submit(self, kind: str, items: list[Any]) -> None:
        future: Future[Any]
        if kind == "score":
            future = self.pool.submit(score_jobs, items, self.context)
        else:
            future = self.pool.submit(render_reports, items, self.context)
        self.inflight[future] = (kind, items)
        self.generation[future] = self.pool_generation

    def _wait(self, *, block: bool, also: Future[Any] | None = None) -> None:
        waiting: list[Future[Any]] = list(self.inflight)
        if also is not None:
            waiting.append(also)
        if not waiting:
            return
        done, _ = wait(waiting, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        done = {f for f in done if f in self.inflight}
        for future in sorted(done, key=lambda f: _first_index(self.inflight[f])):
            self._collect(future)

    def _collect(self, future: Future[Any]) -> None:
        kind, items = self.inflight.pop(future)
        generation = self.generation.pop(future, 0)
        try:
            value = future.result()
        except CancelledError:
            if kind == "score":
                self.queue.extendleft(reversed(items))
            else:
                self.retry.extendleft(reversed(items))
            return
        except BrokenExecutor as exc:
            # A worker process died (killed, out of memory, a crash in a C library).  Run
            # its jobs again one by one in a fresh pool; a job that breaks it twice fails.
            if generation == self.pool_generation:
                self.pool.restart()
                self.pool_generation += 1
            lost = []
            for item in items:
                index = _index(item)
                if index in self.broken:
                    lost.append(item)
                else:
                    self.broken.add(index)
                    self.retry.append(item)
            doing = "scoring it" if kind == "score" else "rendering its report"
            value = self._lost(kind, lost, f"the worker process died while {doing} ({exc})")
        except Exception as exc:  # e.g. a Dask worker lost for good
            value = self._lost(kind, items, f"the worker failed: {describe_exception(exc)}")
        if kind == "score":
            self._scored(value)
        else:
            for rendered in value:
                self._rendered(rendered)

    def _lost(self, kind: str, items: Sequence[Any], message: str) -> Any:
        if kind == "score":
            return Scored([failed_outcome(job, message) for job in items], {})
        return [
            Rendered(
                item.job.index,
                item.job.report,
                f"{self.rows[item.job.index - 1].where}: the PDF report failed: {message}",
            )
            for item in items
        ]

    def _scored(self, scored: Scored) -> None:
        self.worker_cpu += scored.seconds
        if not scored.outcomes:
            return
        self.journal.record_many((o.row, o.results, o.journal) for o in scored.outcomes)
        self.cohort.add_marks(scored.marks)
        for outcome in scored.outcomes:
            row = outcome.row
            self._final(row, note=f"failed: {row.error}" if row.status == "failed" else "")
        self._finished(len(scored.outcomes))

    def _finished(self, n: int) -> None:
        self.finished_here += n
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

    # -- phase 2: the reports --------------------------------------------------------------

    def places(self, standing: Mapping[int, Standing]) -> dict[int, CohortPlace]:
        """Each ranked applicant's place in the round, as its report shows it."""
        from assess.results import CohortPlace

        size = len(standing)
        out = {}
        for index, s in standing.items():
            score = self.rows[index - 1].score
            if score is not None:
                out[index] = CohortPlace(self.round_name, size, s.rank, s.percentile, score)
        return out

    def reports(self) -> None:
        """Phase 2: every scored applicant's PDF, with its place in the round; a PDF made
        by a previous run for the same data and the same place is kept."""
        places = self.places(standings(self.cohort.scores))
        todo: list[ReportJob] = []
        for index, job in self.to_report.items():
            row = self.rows[index - 1]
            if row.status != "scored":
                continue
            place = places.get(index)
            digest = self.place_hashes[index] = place_hash(place, self.generated)
            made = self.journal.report(job.key)
            if (
                made is not None
                and made.hash == row.input_hash
                and made.place == digest
                and made.report == job.report
                and (self.outdir / job.report).is_file()
            ):
                self.rows[index - 1] = replace(row, report=job.report)
                self.reports_reused += 1
                continue
            todo.append(ReportJob(job, place))
        if not todo:
            return
        self.phase = "reports"
        self.pool.reports_next()
        self.progress.stage("报告", len(todo))
        self.retry = deque(todo)
        # One report per task and one task per worker: a report takes long enough that
        # nothing is gained by queueing more, and Ctrl-C then waits for one report each.
        while self.retry or self.inflight:
            while self.retry and len(self.inflight) < self.pool.workers:
                self._submit("report", [self.retry.popleft()])
            self._wait(block=True)

    def _rendered(self, rendered: Rendered) -> None:
        self.worker_cpu += rendered.seconds
        index = rendered.index
        row = self.rows[index - 1]
        error = rendered.error
        if not error and rendered.pdf is not None:
            try:
                publish(self.outdir / rendered.report, rendered.pdf)
            except OSError as exc:
                error = f"{row.where}: cannot write {rendered.report}: {exc}"
        if error:
            # a report left by a previous run would show an outdated place: not kept
            with contextlib.suppress(OSError):
                (self.outdir / rendered.report).unlink(missing_ok=True)
            self.rows[index - 1] = replace(row, error=error)
            self.reports_failed += 1
            self.progress.advance("failed", f"failed: {error}")
        else:
            self.journal.record_report(
                row.key, row.input_hash, self.place_hashes[index], rendered.report
            )
            self.rows[index - 1] = replace(row, report=rendered.report)
            self.reports_made += 1
            self.progress.advance("made")
        self._finished(1)

    def drain(self) -> None:
        """After Ctrl-C: keep what finished while the pool shut down."""
        for future in sorted(self.inflight, key=lambda f: _first_index(self.inflight[f])):
            if future.done() and not future.cancelled() and future.exception() is None:
                kind, _ = self.inflight.pop(future)
                if kind == "score":
                    scored: Scored = future.result()
                    self.journal.record_many((o.row, o.results, o.journal) for o in scored.outcomes)
                    self.cohort.add_marks(scored.marks)
                    for outcome in scored.outcomes:
                        self._final(outcome.row)
                else:
                    for rendered in future.result():
                        with contextlib.suppress(KeyboardInterrupt):
                            self._rendered(rendered)

    # -- writing ---------------------------------------------------------------------------

    def write_state(self, *, complete: bool, interrupted: bool) -> None:
        counts = {k: v for k, v in self.cohort.counts.items() if v}
        self.journal.write_state(
            {
                "assess": assess.__version__,
                "generated": self.generated.isoformat(),
                "options": {
                    "inputs": [str(p) for p in self.options.inputs],
                    "rubrics": list(self.options.rubrics),
                    "standard": self.options.standard,
                    "pdf": self.options.pdf,
                },
                "applicants": len(self.rows),
                "counts": counts,
                "finished_this_run": self.finished_here,
                "reused": self.reused,
                "reports": {
                    "made": self.reports_made,
                    "reused": self.reports_reused,
                    "failed": self.reports_failed,
                },
                "phase": self.phase,
                "complete": complete,
                "interrupted": interrupted,
            }
        )

    def _entry(self, row: ApplicantRow) -> Entry | None:
        """Where the row's scores are in the journal (None: it has none)."""
        if row.status not in ("scored", "failed"):
            return None
        entry = self.journal.lookup(row.key)
        if entry is None or entry.hash != row.input_hash:
            return None
        return entry

    def finish(self, *, interrupted: bool, pool: Pool | None = None) -> tuple[int, int]:
        """Write results.jsonl, summary.xlsx, cohort.pdf and the state; return
        (duplicates flagged, ranked applicants).  With a `pool` (still open), cohort.pdf
        is rendered there while this process writes the summary."""
        for row in self.rows:
            if row.status == "pending":
                self.cohort.add(row)
        rows, duplicates = flag_duplicates(self.rows)
        standing = standings(self.cohort.scores)
        cohort_pdf = self._cohort_pdf(rows, standing, duplicates, interrupted, pool)
        # results.jsonl is mostly copying (and fsyncing) the journal's scores: let it run
        # in a thread while the summary workbook, which is CPU work, is built.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="results") as writer:
            results = writer.submit(self._write_results, rows, standing)
            self._write_summary(rows, standing, duplicates, interrupted)
            self._publish_cohort(cohort_pdf)
            results.result()
        self.write_state(complete=not interrupted, interrupted=interrupted)
        self.rows = rows
        return duplicates, len(standing)

    def _write_results(
        self, rows: Sequence[ApplicantRow], standing: Mapping[int, Standing]
    ) -> None:
        started = time.perf_counter()
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        with atomic_stream(self.outdir / RESULTS) as fh:
            write = fh.write  # in pieces: the scores are not copied once more
            for first in range(0, len(rows), RESULTS_GROUP):
                group = rows[first : first + RESULTS_GROUP]
                scores = self.journal.results_many([self._entry(row) for row in group])
                for row, data in zip(group, scores, strict=True):
                    write(b'{"applicant":')
                    write(dumps(applicant_json(row, standing.get(row.index))).encode("utf-8"))
                    write(b',"results":')
                    write(data or b"[]")
                    write(b"}\n")
        self.timings["results_file"] = time.perf_counter() - started

    def _write_summary(
        self,
        rows: Sequence[ApplicantRow],
        standing: Mapping[int, Standing],
        duplicates: int,
        interrupted: bool,
    ) -> None:
        from assess.report.summary_xlsx import RunInfo, write_summary

        started = time.perf_counter()
        info = RunInfo(
            generated=self.generated.isoformat(),
            inputs=tuple(str(p) for p in self.options.inputs),
            rubrics=self.plan.describe(),
            pdf=self.options.pdf,
            interrupted=interrupted,
            version=assess.__version__,
        )
        write_summary(
            self.outdir / SUMMARY, rows, self.cohort, standing, info, duplicates=duplicates
        )
        os.chmod(self.outdir / SUMMARY, 0o666 & ~_umask())
        self.timings["summary"] = time.perf_counter() - started

    def _cohort_pdf(
        self,
        rows: Sequence[ApplicantRow],
        standing: Mapping[int, Standing],
        duplicates: int,
        interrupted: bool,
        pool: Pool | None,
    ) -> Future[bytes]:
        """cohort.pdf's bytes, on the way: rendered by a worker of `pool` (idle by now),
        else here."""
        from assess.report import cohort as cohort_report

        self._cohort_started = time.perf_counter()
        future: Future[bytes] = Future()
        try:
            html = cohort_report.render_html(
                self.cohort,
                generated=self.generated,
                interrupted=interrupted,
                top=cohort_report.top_rows(rows, standing),
                standing=standing,
                duplicates=duplicates,
            )
            if pool is not None:
                return pool.submit(cohort_pdf_bytes, html)
            future.set_result(cohort_pdf_bytes(html))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def _publish_cohort(self, future: Future[bytes]) -> None:
        try:
            publish(self.outdir / COHORT, future.result())
        except Exception as exc:  # the other outputs stand; say what went wrong
            self.progress.say(f"error: cohort.pdf could not be made: {describe_exception(exc)}")
            self.cohort_failed = True
        self.timings["cohort_pdf"] = time.perf_counter() - self._cohort_started


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
    scored_at = reports_at = started
    try:
        try:
            batch.write_state(complete=False, interrupted=False)
            batch.run(sources)
            scored_at = reports_at = time.perf_counter()
            if options.pdf:
                batch.reports()
                reports_at = time.perf_counter()
        except KeyboardInterrupt:
            interrupted = True
            progress.say(
                "interrupted: finishing the applicants in progress and writing "
                "the outputs for what is done; run again with --resume to go on"
            )
            pool.close(cancel=True)
            batch.drain()
            scored_at = reports_at = time.perf_counter()
        except BaseException:
            pool.close(cancel=True)
            raise
        if plan.note_missing_innovative:
            progress.say(
                "note: the bottom tier of this edition (科技和创新型中小企业) has no "
                "bundled criteria; --standard 2022 scores the 2022 创新型 standard"
            )
        duplicates, _ = batch.finish(interrupted=interrupted, pool=None if interrupted else pool)
    finally:
        pool.close(cancel=True)
        progress.close()
        journal.close()
    counts = batch.cohort.counts
    result = BatchResult(
        applicants=len(batch.rows),
        scored=counts.get("scored", 0),
        rejected=counts.get("rejected", 0),
        failed=counts.get("failed", 0),
        reused=batch.reused,
        interrupted=interrupted,
        exit_code=(
            EXIT_NOTHING_READ
            if not batch.read_any
            else EXIT_OK
            if counts.get("scored", 0) == len(batch.rows)
            and not batch.cohort_failed
            and not batch.reports_failed
            else EXIT_SOME_REJECTED
        ),
        seconds={
            "reading": batch.reading,
            "reading_and_scoring": scored_at - started,
            "reports": reports_at - scored_at,
            "outputs": time.perf_counter() - reports_at,
            **batch.timings,
            "worker_cpu": batch.worker_cpu,
        },
        reports=batch.reports_made,
        reports_reused=batch.reports_reused,
        reports_failed=batch.reports_failed,
    )
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
    if result.reports_failed:
        parts.append(f"{result.reports_failed} PDF reports failed")
    if duplicates:
        parts.append(f"{duplicates} with a duplicated credit code")
    return ", ".join(parts) + f" → {outdir}/{SUMMARY}"


def read_results(path: Path) -> Iterator[Mapping[str, Any]]:
    """The lines of a results.jsonl (for tools and tests)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
