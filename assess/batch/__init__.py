"""Batch assessment of a round of applicants: `assess batch`.

`run_batch(BatchOptions(...))` reads questionnaire files, folders and 批量 workbooks, scores
every applicant on a local process pool (or a Dask cluster), and writes summary.xlsx,
results.jsonl, one PDF per applicant and cohort.pdf into the output folder.  See
`assess.batch.run` for the flow and `assess.batch.task` for the per-applicant task.
"""

from __future__ import annotations

from assess.batch.run import (
    EXIT_NOTHING_READ,
    EXIT_OK,
    EXIT_SOME_REJECTED,
    BatchOptions,
    BatchResult,
    run_batch,
)

__all__ = [
    "EXIT_NOTHING_READ",
    "EXIT_OK",
    "EXIT_SOME_REJECTED",
    "BatchOptions",
    "BatchResult",
    "run_batch",
]
