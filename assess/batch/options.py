"""What a batch is asked to do (`BatchOptions`), what it reports back (`BatchResult`), its
exit codes and the names of the files it writes into OUTDIR."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from assess.catalog import t

READER_MEMORY_MB = 2048  # default of --reader-memory
EXIT_OK, EXIT_SOME_REJECTED, EXIT_NOTHING_READ = 0, 1, 2
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
    review: bool = False  # score every applicant's review (复核): --review
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
    # memory the child that reads the untrusted input files may use (`reader.Reader`)
    reader_memory_mb: int = READER_MEMORY_MB
    cover_rank: bool = False  # each PDF's cover shows its place in the round (--cover-rank)
    previous: Path | None = None  # an earlier round's OUTDIR to compare with (--previous)
    overwrite: bool = False  # clear an earlier round's outputs from OUTDIR (--overwrite)


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
    duplicates: int = 0  # applicants sharing a credit code with another

    def summary_line(self, outdir: Path) -> str:
        parts = [t("batch.summary.applicants", count=self.applicants, scored=self.scored)]
        for key, count in (
            ("batch.summary.rejected", self.rejected),
            ("batch.summary.failed", self.failed),
            ("batch.summary.reused", self.reused),
            ("batch.summary.reports_failed", self.reports_failed),
            ("batch.summary.duplicates", self.duplicates),
        ):
            if count:
                parts.append(t(key, count=count))
        joined = t("batch.summary.sep").join(parts)
        return t("batch.summary.line", parts=joined, path=f"{outdir}/{SUMMARY}")
