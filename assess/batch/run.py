"""`assess batch`: score a round of applicants into one output folder.

    OUTDIR/summary.xlsx        汇总 (ranked), 问题清单, 统计
    OUTDIR/results.jsonl       one line per applicant (`outputs.applicant_json`)
    OUTDIR/reports/*.pdf       one report per scored applicant (unless --no-pdf)
    OUTDIR/cohort.pdf          the round at a glance
    OUTDIR/.assess-batch/      what is finished, for --resume (`assess.batch.journal`)

Two phases.  1: files are read one after another (`reader`) and their applicants handed
to the pool in chunks as they are read (`scheduler`, `task.score_jobs`); the scores go to
the journal as they arrive (copied into results.jsonl at the end) and each applicant's
summary row to a file beside it (`rowstore.RowStore`): in memory stay only the applicants
waiting for the pool, so a round of 100,000 needs little more than one of 5,000.  Then
the round is ranked.  2 (with PDFs): each scored applicant's report is rendered on the
pool with its place in the round (`task.render_reports`), which only the whole round
decides; a PDF made by a previous run is kept when neither the applicant's data nor its
place changed.  Finally summary.xlsx, results.jsonl and cohort.pdf (on an idle worker)
(`outputs`).

A bad applicant or even a crash while scoring one is a row of the summary, never the end
of the batch; a report that cannot be made leaves its applicant scored and ranked, with
the error in its row.  Every output file is written atomically; on Ctrl-C the jobs in
flight finish, the outputs are written for what is done (the rest listed as 未完成, or
without a report), and `--resume` carries on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import assess
from assess.atomic import file_mode, output_problem
from assess.batch.executors import Pool, make_pool
from assess.batch.inputs import Source, discover
from assess.batch.interrupt import AGAIN, WRITING, sigint_deferred
from assess.batch.journal import STATE_DIR, Journal, Spot, Spots
from assess.batch.lock import outdir_lock
from assess.batch.names import ReportNames
from assess.batch.options import (
    COHORT,
    EXIT_NOTHING_READ,
    EXIT_OK,
    EXIT_SOME_REJECTED,
    REPORTS,
    RESULTS,
    SUMMARY,
    BatchOptions,
    BatchResult,
)
from assess.batch.outputs import publish, write_outputs
from assess.batch.previous import PreviousRound, word_change
from assess.batch.progress import Progress, make_progress
from assess.batch.reader import Chunk, Done, Reader, as_issue
from assess.batch.records import (
    ApplicantRow,
    Issue,
    Standing,
    firm_info,
    rank_round,
)
from assess.batch.rowstore import RowStore
from assess.batch.scheduler import Scheduler
from assess.batch.stats import Cohort
from assess.batch.task import (
    Context,
    Job,
    Rendered,
    ReportJob,
    Scored,
    input_hash,
    place_hash,
)
from assess.catalog import language, t
from assess.errors import UserError
from assess.intake.firm import Firm, Record
from assess.rubric.selection import RubricPlan, no_rubric_in_force

if TYPE_CHECKING:
    from assess.batch.previous import Change
    from assess.results import CohortPlace

INTERRUPT_ENV = "ASSESS_BATCH_INTERRUPT_AFTER"  # tests: Ctrl-C after N (interrupt_after)
STATE_EVERY = 2.0  # seconds between state.json rewrites during a run
QUEUED = 256  # applicants waiting for the pool before the next chunk is asked for


class _Batch:
    def __init__(
        self,
        options: BatchOptions,
        progress: Progress,
        pool: Pool,
        journal: Journal,
        plan: RubricPlan,
        generated: dt.date,
        previous: PreviousRound | None = None,
    ):
        self.options = options
        self.previous = previous
        self.outdir = options.outdir
        self.round_name = options.round_name or options.outdir.resolve().name or str(options.outdir)
        self.progress = progress
        self.pool = pool
        self.journal = journal
        self.plan = plan
        self.generated = generated
        context = Context(
            generated=generated,
            outdir=str(self.outdir.resolve()) if pool.shared_disk else None,
            custom=plan.custom,
            fingerprints=plan.fingerprints,
            file_mode=file_mode(),
            lang=language(),
        )
        self.scheduler = Scheduler(pool, context, self._scored, self._rendered)
        # every applicant's row, on disk but for those waiting for the pool (`RowStore`)
        self.rows = RowStore(journal.folder)
        self.spots = Spots()  # by position: where the scores are in the journal, if any
        self.official = plan.fixed is None  # the official ladder: ranked by it
        self.cohort = Cohort(official=self.official)
        # index → its 批量 sheet's field columns, until its scores say which are blank
        self.columns: dict[int, Mapping[str, str]] = {}
        # (file, sheet, column letter, heading) → applicants with a value there
        self.extra_columns: dict[tuple[str, str, str, str], int] = {}
        self.names = ReportNames()
        self.to_report: dict[int, Job] = {}  # index → its job, for phase 2 (with PDFs)
        self.read_any = False
        # the files read to their end (by place among the sources), and how many records
        # of each were taken before that: on a Ctrl-C the rest is listed (`unread`)
        self.files_done: set[int] = set()
        self.taken: dict[int, int] = {}
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

    def run(self, sources: Sequence[Source], reader: Reader) -> None:
        """Phase 1.  The reader reads the files in its own process and hands their records
        over a chunk at a time, while this process hands the applicants to the pool and
        collects the scores coming back; the next chunk is asked for only once fewer than
        `QUEUED` applicants wait for the pool, so that no more than those (and the ones
        the pool holds) are in memory here, whatever the size of the round.  (Reading in
        the pool's workers instead was measured: as fast for 100,000 applicants, where
        every core is busy either way, with a higher peak of memory here.)"""
        reader.start(sources)
        while True:
            coming = reader.next()
            while not coming.done():
                self.scheduler.pump(block=True, also=coming)
            message = coming.result()
            del coming
            if message is None:
                self.progress.all_read()
                break
            source = sources[message.file]
            if isinstance(message, Chunk):
                self._take(source, message)
            else:
                self._done(source, message)
            del message  # its records, once handed out, need not stay in memory
            self.scheduler.pump(block=False)
            while self.scheduler.queued > QUEUED:
                self.scheduler.pump(block=True)
        while self.scheduler.busy:
            self.scheduler.pump(block=True, final=True)

    def _file_failure(self, source: Source, issues: Sequence[Issue]) -> None:
        key = f"{source.path.absolute()}||"
        row = ApplicantRow(
            index=len(self.rows) + 1,
            key=key,
            source=source.display,
            status="rejected",
            issues=tuple(issues),
        )
        self.rows.append(row, held=True)
        self.progress.grow(1)
        self._final(
            row,
            note=t("batch.note.unreadable", where=issues[0].where, message=issues[0].message)
            if issues
            else "",
        )

    def _take(self, source: Source, chunk: Chunk) -> None:
        """The next applicants of a file being read (`reader.Chunk`)."""
        self.read_any = True
        records = chunk.records
        self.progress.grow(len(records))
        for i, record in enumerate(records):
            self.taken[chunk.file] = self.taken.get(chunk.file, 0) + 1
            self._applicant(record, chunk.names.get(i, ("", "")))

    def _done(self, source: Source, done: Done) -> None:
        """A file read to its end, or the reason (the rest of) it could not be."""
        self.reading += done.seconds
        self.files_done.add(done.file)
        if done.issues:
            self._file_failure(source, done.issues)

    def unread(self, sources: Sequence[Source]) -> None:
        """After a Ctrl-C in phase 1: one 未完成 row for each file not read to its end, so
        that the outputs of the interrupted run name every file of the round even though
        the applicants of the unread part are not known yet (--resume reads them)."""
        for index, source in enumerate(sources):
            if index in self.files_done:
                continue
            taken = self.taken.get(index, 0)
            message = t("batch.unread.rest", count=taken) if taken else t("batch.unread.file")
            issue = Issue("unread", source.display, "", message, "batch.unread")
            row = ApplicantRow(
                index=len(self.rows) + 1,
                key=f"{source.path.absolute()}||unread",
                source=source.display,
                status="pending",
                issues=(issue,),
            )
            self.rows.append(row)
            self.cohort.add(row)

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
            issues = tuple(as_issue(p, "error", record.where) for p in record.problems)
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
            self.rows.append(row, held=True)
            first = issues[0] if issues else None
            self._final(
                row,
                note=t(
                    "batch.note.rejected",
                    where=first.where,
                    field=first.field,
                    message=first.message,
                )
                if first
                else "",
            )
            return
        if firm.extra:
            firm = without_column_notices(firm)
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
            info=firm_info(firm),
            extra=tuple((heading, text) for _, heading, text in firm.extra),
        )
        for letter, heading, text in firm.extra:
            column = (record.source, record.sheet or "", letter, heading)
            self.extra_columns[column] = self.extra_columns.get(column, 0) + bool(text)
        if firm.columns:
            self.columns[index] = firm.columns
        rubrics = self.plan.for_firm(firm)
        if not rubrics:
            year = firm.get("assessment_year")
            message = no_rubric_in_force(year)
            issue = Issue("error", record.where, "assessment_year", message)
            row = replace(base, status="rejected", issues=(issue,), warnings=firm.warnings)
            self.rows.append(row, held=True)
            self._final(
                row,
                note=t(
                    "batch.note.rejected",
                    where=record.where,
                    field=issue.field,
                    message=issue.message,
                ),
            )
            return
        report = self.names.take(firm, index) if self.options.pdf else ""
        job = Job(index, key, record.source, record.sheet, record.row, firm, rubrics, report)
        if report:
            self.to_report[index] = job
        reused = self._reuse(job, base)
        if reused is not None:
            self.rows.append(reused, held=True)
            self.reused += 1
            self._final(reused)
            return
        self.rows.append(base, held=True)
        self.scheduler.add(job)

    def _reuse(self, job: Job, base: ApplicantRow) -> ApplicantRow | None:
        """The previous run's row when --resume finds this applicant scored, unchanged."""
        entry = self.journal.lookup(job.key)
        if entry is None or entry.status != "scored":
            return None
        if entry.hash != input_hash(job.firm, job.rubrics, self.plan.fingerprints):
            return None
        if not self.journal.intact(entry):
            return None
        self.spots.put(base.index - 1, entry)
        row = self.journal.row(entry)
        return replace(
            row, index=base.index, source=base.source, report="", info=base.info, extra=base.extra
        )

    def _scored(self, scored: Scored) -> None:
        self.worker_cpu += scored.seconds
        if not scored.outcomes:
            return
        spots = self.journal.record_many(
            ((o.row, o.results, o.journal) for o in scored.outcomes), keep=False
        )
        for outcome, spot in zip(scored.outcomes, spots, strict=True):
            self.spots.put(outcome.row.index - 1, spot)
        self.cohort.add_marks(scored.marks)
        for outcome in scored.outcomes:
            row = outcome.row
            self._final(
                row,
                note=t("batch.note.failed", message=row.error) if row.status == "failed" else "",
            )
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
        base = self.rows.held(row.index - 1)
        if base is not None and base is not row and not row.info and (base.info or base.extra):
            # scored by a worker, which sends back no more than the scores say
            row = replace(row, info=base.info, extra=base.extra)
        columns = self.columns.pop(row.index, None)
        if columns is not None and row.missing:
            row = replace(row, cells=tuple(columns.get(f, "") for f in row.missing))
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
            row = self.rows[index - 1]
            score = row.rate(self.official)
            passed, above = row.ladder_place() if self.official else ("", "")
            out[index] = CohortPlace(
                self.round_name,
                size,
                s.rank,
                s.percentile,
                score,
                tier=passed,
                verdict=above,
                ladder=self.official,
            )
        return out

    def reports(self) -> None:
        """Phase 2: every scored applicant's PDF, with its place in the round (when the
        agency asked for it: --cover-rank) and its movement since the previous round; a
        PDF made by a previous run for the same data and the same place is kept."""
        ranking = rank_round(self.rows, self.official)
        places = self.places(ranking.standing) if self.options.cover_rank else {}
        changes = self.previous.match(self.rows, self.official) if self.previous else {}
        todo: list[ReportJob] = []
        for index, job in self.to_report.items():
            row = self.rows[index - 1]
            if row.status != "scored":
                continue
            place = places.get(index)
            change = changes.get(index)
            if change is not None:
                place = place_with_change(place, change, self.round_name)
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
        self.progress.stage(t("batch.stage.reports"), len(todo))
        self.scheduler.reports(todo)

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
            self.progress.advance("failed", t("batch.note.failed", message=error))
        else:
            self.journal.record_report(
                row.key, row.input_hash, self.place_hashes[index], rendered.report
            )
            self.rows[index - 1] = replace(row, report=rendered.report)
            self.reports_made += 1
            self.progress.advance("made")
        self._finished(1)

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
                    "review": self.options.review,
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

    def finish(self, *, interrupted: bool, pool: Pool | None = None) -> int:
        """Write results.jsonl, summary.xlsx, cohort.pdf (`outputs.write_outputs`) and the
        state; return the number of duplicates flagged."""
        from assess.batch.summary_xlsx import RunInfo

        for row in self.rows.waiting():  # handed to the pool, never scored: 未完成
            self.cohort.add(row)
        info = RunInfo(
            generated=self.generated.isoformat(),
            inputs=tuple(str(p) for p in self.options.inputs),
            rubrics=self.plan.describe(),
            pdf=self.options.pdf,
            interrupted=interrupted,
            version=assess.__version__,
            round_name=self.round_name,
            official=self.official,
            previous=str(self.options.previous) if self.options.previous else "",
        )
        notices = self.column_notices()
        for notice in notices:
            self.progress.say(t("batch.notice", where=notice.where, message=notice.message))
        written = write_outputs(
            self.outdir,
            self.rows,
            self.cohort,
            self.journal,
            info,
            self.progress,
            pool,
            previous=self.previous,
            notices=notices,
            scores=self.scores_of,
        )
        if not interrupted:
            self.drop_stale_reports()
        self.timings.update(written.timings)
        self.cohort_failed = written.cohort_failed
        self.write_state(complete=not interrupted, interrupted=interrupted)
        return written.duplicates

    def scores_of(self, row: ApplicantRow) -> Spot | None:
        """Where the row's scores are in the journal (None: it has none)."""
        if row.status not in ("scored", "failed") or row.index > len(self.spots):
            return None
        return self.spots[row.index - 1]

    def column_notices(self) -> list[Issue]:
        """One notice per column of a 批量 sheet that names no field: carried into 汇总."""
        from assess.batch.summary_xlsx import extra_column_notice

        return [
            extra_column_notice(source, sheet, letter, heading, filled)
            for (source, sheet, letter, heading), filled in self.extra_columns.items()
        ]

    def drop_stale_reports(self) -> None:
        """PDFs in reports/ that no applicant of this round has (one left by an earlier run
        for a firm no longer in the round, or under an older name): removed, so no report
        sits beside a summary that does not list it."""
        folder = self.outdir / REPORTS
        if not folder.is_dir():
            return
        kept = {Path(r.report).name for r in self.rows if r.report}
        if self.options.pdf:
            kept |= {Path(job.report).name for job in self.to_report.values()}
        for path in folder.glob("*.pdf"):
            if path.name not in kept:
                with contextlib.suppress(OSError):
                    path.unlink()

    def result(
        self, interrupted: bool, seconds: Mapping[str, float], duplicates: int
    ) -> BatchResult:
        counts = self.cohort.counts
        scored = counts.get("scored", 0)
        if not self.read_any:
            code = EXIT_NOTHING_READ
        elif scored == len(self.rows) and not self.cohort_failed and not self.reports_failed:
            code = EXIT_OK
        else:
            code = EXIT_SOME_REJECTED
        return BatchResult(
            applicants=len(self.rows),
            scored=scored,
            rejected=counts.get("rejected", 0),
            failed=counts.get("failed", 0),
            reused=self.reused,
            interrupted=interrupted,
            exit_code=code,
            seconds={**seconds, **self.timings, "worker_cpu": self.worker_cpu},
            reports=self.reports_made,
            reports_reused=self.reports_reused,
            reports_failed=self.reports_failed,
            duplicates=duplicates,
        )


UNKNOWN_FIELD = ("intake.warn.unknown_field", "intake.warn.unknown_field_guess")


def without_column_notices(firm: Firm) -> Firm:
    """A 批量 row's firm without the notices of its sheet's unknown columns: the round
    carries those columns into 汇总 and says so once per column (`column_notices`)."""
    kept = [
        (notice, worded)
        for notice, worded in zip(firm.notices, firm.warnings, strict=False)
        if notice.code not in UNKNOWN_FIELD
    ]
    if len(kept) == len(firm.notices) and len(firm.notices) == len(firm.warnings):
        return firm
    return replace(firm, notices=tuple(n for n, _ in kept), warnings=tuple(w for _, w in kept))


def place_with_change(
    place: CohortPlace | None, change: Change, round_name: str
) -> CohortPlace | None:
    """The place a report shows, with the firm's movement since the previous round (a
    place that shows only that movement when the round's place is not to be shown)."""
    from assess.results import CohortPlace

    words = tuple(word_change(change))
    if not words:
        return place
    if place is None:
        return CohortPlace(round_name, 0, 0, Decimal(0), None, ranked=False, changes=words)
    return replace(place, changes=words)


def earlier_round(outdir: Path) -> bool:
    """Whether OUTDIR holds the outputs of an earlier round."""
    if any((outdir / name).exists() for name in (SUMMARY, RESULTS, COHORT)):
        return True
    reports = outdir / REPORTS
    return reports.is_dir() and any(reports.glob("*.pdf"))


def clear_round(outdir: Path) -> None:
    """--overwrite: an earlier round's outputs removed (the journal starts afresh)."""
    for name in (SUMMARY, RESULTS, COHORT):
        (outdir / name).unlink(missing_ok=True)
    reports = outdir / REPORTS
    if reports.is_dir():
        for path in reports.glob("*.pdf"):
            path.unlink(missing_ok=True)


def run_batch(options: BatchOptions, progress: Progress | None = None) -> BatchResult:
    """Run a batch (see the module docstring).  Raises UserError for bad options or
    rubrics, for an OUTDIR another batch is using, and for an OUTDIR that cannot take
    the outputs (full, read-only, not permitted: one Chinese line naming the place); and
    KeyboardInterrupt after writing the outputs when interrupted."""
    outdir = options.outdir
    if outdir.exists() and not outdir.is_dir():
        raise UserError(t("batch.not_a_folder", outdir=outdir))
    if not options.inputs:
        raise UserError(t("batch.no_inputs"))
    plan = RubricPlan(options.rubrics, options.standard, options.review)
    previous = PreviousRound.read(options.previous) if options.previous is not None else None
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        with outdir_lock(outdir / STATE_DIR, outdir):
            if not options.resume and earlier_round(outdir):
                if not options.overwrite:
                    raise UserError(t("batch.earlier_round", outdir=outdir))
                clear_round(outdir)
            return _run(options, plan, progress, previous)
    except OSError as exc:
        hint = t("batch.output_hint")
        message = output_problem(exc, exc.filename or outdir, hint)
        if message is None:
            raise
        raise UserError(message) from None


def _run(
    options: BatchOptions,
    plan: RubricPlan,
    progress: Progress | None,
    previous: PreviousRound | None = None,
) -> BatchResult:
    """The batch, with OUTDIR locked."""
    outdir = options.outdir
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
    reader = Reader(pdf=options.pdf, memory_mb=options.reader_memory_mb, in_process=workers <= 0)
    batch = _Batch(options, progress, pool, journal, plan, generated, previous)
    interrupted = False
    started = time.perf_counter()
    scored_at = reports_at = started
    try:
        try:
            batch.write_state(complete=False, interrupted=False)
            batch.run(sources, reader)
            scored_at = reports_at = time.perf_counter()
            if options.pdf:
                batch.reports()
                reports_at = time.perf_counter()
        except KeyboardInterrupt:
            interrupted = True
            with sigint_deferred(progress, AGAIN):
                progress.say(t("batch.interrupted"))
                reader.close()
                pool.close(cancel=True)
                batch.scheduler.drain()
                batch.unread(sources)
            scored_at = reports_at = time.perf_counter()
        except BaseException:
            reader.close()
            pool.close(cancel=True)
            raise
        reader.close()
        with sigint_deferred(progress, AGAIN if interrupted else WRITING):
            duplicates = batch.finish(interrupted=interrupted, pool=None if interrupted else pool)
    finally:
        reader.close()
        pool.close(cancel=True)
        progress.close()
        journal.close()
        batch.rows.close()
    seconds = {
        "reading": batch.reading,
        "reading_and_scoring": scored_at - started,
        "reports": reports_at - scored_at,
        "outputs": time.perf_counter() - reports_at,
    }
    result = batch.result(interrupted, seconds, duplicates)
    if interrupted:
        raise KeyboardInterrupt
    progress.say(result.summary_line(outdir))
    return result
